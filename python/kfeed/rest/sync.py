"""A blocking wrapper of :class:`~kfeed.rest.client.RestClient` for scripts and notebooks.

The wrapper runs one private event loop in a daemon thread and hands each call to it. Compared with
``asyncio.run`` per call this keeps one connection pool for the client's lifetime (no new TCP/TLS handshake per
call), and it works where the calling thread already runs an event loop (Jupyter), where ``asyncio.run`` refuses.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
import threading
from collections.abc import Callable, Coroutine
from types import TracebackType
from typing import Any, Self, TypeVar

from kfeed.rest.client import RestClient
from kfeed.rest.transport import QueryValue

__all__ = ["SyncRestClient"]

_T = TypeVar("_T")


class _Blocking:
    """A family of the async client whose coroutine methods block and return their result."""

    def __init__(self, target: object, run: Callable[[Coroutine[Any, Any, Any]], Any]) -> None:
        self._target = target
        self._run = run

    def __repr__(self) -> str:
        return f"<blocking {self._target!r}>"

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._target, name)
        if name.startswith("_") or not inspect.iscoroutinefunction(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            return self._run(attribute(*args, **kwargs))

        call.__name__ = name
        call.__doc__ = attribute.__doc__
        return call


class SyncRestClient:
    """The REST client with blocking methods: ``client.stocks.price("kospi", "005930")`` returns a ``Price``.

    Takes the same arguments as :class:`~kfeed.rest.client.RestClient`; every family method has the same
    signature and result. Use it as a context manager or call :meth:`close`.
    """

    def __init__(self, url: str, *, key: str, **options: Any) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="kfeed-rest", daemon=True)
        self._thread.start()
        try:
            self._client = self._run(self._create(url, key, options))
        except BaseException:
            self._stop()
            raise
        self.stocks = _Blocking(self._client.stocks, self._run)
        self.multiquote = _Blocking(self._client.multiquote, self._run)
        self.futures = _Blocking(self._client.futures, self._run)
        self.options = _Blocking(self._client.options, self._run)
        self.index = _Blocking(self._client.index, self._run)

    @staticmethod
    async def _create(url: str, key: str, options: dict[str, Any]) -> RestClient:
        return RestClient(url, key=key, **options)

    def _run(self, coroutine: Coroutine[Any, Any, _T]) -> _T:
        if self._loop.is_closed():
            coroutine.close()
            raise RuntimeError("the client is closed")
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def __repr__(self) -> str:
        return f"Sync{self._client!r}"

    @property
    def requests_sent(self) -> int:
        """HTTP requests sent so far, retries included."""
        return self._client.requests_sent

    @property
    def trading_date(self) -> dt.date:
        """The date that the vendor's bare times are taken to fall on."""
        return self._client.trading_date

    def raw(self, path: str, /, **params: QueryValue) -> Any:
        """The decoded JSON body of ``GET path?params`` (see :meth:`RestClient.raw`)."""
        return self._run(self._client.raw(path, **params))

    def result(self, path: str, /, **params: QueryValue) -> Any:
        """The wire payload of ``GET path?params`` (see :meth:`RestClient.result`)."""
        return self._run(self._client.result(path, **params))

    def close(self) -> None:
        """Close the connection pool and stop the private loop (idempotent)."""
        if self._loop.is_closed():
            return
        self._run(self._client.close())
        self._stop()

    def _stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
