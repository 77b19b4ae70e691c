"""HTTP for the REST client: one pooled aiohttp session, the key in a header, retries, and typed errors.

Every GET goes through :meth:`Transport.get`: it sends the key only in the ``apikey`` header, retries transient
failures per :class:`~kfeed.rest.retry.RetryPolicy`, decodes the body with orjson and turns every failure into a
:mod:`kfeed.errors` exception. The key is scrubbed from every log line and exception message this module produces.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import aiohttp
import orjson
import yarl

from kfeed.errors import AuthError, RateLimitError, RestError
from kfeed.rest.retry import RetryPolicy, quota_exhausted

__all__ = ["REDACTED", "Transport"]

log = logging.getLogger("kfeed.rest")

REDACTED = "<redacted>"
"""What the API key is replaced with wherever it could otherwise show."""

QueryValue = str | int | None
"""A query parameter value; None sends the bare key (``?prevddClsprc&wk52HgstPrc``)."""


class Transport:
    """GETs against one Koscom host with one connection pool; retries and maps errors (see module doc)."""

    def __init__(self, url: str, key: str, *, timeout: float, retry: RetryPolicy, connections: int) -> None:
        if not key:
            raise ValueError("an API key is required")
        parsed = yarl.URL(url)
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise ValueError(f"not an http(s) URL: {url!r}")
        if parsed.query_string or any(k.lower() == "apikey" for k in parsed.query):
            raise ValueError("the base URL must not carry a query string (the key goes in the apikey header)")
        self.url = str(parsed).rstrip("/")
        self.retry = retry
        self.requests = 0
        self._key = key
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._connections = connections
        self._session: aiohttp.ClientSession | None = None

    def redact(self, text: str) -> str:
        """``text`` with every occurrence of the API key replaced by :data:`REDACTED`."""
        return text.replace(self._key, REDACTED)

    @property
    def is_open(self) -> bool:
        """True while the connection pool is open."""
        return self._session is not None and not self._session.closed

    async def open(self) -> None:
        """Open the connection pool (done on first use; idempotent)."""
        if not self.is_open:
            self._session = aiohttp.ClientSession(
                headers={"apikey": self._key, "Accept": "application/json"},
                timeout=self._timeout,
                connector=aiohttp.TCPConnector(limit=self._connections),
            )

    async def close(self) -> None:
        """Close the connection pool; a later call opens a new one."""
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()

    def _target(self, path: str, params: Mapping[str, QueryValue]) -> yarl.URL:
        if not path.startswith("/"):
            raise ValueError(f"path must start with '/': {path!r}")
        parts = []
        for name, value in params.items():
            if name.lower() == "apikey":
                raise ValueError("the API key is sent in the apikey header, never as a query parameter")
            encoded = quote(name, safe="")
            parts.append(encoded if value is None else f"{encoded}={quote(str(value), safe=',')}")
        query = "?" + "&".join(parts) if parts else ""
        return yarl.URL(self.url + quote(path, safe="/*") + query, encoded=True)

    async def get(self, path: str, params: Mapping[str, QueryValue] | None = None) -> Any:
        """GET ``path`` and return the decoded JSON body; typed :mod:`kfeed.errors` exceptions on failure."""
        target = self._target(path, params or {})
        shown = self.redact(target.path_qs)
        await self.open()
        assert self._session is not None
        for attempt in range(self.retry.attempts):
            last = attempt == self.retry.attempts - 1
            self.requests += 1
            started = time.perf_counter()
            try:
                async with self._session.get(target, allow_redirects=False) as response:
                    status, headers, data = response.status, response.headers, await response.read()
            except (aiohttp.ClientError, TimeoutError) as exc:
                error = RestError(self.redact(f"GET {shown} failed: {type(exc).__name__}: {exc}"))
                if last:
                    raise error from None
                pause = self.retry.backoff(attempt)
                log.warning("%s; retry %d/%d in %.2f s", error, attempt + 1, self.retry.attempts - 1, pause)
                await asyncio.sleep(pause)
                continue
            elapsed = (time.perf_counter() - started) * 1000
            log.debug("GET %s -> %d (%d bytes, %.1f ms)", shown, status, len(data), elapsed)
            body = _json(data)
            if status == 200 and body is not _NOT_JSON:
                return body
            error = self._error(status, body, data, shown)
            if not _retryable(status) or last:
                raise error
            if quota_exhausted(headers):
                raise RateLimitError(
                    f"{error} (daily quota used up: X-RateLimit-Remaining-Day is 0)", status=status, code=error.code
                )
            delay = self.retry.wait(attempt, headers)
            if delay is None:
                raise error
            log.warning("%s; retry %d/%d in %.2f s", error, attempt + 1, self.retry.attempts - 1, delay)
            await asyncio.sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def result(self, path: str, params: Mapping[str, QueryValue] | None = None) -> Any:
        """GET ``path`` and return its payload: ``result`` of a JSON-RPC envelope, or the bare body itself.

        An envelope carrying ``error`` (even with HTTP 200) raises :class:`~kfeed.errors.RestError` with the code.
        """
        body = await self.get(path, params)
        if isinstance(body, Mapping):
            if "result" in body:
                return body["result"]
            if isinstance(body.get("error"), Mapping):
                raise self._error(200, body, b"", self.redact(path))
        return body

    def _error(self, status: int, body: Any, data: bytes, shown: str) -> RestError:
        """The typed exception for a non-200 (or non-JSON) answer."""
        message, code = _vendor_message(body, data)
        text = self.redact(f"GET {shown}: HTTP {status}: {message}" + (f" (vendor code {code})" if code else ""))
        if status in (401, 403):
            return AuthError(text, status=status, code=code)
        if status == 429:
            return RateLimitError(text, status=status, code=code)
        return RestError(text, status=status, code=code)


_NOT_JSON = object()


def _json(data: bytes) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return _NOT_JSON


def _retryable(status: int) -> bool:
    return status == 429 or status >= 500


def _vendor_message(body: Any, data: bytes) -> tuple[str, int | None]:
    """The message and vendor code of an error body, in any of its documented shapes."""
    if isinstance(body, Mapping):
        error = body.get("error")
        if isinstance(error, Mapping):
            code = error.get("code")
            try:
                number = int(code) if code is not None else None
            except (TypeError, ValueError):
                number = None
            return str(error.get("message", "")), number
        if isinstance(error, str):
            return error, None
        if "message" in body:
            return str(body["message"]), None
    text = data[:200].decode("utf-8", "replace").strip()
    return (text or "empty body"), None
