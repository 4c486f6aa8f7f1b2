"""Unexpected failures become a 500 SCIM error with a request id; the traceback goes to the log only."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from scimkeeper.domain import accounts, tokens
from scimkeeper.domain.audit import OPERATOR
from tests.e2e.conftest import start_server, stop_server


def test_database_failure_is_a_500_with_request_id_and_no_traceback(tmp_path: Path) -> None:
    """With the members table gone, a list answers 'internal error' plus the request id; the log has the cause."""
    env = {**os.environ, "SCIMKEEPER_DATABASE_URL": f"sqlite:///{tmp_path / 'broken.db'}"}
    server = start_server(env, tmp_path / "server.log")
    try:
        now = datetime.now(UTC)
        with server.db.write() as conn:
            account = accounts.create(conn, "Acme", plan="enterprise", actor=OPERATOR, now=now)
            token = tokens.generate(conn, account, actor=OPERATOR, now=now).plaintext
            conn.exec_driver_sql("DROP TABLE member_emails")
            conn.exec_driver_sql("DROP TABLE members")
        response = server.client(token, **{"X-Request-Id": "r-42"}).get("/Users")
    finally:
        stop_server(server)
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/scim+json"
    assert response.json() == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
        "status": "500",
        "detail": "internal error (request id r-42)",
    }
    log = server.log_text()
    assert "no such table: members" in log
    assert '"request_id":"r-42"' in log
