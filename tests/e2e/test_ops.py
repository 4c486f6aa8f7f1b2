"""Operating a live server: /healthz, /readyz through a database outage and a stale schema, /metrics, clean logs,
and a graceful shutdown that lets the request in flight finish."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from prometheus_client.parser import text_string_to_metric_families
from psycopg import sql

from scimkeeper.storage import migrate
from tests.conftest import POSTGRES_ADMIN_URL, PostgresServer
from tests.documents import PATCH_OP, SEARCH_REQUEST, employee
from tests.e2e.conftest import Server, Tenant, start_server, stop_server

log = logging.getLogger("tests.e2e.ops")  # measurements; see them with -o log_cli=true
METRICS_TOKEN = "metrics-" + uuid.uuid4().hex


def metric(server: Server, name: str, token: str | None = None, **labels: str) -> float:
    """The value of one sample of the server's /metrics (0 when absent)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.get(f"{server.base_url}/metrics", headers=headers)
    assert response.status_code == 200, response.text
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return 0.0


def wait_for(condition: Any, timeout: float = 10.0, step: float = 0.05) -> float:
    """Seconds until `condition()` is true; fails after `timeout`."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"not true after {timeout} s: {condition}")
        time.sleep(step)
    return time.monotonic() - started


# --- on the session's servers (SQLite and PostgreSQL) -----------------------------------------------------------


def test_healthz_answers_ok(server: Server) -> None:
    """/healthz: the process is up."""
    response = httpx.get(f"{server.base_url}/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_readyz_answers_ready_at_the_current_revision(server: Server) -> None:
    """/readyz: the database answers and its schema is this release's."""
    response = httpx.get(f"{server.base_url}/readyz")
    assert (response.status_code, response.json()) == (200, {"status": "ready", "revision": migrate.head_revision()})


def test_errors_outside_the_scim_api_are_plain_json(server: Server) -> None:
    """The access API, the operational endpoints and paths of no API answer {"status", "detail"} as JSON."""
    missing_email = httpx.get(f"{server.base_url}/api/v1/accounts/x/access")
    assert missing_email.json() == {"status": 400, "detail": "give the member's address as ?email=..."}
    unknown = httpx.get(f"{server.base_url}/no-such-path")
    assert (unknown.status_code, unknown.headers["content-type"]) == (404, "application/json")
    wrong_method = httpx.post(f"{server.base_url}/healthz")
    assert (wrong_method.status_code, wrong_method.json()["status"]) == (405, 405)
    assert set(wrong_method.headers["allow"].split(", ")) == {"GET", "HEAD"}


