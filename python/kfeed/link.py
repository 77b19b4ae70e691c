"""One WebSocket connection to a Koscom stream: handshake, JSON-RPC requests, heartbeats and the receive path.

The receive path is one Rust call per socket read: the link's :class:`~kfeed.wsclient.WebSocketClient` (an asyncio
``BufferedProtocol``) lets the event loop read straight into the receive buffer of a
:class:`~kfeed._kfeed.FeedStream`, which deframes every complete WebSocket frame and applies each text message to
the feed in Rust; no Python object is made per frame. Python runs only when a read brought messages that applied no
rows (replies, server heartbeat requests, rejects): the link then drains the feed's event queue, so every reply is
matched to the link it arrived on. Pings are answered, and a close frame echoed, by the client.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import ssl
from collections.abc import Callable
from typing import Any

import orjson

from kfeed._kfeed import Feed, FeedStream
from kfeed.errors import AuthError, SessionError, SubscriptionError
from kfeed.wsclient import WebSocketClient

__all__ = ["Link", "LinkClosed"]

log = logging.getLogger("kfeed.link")

_request_ids = itertools.count(1)
"""Request ids are unique across every link of the process, so a reply can never be matched to the wrong request."""

_AUTH_ERROR_CODE = 13001


class LinkClosed(SessionError):
    """The connection closed, or stopped answering, while a request was outstanding."""


class Link:
    """A connected, initialised WebSocket to one stream path (``/ws``, ``/ws_ksp`` or ``/ws_kdq``).

    Create with :meth:`open`; it sends ``init`` and raises :class:`~kfeed.errors.AuthError` if the key is refused.
    """

    def __init__(self, feed: Feed, url: str, *, request_timeout: float, on_event: Callable[[tuple[Any, ...]], None]):
        self.feed = feed
        self.url = url
        self.stream = FeedStream(feed)
        """The Rust receive side: deframes this connection's bytes and applies its messages to the feed."""
        self.replies = 0
        """Messages that were JSON-RPC replies or server requests rather than market data."""
        self.unexpected_frames = 0
        """Binary messages, which the Koscom protocol never sends; counted and dropped."""
        self._request_timeout = request_timeout
        self._on_event = on_event
        self._client: WebSocketClient | None = None
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._closed = asyncio.Event()
        self._loop = asyncio.get_running_loop()

    def __repr__(self) -> str:
        state = "closed" if self._closed.is_set() else "open"
        return f"Link({self.url!r}, {state}, frames={self.frames})"

    @classmethod
    async def open(
        cls,
        feed: Feed,
        url: str,
        *,
        key: str,
        member: str,
        request_timeout: float = 5.0,
        ssl_context: ssl.SSLContext | None = None,
        on_event: Callable[[tuple[Any, ...]], None] = lambda event: None,
    ) -> Link:
        """Connects to ``url``, sends ``init`` with the key, and returns the ready link.

        Raises :class:`~kfeed.errors.SessionError` (:class:`~kfeed.wsclient.HandshakeError` for a refused or
        botched upgrade) if the connection cannot be made.
        """
        link = cls(feed, url, request_timeout=request_timeout, on_event=on_event)
        try:
            link._client = await WebSocketClient.connect(
                url,
                link.stream,
                ssl_context=ssl_context,
                timeout=request_timeout,
                on_messages=link.drain_events,
                on_binary=link.on_binary_messages,
                on_closed=link.on_disconnected,
            )
        except OSError as exc:
            raise SessionError(f"cannot connect to {url}: {exc.__class__.__name__}: {exc}") from None
        try:
            await link.request("init", {"key": key, "membername": member})
        except BaseException:
            link.close()
            raise
        return link

    @property
    def frames(self) -> int:
        """WebSocket messages received on this link (data and replies)."""
        return self.stream.messages

    @property
    def data_frames(self) -> int:
        """Messages received that were not replies: market data (and rejected frames)."""
        return self.frames - self.replies

    @property
    def close_code(self) -> int | None:
        """The code of the server's close frame (1005 if it had none), or None."""
        return self._client.close_code if self._client is not None else None

    @property
    def is_open(self) -> bool:
        """True until the connection is closed."""
        return not self._closed.is_set()

    async def wait_closed(self) -> None:
        """Returns once the connection is closed."""
        await self._closed.wait()

    async def request(self, method: str, params: dict[str, Any] | None = None) -> Any:
        """Sends one JSON-RPC request and returns its ``result``.

        Raises :class:`AuthError` for error 13001, :class:`SubscriptionError` for any other error reply,
        :class:`LinkClosed` if the connection closes or the reply does not come within the request timeout.
        """
        if self._client is None or self._closed.is_set():
            raise LinkClosed(f"{self.url} is closed")
        request_id = next(_request_ids)
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
        if params is not None:
            message["params"] = params
        future: asyncio.Future[Any] = self._loop.create_future()
        self._pending[request_id] = future
        try:
            self._send(orjson.dumps(message))
            return await asyncio.wait_for(future, self._request_timeout)
        except TimeoutError:
            raise LinkClosed(f"{method} got no reply from {self.url} within {self._request_timeout} s") from None
        finally:
            self._pending.pop(request_id, None)

    async def subscribe(self, preset: str, code: str) -> None:
        """Subscribes one (preset, code) pair; raises :class:`SubscriptionError` if refused."""
        await self.request("subscribe", {"preset": preset, "isuSrtCd": code})

    def drain_events(self) -> None:
        """Takes every queued feed event; replies resolve this link's requests, the rest go to the session."""
        for event in self.feed.drain_events():
            kind = event[0]
            if kind in ("result", "error", "heartbeat"):
                self.replies += 1
            if kind == "result":
                self._resolve(event[1], orjson.loads(event[2]) if event[2] else None, None)
            elif kind == "error":
                self._on_error_reply(event[1], event[2], event[3])
            elif kind == "heartbeat":
                self._answer_heartbeat(event[1])
            else:
                self._on_event(event)

    def _send(self, payload: bytes) -> None:
        if self._client is None or not self._client.is_open:
            raise LinkClosed(f"{self.url} is closed")
        self._client.send_text(payload)

    def _on_error_reply(self, request_id: int | None, code: int, message: str) -> None:
        if code == _AUTH_ERROR_CODE:
            error: Exception = AuthError(f"the server refused the API key (error {code}: {message})", code=code)
        else:
            error = SubscriptionError(f"error {code}: {message}", code=code)
        if request_id is None or request_id not in self._pending:
            log.warning("%s: error reply without a pending request: %s", self.url, error)
            self._on_event(("error", request_id, code, message))
            if code == _AUTH_ERROR_CODE:
                for future in self._pending.values():
                    if not future.done():
                        future.set_exception(error)
            return
        self._resolve(request_id, None, error)

    def _resolve(self, request_id: int | None, result: Any, error: Exception | None) -> None:
        future = self._pending.get(request_id) if request_id is not None else None
        if future is None or future.done():
            return
        if error is None:
            future.set_result(result)
        else:
            future.set_exception(error)

    def _answer_heartbeat(self, request_id: int | None) -> None:
        if self._client is not None and self._client.is_open:
            reply = {"jsonrpc": "2.0", "id": request_id, "result": {"message": "ok"}}
            self._client.send_text(orjson.dumps(reply))

    def on_binary_messages(self, count: int) -> None:
        """Counts binary messages, which the protocol never sends."""
        self.unexpected_frames += count
        log.warning("%s: dropped %d unexpected binary message(s)", self.url, count)

    def on_disconnected(self) -> None:
        """Marks the link closed and fails every outstanding request (once)."""
        if self._closed.is_set():
            return
        self.drain_events()
        self._closed.set()
        error = self._client.error if self._client is not None else None
        reason = f"code {self.close_code}" if error is None else str(error)
        for future in self._pending.values():
            if not future.done():
                future.set_exception(LinkClosed(f"{self.url} closed ({reason})"))

    def close(self) -> None:
        """Sends a close frame and closes the connection at once."""
        if self._client is not None:
            self._client.close()
        self.on_disconnected()
