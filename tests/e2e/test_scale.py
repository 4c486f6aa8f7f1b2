"""Two `scimkeeper serve` deployments (one of them with two workers) on one PostgreSQL database, started together
with `scimkeeper db upgrade` runs, driven alternately: what must happen once happens once across processes."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from prometheus_client.parser import text_string_to_metric_families

from scimkeeper.domain import accounts, audit, members
from scimkeeper.domain.audit import OPERATOR
from scimkeeper.scim.documents import parse_resource
from scimkeeper.scim.schema import USER_RESOURCE
from scimkeeper.storage import migrate
from scimkeeper.storage.db import Database
from tests.conftest import PostgresServer
from tests.documents import PATCH_OP, employee
from tests.e2e.conftest import CLI, Server, Tenant, free_port, stop_server

log = logging.getLogger("tests.e2e.scale")  # measurements; see them with -o log_cli=true
POOL_SIZE = 5
WINDOW = timedelta(days=1)


@dataclass
class Cluster:
    a: Server
    b: Server  # two workers behind one port
    upgrades: list[tuple[int, str, str]]  # (exit code, stdout, stderr) of `db upgrade` runs started with the servers

    @property
    def servers(self) -> tuple[Server, Server]:
        return self.a, self.b


def launch(env: dict[str, str], log_path: Path) -> Server:
    port = free_port()
    env = {**env, "SCIMKEEPER_PORT": str(port)}
    with log_path.open("wb") as log_file:
        process = subprocess.Popen([*CLI, "serve"], env=env, stdout=log_file, stderr=subprocess.STDOUT)
    return Server(env, Database(env["SCIMKEEPER_DATABASE_URL"]), f"http://127.0.0.1:{port}", log_path, process)


def wait_ready(server: Server) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"scimkeeper serve exited with {server.process.returncode}:\n{server.log_text()}")
        try:
            if httpx.get(f"{server.base_url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"scimkeeper serve was not ready within 60 s:\n{server.log_text()}")


@pytest.fixture(scope="module")
def cluster(postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """On a fresh database, three `db upgrade` runs and both servers start at the same moment."""
    tmp = tmp_path_factory.mktemp("scale")
    env = {
        **os.environ,
        "SCIMKEEPER_DATABASE_URL": postgres_server.create_database(),
        "SCIMKEEPER_LOG_FORMAT": "json",
        "SCIMKEEPER_PURGE_INTERVAL_SECONDS": "1",
        "SCIMKEEPER_DEPROVISION_WINDOW_DAYS": "1",
        "SCIMKEEPER_PURGE_BATCH_SIZE": "25",
        "SCIMKEEPER_DB_POOL_SIZE": str(POOL_SIZE),
    }
    for name in ("SCIMKEEPER_PUBLIC_BASE_URL", "SCIMKEEPER_WORKERS", "PROMETHEUS_MULTIPROC_DIR"):
        env.pop(name, None)
    upgrades = [
        subprocess.Popen([*CLI, "db", "upgrade", "--json"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(3)
    ]
    a = launch(env, tmp / "a.log")
    b = launch({**env, "SCIMKEEPER_WORKERS": "2"}, tmp / "b.log")
    try:
        outcomes = []
        for process in upgrades:
            out, err = process.communicate(timeout=60)
            outcomes.append((process.returncode, out.decode(), err.decode()))
        wait_ready(a)
        wait_ready(b)
        yield Cluster(a, b, outcomes)
    finally:
        stop_server(a)
        stop_server(b)
    for server in (a, b):
        assert "unhandled error" not in server.log_text()
        assert "Traceback" not in server.log_text()


@dataclass
class Pair:
    """One account seen through both deployments: `on_a` and `on_b` are SCIM clients with the same token."""

    tenant: Tenant
    domain: str
    on_a: httpx.Client
    on_b: httpx.Client


@pytest.fixture
def pair(cluster: Cluster) -> Iterator[Pair]:
    """An Enterprise account with an e-mail domain of its own."""
    domain = f"t{uuid.uuid4().hex[:8]}.scale.example"
    tenant = cluster.a.tenant(email_domains=(domain,))
    yield Pair(tenant, domain, tenant.client, cluster.b.client(tenant.token))
    cluster.a.release_domains(tenant)


def metric(server: Server, name: str, **labels: str) -> float:
    text = httpx.get(f"{server.base_url}/metrics").text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
    )


def test_processes_starting_together_migrate_once(cluster: Cluster) -> None:
    """Three `db upgrade` runs and two servers on an empty database: no error, one migration, head revision."""
    head = migrate.head_revision()
    assert [(code, json.loads(out)["revision"]) for code, out, _ in cluster.upgrades] == [(0, head)] * 3
    assert all("Traceback" not in err for _, _, err in cluster.upgrades)
    runs = sum(server.log_text().count("Running upgrade") for server in cluster.servers)
    assert runs <= 1  # zero when a `db upgrade` run got the lock first (it does not log)
    with cluster.a.db.read() as conn:
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").all() == [(head,)]


def test_okta_flow_alternates_between_processes(pair: Pair) -> None:
    """POST on A, GET and PUT on B, PATCH on A with B's ETag, filter on B, reactivate on B, DELETE on A."""
    a, b = pair.on_a, pair.on_b
    email = f"ada@{pair.domain}"
    created = a.post("/Users", json=employee(email, name={"givenName": "Ada"}))
    assert created.status_code == 201
    uid = created.json()["id"]
    assert b.get(f"/Users/{uid}").json()["userName"] == email
    replaced = b.put(f"/Users/{uid}", json=employee(email, name={"givenName": "Ada", "familyName": "Lovelace"}))
    assert replaced.json()["name"]["familyName"] == "Lovelace"
    deactivate = {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": False}}]}
    patched = a.patch(f"/Users/{uid}", json=deactivate, headers={"If-Match": replaced.headers["ETag"]})
    assert (patched.status_code, patched.json()["active"]) == (200, False)
    stale = b.patch(f"/Users/{uid}", json=deactivate, headers={"If-Match": replaced.headers["ETag"]})
    assert stale.status_code == 412
    listed = b.get("/Users", params={"filter": f'userName eq "{email}"'}).json()
    assert [(r["id"], r["active"]) for r in listed["Resources"]] == [(uid, False)]
    reactivate = {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": True}}]}
    assert b.patch(f"/Users/{uid}", json=reactivate).json()["active"] is True
    assert a.delete(f"/Users/{uid}").status_code == 204
    assert b.get(f"/Users/{uid}").status_code == 404
    assert a.get("/Users", params={"filter": f'userName eq "{email}"'}).json()["totalResults"] == 0


def connections(db: Database) -> int:
    with psycopg.connect(db.url.set(drivername="postgresql").render_as_string(hide_password=False)) as conn:
        row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()").fetchone()
    assert row is not None
    return int(row[0]) - 1


def test_concurrent_duplicate_creates_across_processes_give_one_201(cluster: Cluster, pair: Pair) -> None:
    """20 times, 50 simultaneous POSTs of one userName spread over both deployments: one 201, 49 409, no 5xx;
    the database connections stay within each process's pool (size + overflow)."""
    clients = [pair.on_a, pair.on_b]
    peak, sampling = [0], threading.Event()

    def sample() -> None:
        while not sampling.is_set():
            peak[0] = max(peak[0], connections(cluster.a.db))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.monotonic()
    try:
        with ThreadPoolExecutor(50) as pool:
            for round_ in range(20):
                body = employee(f"dup{round_}@{pair.domain}")
                barrier = threading.Barrier(50)

                def create(i: int, body: dict[str, Any] = body, barrier: threading.Barrier = barrier) -> int:
                    barrier.wait(timeout=30)
                    return clients[i % 2].post("/Users", json=body).status_code

                statuses = Counter(pool.map(create, range(50)))
                assert statuses == {201: 1, 409: 49}, f"round {round_}: {statuses}"
    finally:
        sampling.set()
        sampler.join()
    log.info(f"1,000 duplicate creates (20 x 50) in {time.monotonic() - started:.2f} s; peak connections {peak[0]}")
    processes = 3  # A, and B's two workers
    test_side = 4  # this test's own pools
    assert peak[0] <= processes * 2 * POOL_SIZE + test_side


def test_token_last_use_is_written_once_a_minute_across_processes(cluster: Cluster, pair: Pair) -> None:
    """After the first request records the token's use, 40 more on both deployments within the minute write nothing."""
    assert pair.on_a.get("/Users", params={"count": 0}).status_code == 200

    def last_used() -> datetime | None:
        found = cluster.a.cli_json("account", "show", pair.tenant.id)["scim_token"]["last_used_at"]
        return datetime.fromisoformat(found) if found else None

    first = last_used()
    assert first is not None
    for i in range(40):
        client = pair.on_b if i % 2 else pair.on_a
        assert client.get("/Users", params={"count": 0}).status_code == 200
    if datetime.now(UTC) - first < timedelta(seconds=55):
        assert last_used() == first


def test_two_purge_loops_remove_each_due_member_once(cluster: Cluster, pair: Pair) -> None:
    """150 members deprovisioned two days ago (window: one day) are purged by the loops of both deployments
    (three processes, batches of 25): each removed and audited exactly once, and counted once in the metrics."""
    before = [metric(s, "scimkeeper_provisioning_events_total", event="purged") for s in cluster.servers]
    long_ago = datetime.now(UTC) - 2 * WINDOW
    with cluster.a.db.write() as conn:
        account = accounts.resolve(conn, pair.tenant.id)
        due = {
            members.provision(
                conn,
                account,
                parse_resource(employee(f"gone{i}@{pair.domain}", active=False), USER_RESOURCE),
                actor=OPERATOR,
                now=long_ago,
            ).id
            for i in range(150)
        }

    def purged() -> Counter[str | None]:
        with cluster.a.db.read() as conn:
            return Counter(e.target_id for e in audit.events(conn, pair.tenant.id) if e.action == "member.purged")

    # (due_for_purge is no witness: on PostgreSQL it skips the rows a purge in progress has locked)
    took = wait_and_measure(lambda: purged().total() >= len(due), timeout=30)
    time.sleep(1.5)  # a purge interval and a half: a second removal of anyone would show now
    assert purged() == dict.fromkeys(due, 1)

    def counted() -> list[float]:
        return [
            metric(s, "scimkeeper_provisioning_events_total", event="purged") - b
            for s, b in zip(cluster.servers, before, strict=True)
        ]

    wait_and_measure(lambda: sum(counted()) == len(due), timeout=10)
    split = counted()
    log.info(f"150 due members purged in {took:.2f} s by A: {split[0]:.0f}, B (two workers): {split[1]:.0f}")
    assert all(metric(s, "scimkeeper_purge_runs_total", outcome="failed") == 0 for s in cluster.servers)


def wait_and_measure(condition: Any, timeout: float) -> float:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"not true within {timeout} s")
        time.sleep(0.05)
    return time.monotonic() - started