def test_metrics_count_requests_events_and_auth_failures(server: Server) -> None:
    """A create, a deprovisioning and a bad token show up in /metrics by route template, event and API."""
    domain = f"t{uuid.uuid4().hex[:8]}.ops.example"
    tenant = server.tenant(email_domains=(domain,))
    route = {"method": "POST", "route": "/scim/v2/Users", "status": "201"}
    before = {
        "created": metric(server, "scimkeeper_provisioning_events_total", event="created"),
        "deprovisioned": metric(server, "scimkeeper_provisioning_events_total", event="deprovisioned"),
        "posts": metric(server, "scimkeeper_http_requests_total", **route),
        "scim_401": metric(server, "scimkeeper_auth_failures_total", api="scim"),
        "api_401": metric(server, "scimkeeper_auth_failures_total", api="api"),
    }
    created = tenant.client.post("/Users", json=employee(f"ada@{domain}")).json()
    patch = {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": False}}]}
    assert tenant.client.patch(f"/Users/{created['id']}", json=patch).status_code == 200
    assert httpx.get(f"{server.scim_url}/Users", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert httpx.get(f"{server.base_url}/api/v1/accounts/x/access?email=a@b.c").status_code == 401
    server.release_domains(tenant)

    assert metric(server, "scimkeeper_provisioning_events_total", event="created") == before["created"] + 1
    assert metric(server, "scimkeeper_provisioning_events_total", event="deprovisioned") == before["deprovisioned"] + 1
    assert metric(server, "scimkeeper_http_requests_total", **route) == before["posts"] + 1
    assert metric(server, "scimkeeper_auth_failures_total", api="scim") == before["scim_401"] + 1
    assert metric(server, "scimkeeper_auth_failures_total", api="api") == before["api_401"] + 1
    assert metric(server, "scimkeeper_http_request_duration_seconds_count", method="POST", route="/scim/v2/Users") > 0


def access_lines(server: Server, request_ids: set[str]) -> list[str]:
    """The access-log lines of these requests, once all of them are written."""
    found: list[str] = []

    def written() -> bool:
        found[:] = [line for line in server.log_text().splitlines() if any(rid in line for rid in request_ids)]
        return len(found) >= len(request_ids)

    wait_for(written, timeout=5)
    return found


def test_logs_hold_no_token_password_address_or_filter_value(server: Server) -> None:
    """A flow with an e-mail filter, a bad token, a password and a malformed filter logs none of their values."""
    domain = f"t{uuid.uuid4().hex[:8]}.ops.example"
    tenant: Tenant = server.tenant(email_domains=(domain,))
    email, password = f"grace.hopper@{domain}", f"Pw-{uuid.uuid4().hex}"
    fake_token = "skp_" + "A" * 43
    ids = {name: f"ops-{name}-{uuid.uuid4().hex[:8]}" for name in ("post", "filter", "search", "bad", "token")}
    scim = tenant.client
    posted = scim.post("/Users", json=employee(email, password=password), headers={"X-Request-Id": ids["post"]})
    assert (posted.status_code, posted.headers["X-Request-Id"]) == (201, ids["post"])
    found = scim.get("/Users", params={"filter": f'userName eq "{email}"'}, headers={"X-Request-Id": ids["filter"]})
    assert found.json()["totalResults"] == 1
    body = {"schemas": [SEARCH_REQUEST], "filter": f'emails co "{email}"'}
    assert scim.post("/Users/.search", json=body, headers={"X-Request-Id": ids["search"]}).status_code == 200
    bad = scim.get("/Users", params={"filter": f'userName eq "{email}" and'}, headers={"X-Request-Id": ids["bad"]})
    assert bad.status_code == 400
    refused = httpx.get(
        f"{server.scim_url}/Users",
        params={"filter": f'userName eq "{email}"'},
        headers={"Authorization": f"Bearer {fake_token}", "X-Request-Id": ids["token"]},
    )
    assert refused.status_code == 401
    server.release_domains(tenant)

    lines = access_lines(server, set(ids.values()))
    text = server.log_text()
    for secret in (tenant.token, fake_token, password, email, domain):
        assert secret not in text
    by_id = {rid: line for rid in ids.values() for line in lines if rid in line}
    assert '"filter":"userName eq ?"' in by_id[ids["filter"]]
    assert '"filter":"emails co ?"' in by_id[ids["search"]]
    assert '"status":401' in by_id[ids["token"]]


# --- on a server of its own (PostgreSQL): outages, a stale schema, metrics behind a token, shutdown ------------


@pytest.fixture
def lone_server(postgres_server: PostgresServer, tmp_path: Path) -> Iterator[Server]:
    """A server alone on a database of its own, so that the database can be made to disappear."""
    env = {
        **os.environ,
        "SCIMKEEPER_DATABASE_URL": postgres_server.create_database(),
        "SCIMKEEPER_LOG_FORMAT": "json",
        "SCIMKEEPER_METRICS_TOKEN": METRICS_TOKEN,
        "SCIMKEEPER_DB_CONNECT_TIMEOUT": "2",
    }
    running = start_server(env, tmp_path / "server.log")
    yield running
    stop_server(running)


def set_connections_allowed(url: str, allowed: bool) -> None:
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(
            sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS {}").format(
                sql.Identifier(name), sql.SQL("true" if allowed else "false")
            )
        )
        if not allowed:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))


def ready(server: Server) -> int:
    return httpx.get(f"{server.base_url}/readyz", timeout=15).status_code


def test_readyz_fails_while_the_database_is_away_and_recovers_without_a_restart(lone_server: Server) -> None:
    """Connections refused and open ones killed: /readyz says 503 (/healthz still 200); allowed again: 200."""
    url = lone_server.env["SCIMKEEPER_DATABASE_URL"]
    assert ready(lone_server) == 200
    set_connections_allowed(url, False)
    try:
        started = time.monotonic()
        assert ready(lone_server) == 503
        down_answer = time.monotonic() - started
        assert httpx.get(f"{lone_server.base_url}/healthz").status_code == 200
        body = httpx.get(f"{lone_server.base_url}/readyz").json()
        assert body == {"status": "unavailable", "reason": "database unreachable"}
    finally:
        set_connections_allowed(url, True)
    recovery = wait_for(lambda: ready(lone_server) == 200, timeout=10)
    log.info(f"/readyz while down answered in {down_answer:.3f} s; ready again {recovery:.3f} s after the database")
    assert lone_server.process.poll() is None


