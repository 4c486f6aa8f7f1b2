"""Prometheus metrics: requests, latencies, provisioning events, purge runs and authentication failures.

Like `config` and `log`, importable from every layer that may count (web, jobs) and never instantiated at import
time: the application factory makes one `Metrics` per process and passes it down. Of the layers it reads only the
audit log's vocabulary (`domain.vocabulary`, which imports nothing). With `PROMETHEUS_MULTIPROC_DIR` set
(`serve --workers N` sets it), each process writes its samples to that directory and /metrics adds them up
(prometheus-client's multiprocess mode, which reads the variable when it is first imported).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from scimkeeper.domain.vocabulary import Action

MULTIPROC_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST

# Audit actions of the member lifecycle, as the provisioning events they count as.
EVENTS: dict[str, str] = {
    Action.MEMBER_PROVISIONED: "created",
    Action.MEMBER_REPLACED: "updated",
    Action.MEMBER_PATCHED: "updated",
    Action.MEMBER_DEPROVISIONED: "deprovisioned",
    Action.MEMBER_REACTIVATED: "reactivated",
    Action.MEMBER_REMOVED: "removed",
    Action.MEMBER_PURGED: "purged",
}
AUTH_APIS = ("scim", "api")
UNMATCHED_ROUTE = "unmatched"  # never the raw path: it would carry ids and unbounded label values


class Metrics:
    """The process's metrics. `account_labels` adds the account id (never a name or an address) as a label."""

    def __init__(self, *, multiprocess_dir: str | None = None, account_labels: bool = False) -> None:
        self.account_labels = account_labels
        self._children: dict[tuple[str, str, int, str | None], tuple[Any, Any]] = {}
        self.registry = CollectorRegistry()
        # In multiprocess mode the samples live in files; the registry only gathers them when /metrics is read.
        own = None if multiprocess_dir else self.registry
        if multiprocess_dir:
            MultiProcessCollector(self.registry, path=multiprocess_dir)  # type: ignore[no-untyped-call]  # untyped upstream
        account = ["account"] if account_labels else []
        self.requests = Counter(
            "scimkeeper_http_requests",
            "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status", *account],
            registry=own,
        )
        self.latency = Histogram(
            "scimkeeper_http_request_duration_seconds",
            "Time from the request's arrival to the end of its response, by method and route template.",
            ["method", "route"],
            registry=own,
        )
        self.events = Counter(
            "scimkeeper_provisioning_events",
            "Member lifecycle changes: created, updated, deprovisioned, reactivated, removed, purged.",
            ["event", *account],
            registry=own,
        )
        self.purge_runs = Counter(
            "scimkeeper_purge_runs", "Runs of the purge loop, by outcome (ok, failed).", ["outcome"], registry=own
        )
        self.purge_last_success = Gauge(
            "scimkeeper_purge_last_success_timestamp_seconds",
            "When a purge run last succeeded (Unix time; the latest of every process).",
            registry=own,
            multiprocess_mode="max",
        )
        self.auth_failures = Counter(
            "scimkeeper_auth_failures",
            "Requests answered 401: a missing, malformed, unknown or revoked credential, by API (scim, api).",
            ["api"],
            registry=own,
        )
        self.rate_limited = Counter(
            "scimkeeper_rate_limited",
            "SCIM requests refused with 429 because their token exceeded SCIMKEEPER_RATE_LIMIT_PER_SECOND.",
            registry=own,
        )
        # Series that exist from the start, so that rates and alerts see a 0 rather than nothing.
        for outcome in ("ok", "failed"):
            self.purge_runs.labels(outcome)
        for api in AUTH_APIS:
            self.auth_failures.labels(api)
        if not account_labels:
            for event in sorted(set(EVENTS.values())):
                self.events.labels(event)

    @classmethod
    def for_process(cls, *, account_labels: bool = False) -> Metrics:
        """Metrics in the mode prometheus-client was imported in: multiprocess if PROMETHEUS_MULTIPROC_DIR is set."""
        return cls(multiprocess_dir=os.environ.get(MULTIPROC_DIR_VARIABLE) or None, account_labels=account_labels)

    def request(self, method: str, route: str | None, status: int, seconds: float, account_id: str | None) -> None:
        route = route or UNMATCHED_ROUTE
        key = (method, route, status, account_id if self.account_labels else None)
        children = self._children.get(key)
        if children is None:  # `labels()` validates and locks on every call: look each series up once
            labels = [method, route, str(status)]
            if self.account_labels:
                labels.append(account_id or "")
            children = self._children[key] = (self.requests.labels(*labels), self.latency.labels(method, route))
        children[0].inc()
        children[1].observe(seconds)
        if status == 429:
            self.rate_limited.inc()
        if status == 401:
            api = next((api for api in AUTH_APIS if route.startswith(f"/{api}/")), None)
            if api is not None:
                self.auth_failures.labels(api).inc()

    def lifecycle(self, actions: Iterable[str], account_id: str | None) -> None:
        """Count the provisioning events among audit actions (others, such as token changes, are ignored)."""
        for action in actions:
            event = EVENTS.get(action)
            if event is not None:
                labels = [event, account_id or ""] if self.account_labels else [event]
                self.events.labels(*labels).inc()

    def purge_run(self, *, ok: bool, purged: Iterable[str] = (), at: float = 0.0) -> None:
        """A purge run: its outcome and the account id of each member it removed."""
        self.purge_runs.labels("ok" if ok else "failed").inc()
        if ok:
            self.purge_last_success.set(at)
            for account_id in purged:
                self.lifecycle([Action.MEMBER_PURGED], account_id)

    def render(self) -> bytes:
        """The Prometheus text exposition of every sample (of every process, in multiprocess mode)."""
        return generate_latest(self.registry)


def prepare_multiprocess_dir(path: str) -> None:
    """Wipe the samples of a previous run (prometheus-client asks for it before the processes start)."""
    directory = Path(path)
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()
