"""When and how long the REST client waits before retrying: jittered exponential backoff and the rate-limit headers.

Only transient failures are retried: HTTP 5xx, HTTP 429 while the daily quota still has room, and connection errors
or timeouts. An exhausted quota (``X-RateLimit-Remaining-Day: 0``) is final for the day, so it is never retried.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["RetryPolicy", "quota_exhausted", "retry_after"]

REMAINING_HEADER = "X-RateLimit-Remaining-Day"
RETRY_AFTER_HEADER = "Retry-After"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How many times a GET is tried and how long to wait in between.

    The wait before retry ``n`` (0-based) is uniform in ``[0, min(max_delay, base_delay * 2**n)]`` ("full jitter"),
    or the server's ``Retry-After`` when it sends one. A ``Retry-After`` longer than ``max_retry_after`` is not
    waited for: the call fails at once.
    """

    attempts: int = 4
    base_delay: float = 0.2
    max_delay: float = 5.0
    max_retry_after: float = 60.0
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0 or self.max_retry_after < 0:
            raise ValueError("delays must not be negative")

    def backoff(self, retry: int) -> float:
        """The jittered wait in seconds before retry number ``retry`` (0 for the first retry)."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** min(retry, 32)))
        return self.rng.uniform(0.0, ceiling)

    def wait(self, retry: int, headers: Mapping[str, str]) -> float | None:
        """Seconds to wait before retry ``retry`` given a failed response's headers; None if waiting is pointless."""
        server_wait = retry_after(headers)
        if server_wait is None:
            return self.backoff(retry)
        return server_wait if server_wait <= self.max_retry_after else None


def retry_after(headers: Mapping[str, str]) -> float | None:
    """The ``Retry-After`` header in seconds (the delay-seconds form), or None when absent or not a number."""
    raw = headers.get(RETRY_AFTER_HEADER)
    if raw is None:
        return None
    try:
        seconds = float(raw.strip())
    except ValueError:
        return None
    return max(seconds, 0.0) if seconds == seconds else None


def quota_exhausted(headers: Mapping[str, str]) -> bool:
    """True when the response says the day's quota is used up (``X-RateLimit-Remaining-Day`` is 0 or less)."""
    raw = headers.get(REMAINING_HEADER)
    if raw is None:
        return False
    try:
        return int(raw.strip()) <= 0
    except ValueError:
        return False
