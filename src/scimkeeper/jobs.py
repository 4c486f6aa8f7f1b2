"""Periodic work: the purge of deprovisioned members whose window has passed.

Bounded batches, each its own transaction; idempotent; safe when several processes purge at once (a member is
removed, and audited, by exactly one of them). The loop stops between batches when asked to.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from scimkeeper.domain import members
from scimkeeper.domain.audit import Actor
from scimkeeper.domain.vocabulary import ActorType
from scimkeeper.metrics import Metrics
from scimkeeper.storage.db import Database

log = logging.getLogger("scimkeeper.jobs")
PURGE_ACTOR = Actor(ActorType.SYSTEM, "purge")


@dataclass
class PurgeReport:
    as_of: datetime
    dry_run: bool
    members: list[tuple[str, str]] = field(default_factory=list)  # (member id, account id)
    batches: int = 0


def purge(
    db: Database,
    *,
    now: datetime,
    window: timedelta,
    batch_size: int = 500,
    dry_run: bool = False,
    stop: threading.Event | None = None,
) -> PurgeReport:
    """Remove every member deprovisioned at least `window` before `now` (or, dry, list them)."""
    report = PurgeReport(as_of=now, dry_run=dry_run)
    if dry_run:
        with db.read() as conn:
            report.members = members.due_for_purge(conn, now=now, window=window, limit=1_000_000)
        return report
    while stop is None or not stop.is_set():
        with db.write() as conn:
            batch = members.purge_batch(conn, now=now, window=window, limit=batch_size, actor=PURGE_ACTOR)
        report.batches += 1
        report.members.extend(batch)
        if len(batch) < batch_size:
            break
    return report


class PurgeLoop:
    """Runs the purge every `interval` in a background thread of the serving process."""

    def __init__(
        self,
        db: Database,
        *,
        window: timedelta,
        interval: timedelta,
        batch_size: int,
        clock: Callable[[], datetime],
        metrics: Metrics | None = None,
    ) -> None:
        self._db = db
        self._metrics = metrics
        self._window = window
        self._interval = interval.total_seconds()
        self._batch_size = batch_size
        self._clock = clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="scimkeeper-purge", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the loop to stop between batches and wait for it."""
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                report = purge(
                    self._db, now=self._clock(), window=self._window, batch_size=self._batch_size, stop=self._stop
                )
                if report.members:
                    log.info("purge", extra={"purged": len(report.members), "batches": report.batches})
                if self._metrics is not None:
                    self._metrics.purge_run(ok=True, purged=[account for _, account in report.members], at=time.time())
            except Exception:  # a failed run is logged and retried at the next interval
                log.exception("purge failed")
                if self._metrics is not None:
                    self._metrics.purge_run(ok=False)
            self._stop.wait(self._interval)
