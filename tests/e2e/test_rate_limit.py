"""The per-token rate limit over HTTP: 429 with Retry-After and a SCIM body, counted in /metrics."""

from __future__ import annotations

import os
from pathlib import Path

import httpx

from tests.e2e.conftest import start_server, stop_server
from tests.oracle import valid_error


def test_a_token_over_its_rate_gets_429_and_the_metric_counts_it(tmp_path: Path) -> None:
    """With 1 request/s and bursts of 3, the fourth immediate request is refused; another token is not."""
    env = {
        **os.environ,
        "SCIMKEEPER_DATABASE_URL": f"sqlite:///{tmp_path / 'rate.db'}",
        "SCIMKEEPER_RATE_LIMIT_PER_SECOND": "1",
        "SCIMKEEPER_RATE_LIMIT_BURST": "3",
    }
    server = start_server(env, tmp_path / "server.log")
    try:
        limited, other = server.tenant(), server.tenant()
        statuses = [limited.client.get("/Users").status_code for _ in range(4)]
        refused = limited.client.get("/Users")
        assert statuses[:3] == [200, 200, 200]
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 1
        valid_error(refused.json())
        assert other.client.get("/Users").status_code == 200
        metrics = httpx.get(f"{server.base_url}/metrics").text
        assert "scimkeeper_rate_limited_total 2.0" in metrics
        # Other spellings of the same credential share its bucket: they are not a way around the limit.
        for spelling in ("bearer", "BEARER", "Bearer "):
            response = limited.client.get("/Users", headers={"Authorization": f"{spelling} {limited.token}"})
            assert response.status_code == 429, spelling
    finally:
        stop_server(server)
