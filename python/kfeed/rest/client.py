"""The async Koscom REST client: ``async with RestClient(url, key=...) as client: await client.stocks.price(...)``."""

from __future__ import annotations

import asyncio
import datetime as dt
from types import TracebackType
from typing import Any, Self

from kfeed.krx_calendar import last_session_day
from kfeed.rest import lenient
from kfeed.rest.families import Derivatives, Indices, Multiquote, Stocks
from kfeed.rest.retry import RetryPolicy
from kfeed.rest.transport import REDACTED, QueryValue, Transport

__all__ = ["RestClient", "today_kst"]


def today_kst() -> dt.date:
    """Today's date in Korea."""
    return dt.datetime.now(lenient.KST).date()


class RestClient:
    """Async client for all 40 live Koscom REST endpoints, one pooled aiohttp session per client.

    The families are attributes named after their path segment (so ``getattr(client, "futures")`` works):
    :attr:`stocks`, :attr:`multiquote`, :attr:`futures`, :attr:`options`, :attr:`index`. ``trading_date``
    (default: today in KST, or on a day without a session the last day with one) dates the vendor's bare
    ``HHMMSSmm`` times so that every ``time`` is nanoseconds since the Unix epoch; intraday bars are dated by the
    day asked for. ``concurrency`` bounds the multiquote batches in flight. The API key travels only in the
    ``apikey`` header and never shows in a repr, a log line or an exception message.

    Errors (:mod:`kfeed.errors`): a rejected key raises :class:`~kfeed.errors.AuthError` at once; an exhausted daily
    quota raises :class:`~kfeed.errors.RateLimitError` at once; 5xx, 429 and connection failures are retried per
    ``retry`` and then raised; vendor errors raise :class:`~kfeed.errors.RestError` with ``status`` and ``code``.
    """

    def __init__(
        self,
        url: str,
        *,
        key: str,
        timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        trading_date: dt.date | str | None = None,
        concurrency: int = 4,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self._transport = Transport(
            url, key, timeout=timeout, retry=retry or RetryPolicy(), connections=max(concurrency, 4)
        )
        self.trading_date = lenient.parse_day(trading_date) if trading_date is not None else last_session_day()
        self.limiter = asyncio.Semaphore(concurrency)
        """Bounds the multiquote batches in flight at once."""
        self.stocks = Stocks(self)
        self.multiquote = Multiquote(self)
        self.futures = Derivatives(self, "futures")
        self.options = Derivatives(self, "options")
        self.index = Indices(self)

    def __repr__(self) -> str:
        state = "open" if self._transport.is_open else "closed"
        return f"RestClient(url={self.url!r}, key={REDACTED}, trading_date={self.trading_date.isoformat()}, {state})"

    @property
    def url(self) -> str:
        """The base URL (scheme, host and port)."""
        return self._transport.url

    @property
    def requests_sent(self) -> int:
        """HTTP requests sent so far, retries included."""
        return self._transport.requests

    async def open(self) -> None:
        """Open the connection pool (also done on first use)."""
        await self._transport.open()

    async def close(self) -> None:
        """Close the connection pool."""
        await self._transport.close()

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def raw(self, path: str, /, **params: QueryValue) -> Any:
        """The decoded JSON body of ``GET path?params`` exactly as the server sent it, for debugging.

        A parameter given as None is sent as a bare key (``?prevddClsprc``). Failures raise the typed errors.
        """
        return await self._transport.get(path, params)

    async def result(self, path: str, /, **params: QueryValue) -> Any:
        """The wire payload of ``GET path?params``: the JSON-RPC ``result``, or the whole body of bare endpoints.

        For callers that want the vendor's records themselves (e.g. to feed them to the Rust core).
        """
        return await self._transport.result(path, params)
