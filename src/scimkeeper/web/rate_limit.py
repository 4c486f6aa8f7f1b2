"""Per-credential rate limiting of the SCIM API in one process: token buckets, checked before any database work.

A runaway client (a retry loop, a misconfigured sync) gets 429 with Retry-After instead of starving the others.
The limit is per process: behind a load balancer with N processes a client may get up to N times the rate.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from threading import Lock

MAX_TRACKED = 10_000  # credentials remembered at once; the least recently seen are forgotten first


class RateLimiter:
    """`rate` requests per second on average per credential, in bursts of up to `burst`."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key → (tokens, at)
        self._lock = Lock()

    def retry_after(self, credential: str | None) -> int | None:
        """None if the request may go ahead; otherwise the whole seconds to wait."""
        key = hashlib.sha256((credential or "").encode()).hexdigest()[:32]  # never keep credentials themselves
        now = self.clock()
        with self._lock:
            tokens, at = self._buckets.pop(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - at) * self.rate)
            allowed = tokens >= 1.0
            self._buckets[key] = (tokens - 1.0 if allowed else tokens, now)
            while len(self._buckets) > MAX_TRACKED:
                self._buckets.popitem(last=False)
        return None if allowed else max(1, math.ceil((1.0 - tokens) / self.rate))
