"""API-key checks, the daily request quota and the vendor gateway's error bodies (protocol §1)."""

from __future__ import annotations

import datetime as dt
import hmac

__all__ = [
    "DEFAULT_KEY",
    "INVALID_KEY_BODY",
    "NO_KEY_BODY",
    "NO_ROUTE_BODY",
    "RATE_LIMIT_BODY",
    "DailyQuota",
    "KeyCheck",
]

DEFAULT_KEY = "l7xx" + "0123456789abcdef" * 2
"""The key every simulator accepts unless configured otherwise: `l7xx` + 32 hex digits, like the vendor's examples."""

NO_KEY_BODY = {"message": "No API key found in request"}
INVALID_KEY_BODY = {"message": "Invalid authentication credentials"}
NO_ROUTE_BODY = {"message": "no Route matched with those values"}
RATE_LIMIT_BODY = {"message": "API rate limit exceeded"}

_KST = dt.timezone(dt.timedelta(hours=9))


class KeyCheck:
    """Compares presented keys with the one configured key in constant time; never exposes the key."""

    __slots__ = ("_key",)

    def __init__(self, key: str) -> None:
        self._key = key.encode()

    def __repr__(self) -> str:
        return "KeyCheck(key=<redacted>)"

    def accepts(self, presented: str | None) -> bool:
        """True when `presented` is exactly the configured key."""
        return presented is not None and hmac.compare_digest(presented.encode(), self._key)


class DailyQuota:
    """The per-key daily request budget; it refills when the KST calendar day changes."""

    def __init__(self, limit: int) -> None:
        if limit < 0:
            raise ValueError("daily quota must be >= 0")
        self.limit = limit
        self._used = 0
        self._day = self._today()

    @staticmethod
    def _today() -> dt.date:
        return dt.datetime.now(_KST).date()

    def _roll(self) -> None:
        today = self._today()
        if today != self._day:
            self._day = today
            self._used = 0

    @property
    def remaining(self) -> int:
        """Requests left today."""
        self._roll()
        return max(self.limit - self._used, 0)

    def take(self) -> bool:
        """Spend one request; False (and nothing spent) when the day's budget is used up."""
        self._roll()
        if self._used >= self.limit:
            return False
        self._used += 1
        return True

    def headers(self) -> dict[str, str]:
        """The vendor's rate-limit headers for the current state."""
        return {"X-RateLimit-Limit-Day": str(self.limit), "X-RateLimit-Remaining-Day": str(self.remaining)}
