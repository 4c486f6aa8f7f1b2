"""End-to-end fixtures: a real `scimkeeper serve` process per database backend, driven over HTTP and the CLI."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from scimkeeper.domain import accounts, domains, tokens
from scimkeeper.domain.audit import OPERATOR
from scimkeeper.storage.db import Database
from tests.conftest import BACKENDS, database_url

CLI = [sys.executable, "-m", "scimkeeper"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Tenant:
    """An Enterprise account created through the CLI, with its SCIM token."""

    id: str
    name: str
    token: str
    client: httpx.Client


@dataclass
class Server:
    """A running `scimkeeper serve` process and the environment its CLI commands share."""

    env: dict[str, str]
    db: Database
    base_url: str
    log_path: Path
    process: subprocess.Popen[bytes]
    clients: list[httpx.Client] = field(default_factory=list)

    @property
    def scim_url(self) -> str:
        return f"{self.base_url}/scim/v2"

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([*CLI, *args], env=self.env, capture_output=True, text=True, timeout=60, check=False)
        if check and result.returncode != 0:
            raise AssertionError(f"scimkeeper {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def cli_json(self, *args: str) -> Any:
        return json.loads(self.cli(*args, "--json").stdout)

    def client(self, token: str | None = None, **headers: str) -> httpx.Client:
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        client = httpx.Client(base_url=self.scim_url, headers=headers, timeout=30)
        self.clients.append(client)
        return client

    def tenant(self, *, enterprise: bool = True, email_domains: tuple[str, ...] = ()) -> Tenant:
        """A new account with a token and authorized domains, made through the domain layer on the server's
        database (the CLI has its own tests). A domain belongs to one account at a time: release it after use."""
        name = f"acct-{uuid.uuid4().hex[:10]}"
        now = datetime.now(UTC)
        with self.db.write() as conn:
            account = accounts.create(conn, name, plan=accounts.ENTERPRISE, actor=OPERATOR, now=now)
            issued = tokens.generate(conn, account, actor=OPERATOR, now=now)
            for domain in email_domains:
                domains.authorize(conn, account, domain, include_subdomains=False, actor=OPERATOR, now=now)
            if not enterprise:  # a standard account cannot get a token: issue it first, then downgrade
                accounts.set_plan(conn, account, accounts.STANDARD, actor=OPERATOR, now=now)
        return Tenant(account.id, name, issued.plaintext, self.client(issued.plaintext))

    def release_domains(self, tenant: Tenant) -> None:
        """Revoke every domain of the tenant, so that another test's tenant may take them."""
        now = datetime.now(UTC)
        with self.db.write() as conn:
            account = accounts.resolve(conn, tenant.id)
            for row in domains.list_for(conn, account):
                domains.revoke(conn, account, row.domain, actor=OPERATOR, now=now)

    def log_text(self) -> str:
        return self.log_path.read_text()


def start_server(env: dict[str, str], log_path: Path) -> Server:
    port = free_port()
    env = {**env, "SCIMKEEPER_PORT": str(port)}
    with log_path.open("wb") as log_file:
        process = subprocess.Popen([*CLI, "serve"], env=env, stdout=log_file, stderr=subprocess.STDOUT)
    server = Server(env, Database(env["SCIMKEEPER_DATABASE_URL"]), f"http://127.0.0.1:{port}", log_path, process)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"scimkeeper serve exited with {process.returncode}:\n{server.log_text()}")
        try:
            httpx.get(f"{server.scim_url}/ServiceProviderConfig", timeout=1)
            return server
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError(f"scimkeeper serve did not answer within 30 s:\n{server.log_text()}")


def stop_server(server: Server) -> None:
    for client in server.clients:
        client.close()
    server.db.dispose()
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture(scope="session", params=BACKENDS)
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One live server per backend for the whole session; tests isolate themselves by account."""
    tmp = tmp_path_factory.mktemp(f"serve-{request.param}")
    env = {
        **os.environ,
        "SCIMKEEPER_DATABASE_URL": database_url(request.param, request, tmp),
        "SCIMKEEPER_LOG_FORMAT": "json",
        "SCIMKEEPER_LOG_LEVEL": "INFO",
    }
    env.pop("SCIMKEEPER_PUBLIC_BASE_URL", None)
    running = start_server(env, tmp / "server.log")
    yield running
    stop_server(running)
    assert "unhandled error" not in running.log_text(), "a request ended in a 500 during the session"


# The e-mail domains of the tests' addresses and recorded IdP bodies; the `tenant` of a test holds them while it runs.
TEST_DOMAINS = (
    "acme.com",
    "okta.local",
    "testuser.com",
    "contoso.com",
    "microsoft.com",
    "email.com",
    "joe.com",
    "example.com",
)


@pytest.fixture
def tenant(server: Server) -> Iterator[Tenant]:
    """An Enterprise account that owns TEST_DOMAINS for the duration of one test."""
    current = server.tenant(email_domains=TEST_DOMAINS)
    yield current
    server.release_domains(current)
