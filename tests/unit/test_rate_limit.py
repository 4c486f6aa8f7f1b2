"""Token buckets per credential: bursts, refill, and a Retry-After in whole seconds."""

from __future__ import annotations

from scimkeeper.web.rate_limit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_is_allowed_then_refused_with_the_wait() -> None:
    """`burst` requests pass at once; the next one is told how long to wait."""
    clock = Clock()
    limiter = RateLimiter(rate=2, burst=3, clock=clock)
    assert [limiter.retry_after("tok") for _ in range(3)] == [None, None, None]
    assert limiter.retry_after("tok") == 1


def test_tokens_refill_at_the_rate() -> None:
    """After half a second at two per second, one more request passes."""
    clock = Clock()
    limiter = RateLimiter(rate=2, burst=1, clock=clock)
    assert limiter.retry_after("tok") is None
    assert limiter.retry_after("tok") == 1
    clock.now += 0.5
    assert limiter.retry_after("tok") is None


def test_credentials_have_their_own_buckets() -> None:
    """One client's burst does not limit another."""
    limiter = RateLimiter(rate=1, burst=1, clock=Clock())
    assert limiter.retry_after("a") is None
    assert limiter.retry_after("a") == 1
    assert limiter.retry_after("b") is None


def test_the_number_of_tracked_credentials_is_bounded() -> None:
    """Sprayed random tokens cannot grow memory without bound."""
    import scimkeeper.web.rate_limit as module  # noqa: PLC0415

    limiter = RateLimiter(rate=1, burst=1, clock=Clock())
    for i in range(module.MAX_TRACKED + 50):
        limiter.retry_after(f"t{i}")
    assert len(limiter._buckets) == module.MAX_TRACKED