def test_readyz_is_503_while_the_schema_is_not_this_releases(lone_server: Server) -> None:
    """A database behind the release's head revision is not ready; upgraded, it is."""
    migrate.downgrade(lone_server.db, "base")
    try:
        response = httpx.get(f"{lone_server.base_url}/readyz")
        assert response.status_code == 503
        assert "this release needs" in response.json()["reason"]
    finally:
        migrate.upgrade(lone_server.db)
    assert ready(lone_server) == 200


def test_metrics_need_the_metrics_token_when_one_is_set(lone_server: Server) -> None:
    """With SCIMKEEPER_METRICS_TOKEN, /metrics answers 401 without it and the exposition with it."""
    missing = httpx.get(f"{lone_server.base_url}/metrics")
    assert (missing.status_code, missing.headers["www-authenticate"]) == (401, 'Bearer realm="scimkeeper-metrics"')
    assert missing.json() == {"status": 401, "detail": "send the metrics token as 'Authorization: Bearer <token>'"}
    wrong = httpx.get(f"{lone_server.base_url}/metrics", headers={"Authorization": "Bearer wrong"})
    assert wrong.status_code == 401
    assert metric(lone_server, "scimkeeper_purge_runs_total", METRICS_TOKEN, outcome="failed") == 0
    assert METRICS_TOKEN not in lone_server.log_text()


def backend_waiting_for_a_lock(url: str) -> bool:
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        row = admin.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'", (name,)
        ).fetchone()
    return row is not None and row[0] > 0


def test_sigterm_lets_the_request_in_flight_finish(lone_server: Server) -> None:
    """A PATCH held up by a row lock when SIGTERM arrives still completes with 200; then the process exits."""
    domain = f"t{uuid.uuid4().hex[:8]}.ops.example"
    tenant = lone_server.tenant(email_domains=(domain,))
    created = tenant.client.post("/Users", json=employee(f"linus@{domain}")).json()
    url = lone_server.env["SCIMKEEPER_DATABASE_URL"]
    results: list[httpx.Response] = []
    patch = {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "title", "value": "Kernel"}]}
    with psycopg.connect(url) as holder:
        holder.execute("SELECT id FROM members WHERE id = %s FOR UPDATE", (created["id"],))
        in_flight = threading.Thread(
            target=lambda: results.append(tenant.client.patch(f"/Users/{created['id']}", json=patch))
        )
        in_flight.start()
        wait_for(lambda: backend_waiting_for_a_lock(url))
        lone_server.process.send_signal(signal.SIGTERM)
        time.sleep(0.5)  # the server is shutting down, the request still waits for the lock
        assert lone_server.process.poll() is None
        holder.commit()
    in_flight.join(timeout=15)
    assert [(r.status_code, r.json()["title"]) for r in results] == [(200, "Kernel")]
    lone_server.process.wait(timeout=15)


def close_every_connection(url: str) -> None:
    """What a database restart or an idle timeout does to the server's pooled connections."""
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))


def test_requests_after_the_database_closed_every_connection_succeed(lone_server: Server) -> None:
    """Pooled connections closed by the server: a read runs again, once, on a new connection (reads are not
    pinged before use), a write's connection is checked before use; neither answers an error."""
    domain = f"t{uuid.uuid4().hex[:8]}.ops.example"
    tenant = lone_server.tenant(email_domains=(domain,))
    created = tenant.client.post("/Users", json=employee(f"grace@{domain}")).json()
    url = lone_server.env["SCIMKEEPER_DATABASE_URL"]
    reads = [f"/Users/{created['id']}", "/Users", f'/Users?filter=userName eq "grace@{domain}"']
    with ThreadPoolExecutor(8) as pool:  # several pooled connections, in more than one worker if any
        assert {r.status_code for r in pool.map(tenant.client.get, reads * 8)} == {200}
    close_every_connection(url)
    assert [tenant.client.get(path).status_code for path in reads * 3] == [200] * 9
    close_every_connection(url)
    assert tenant.client.post("/Users", json=employee(f"ada@{domain}")).status_code == 201
    assert "Traceback" not in lone_server.log_text()
