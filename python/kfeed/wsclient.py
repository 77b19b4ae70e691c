"""A WebSocket client (RFC 6455) whose receive path is one Rust call per socket read.

:class:`WebSocketClient` is an asyncio :class:`~asyncio.BufferedProtocol`: after the HTTP/1.1 upgrade the event loop
reads socket bytes straight into the free tail of a :class:`~kfeed._kfeed.FeedStream`'s fixed receive buffer, and
``buffer_updated`` hands the count to ``FeedStream.received``, which deframes every complete frame and applies each
text message to the feed in Rust. Python runs only when the stream flags something: messages that applied no rows
(replies and server requests, for the owner to drain from the feed's events), binary messages, pings (answered
with pongs), a close frame (echoed, then the connection closed) or a protocol error (closed with 1002, or 1009 for
a message over 1 MiB). A close the client starts is a closing handshake (RFC 6455 §7.1.1): data still arriving is
no longer applied, and the connection ends when the server answers with its own close frame or closes TCP, or
after :attr:`WebSocketClient.close_timeout` at the latest. Client frames are masked with a fresh ``os.urandom(4)``
key. Works with the default event loop and uvloop, over ``ws://`` and ``wss://``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import os
import ssl
from collections.abc import Callable
from typing import cast
from urllib.parse import urlsplit

from kfeed._kfeed import FeedStream, encode_frame
from kfeed.errors import ProtocolError, SessionError

__all__ = ["HandshakeError", "WebSocketClient"]

log = logging.getLogger("kfeed.wsclient")

MAX_RESPONSE_HEADER = 16_384
"""Largest handshake response header accepted, in bytes."""

_ACCEPT_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_TEXT, _CLOSE, _PONG = 1, 8, 10
_CLOSE_NORMAL, _CLOSE_PROTOCOL_ERROR, _CLOSE_NO_STATUS = 1000, 1002, 1005
_DEFAULT_PORTS = {"ws": 80, "wss": 443}


class HandshakeError(SessionError):
    """The server did not complete the WebSocket upgrade; ``status`` is its HTTP status when it sent one."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def _accept_for(key: bytes) -> bytes:
    """The ``Sec-WebSocket-Accept`` value a server must answer ``key`` with."""
    return base64.b64encode(hashlib.sha1(key + _ACCEPT_GUID).digest())


def _host_header(host: str, port: int, scheme: str) -> str:
    """The ``Host`` header: IPv6 literals bracketed, the port only when it is not the scheme's default."""
    name = f"[{host}]" if ":" in host else host
    return name if port == _DEFAULT_PORTS[scheme] else f"{name}:{port}"


def _tokens(value: str) -> set[str]:
    return {token.strip().lower() for token in value.split(",")}


def _check_response(url: str, head: bytes, key: bytes) -> None:
    """Validates the upgrade response header (without its final blank line); raises :class:`HandshakeError`."""
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise HandshakeError(f"{url}: not an HTTP response: {lines[0][:80]!r}")
    status = int(parts[1])
    if status != 101:
        reason = parts[2] if len(parts) > 2 else ""
        raise HandshakeError(f"{url}: the server refused the upgrade: HTTP {status} {reason}".rstrip(), status=status)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            raise HandshakeError(f"{url}: malformed response header line {line[:80]!r}", status=status)
        headers[name.strip().lower()] = value.strip()
    if headers.get("upgrade", "").lower() != "websocket":
        raise HandshakeError(f"{url}: the response lacks 'Upgrade: websocket'", status=status)
    if "upgrade" not in _tokens(headers.get("connection", "")):
        raise HandshakeError(f"{url}: the response lacks 'Connection: upgrade'", status=status)
    if headers.get("sec-websocket-accept", "").encode("latin-1") != _accept_for(key):
        raise HandshakeError(f"{url}: wrong Sec-WebSocket-Accept", status=status)
    for unasked in ("sec-websocket-extensions", "sec-websocket-protocol"):
        if headers.get(unasked):
            raise HandshakeError(f"{url}: the server chose a {unasked} kfeed did not offer", status=status)


class WebSocketClient(asyncio.BufferedProtocol):
    """One client WebSocket connection whose received text messages go straight into a :class:`FeedStream`.

    Create with :meth:`connect`. ``on_messages`` runs when messages applied no rows (drain the feed's events then),
    ``on_binary(count)`` when binary messages were skipped, ``on_closed`` once when the connection ends.
    """

    close_timeout: float = 1.0
    """Seconds a close the client starts waits for the server's close frame before the connection is dropped."""

    def __init__(
        self,
        url: str,
        stream: FeedStream,
        *,
        on_messages: Callable[[], None],
        on_binary: Callable[[int], None],
        on_closed: Callable[[], None],
    ) -> None:
        self.url = url
        self.stream = stream
        self.close_code: int | None = None
        """The code of the server's close frame (1005 if it had none), or None."""
        self.error: ProtocolError | None = None
        """The WebSocket protocol error the server made, if the connection was closed for one."""
        self._on_messages = on_messages
        self._on_binary = on_binary
        self._on_closed = on_closed
        self._key = base64.b64encode(os.urandom(16))
        self._head = bytearray(MAX_RESPONSE_HEADER)
        self._head_len = 0
        self._upgraded = False
        self._close_sent = False
        self._close_timer: asyncio.TimerHandle | None = None
        self._transport: asyncio.Transport | None = None
        loop = asyncio.get_running_loop()
        self._handshake: asyncio.Future[None] = loop.create_future()
        self._closed = asyncio.Event()

    def __repr__(self) -> str:
        state = "open" if self.is_open else "closed"
        return f"WebSocketClient({self.url!r}, {state}, messages={self.stream.messages})"

    @classmethod
    async def connect(
        cls,
        url: str,
        stream: FeedStream,
        *,
        ssl_context: ssl.SSLContext | None = None,
        timeout: float = 5.0,
        on_messages: Callable[[], None] = lambda: None,
        on_binary: Callable[[int], None] = lambda count: None,
        on_closed: Callable[[], None] = lambda: None,
    ) -> WebSocketClient:
        """Connects to a ``ws://`` or ``wss://`` URL and completes the upgrade within ``timeout`` seconds.

        ``ssl_context`` is used for ``wss://`` (default: the system's trust store) and ignored for ``ws://``.
        Raises :class:`HandshakeError` if the server refuses or botches the upgrade or does not answer in time,
        ``OSError`` if the connection cannot be made, ``ValueError`` for a URL that is not ``ws://`` or ``wss://``.
        """
        parts = urlsplit(url)
        if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
            raise ValueError(f"not a ws:// or wss:// URL: {url!r}")
        host, port = parts.hostname, parts.port or _DEFAULT_PORTS[parts.scheme]
        secure = parts.scheme == "wss"
        if secure and ssl_context is None:
            ssl_context = ssl.create_default_context()
        client = cls(url, stream, on_messages=on_messages, on_binary=on_binary, on_closed=on_closed)
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                await loop.create_connection(
                    lambda: client,
                    host,
                    port,
                    ssl=ssl_context if secure else None,
                    server_hostname=host if secure else None,
                )
                client._send_upgrade(_host_header(host, port, parts.scheme), parts.path or "/", parts.query)
                await client._handshake
        except TimeoutError:
            client._give_up()
            raise HandshakeError(f"{url}: no WebSocket handshake within {timeout} s") from None
        except BaseException:
            client._give_up()
            raise
        return client

    def _send_upgrade(self, host: str, path: str, query: str) -> None:
        assert self._transport is not None
        target = f"{path}?{query}" if query else path
        request = (
            f"GET {target} HTTP/1.1\r\n"
            f"Host: {host}\r\n"
            "Upgrade: websocket\r\n"
            "Connection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {self._key.decode()}\r\n"
            "Sec-WebSocket-Version: 13\r\n"
            "User-Agent: kfeed\r\n"
            "\r\n"
        )
        self._transport.write(request.encode("latin-1"))

    @property
    def is_open(self) -> bool:
        """True from the upgrade until the connection ends or a close is sent."""
        return self._upgraded and not self._closed.is_set() and not self._close_sent

    async def wait_closed(self) -> None:
        """Returns once the connection has ended."""
        await self._closed.wait()

    def send_text(self, payload: bytes) -> None:
        """Sends one text message (UTF-8 bytes); raises :class:`SessionError` if the connection is not open."""
        if not self.is_open or self._transport is None:
            raise SessionError(f"{self.url} is closed")
        self._transport.write(encode_frame(_TEXT, payload, os.urandom(4)))

    def close(self, code: int = _CLOSE_NORMAL, reason: str = "") -> None:
        """Sends a close frame (once) and ends the connection: at once when answering the server's close or a
        protocol error, else when the server answers with its close frame or closes TCP, or after
        :attr:`close_timeout` seconds. Data arriving meanwhile is deframed but no longer applied."""
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        if self._upgraded and not self._close_sent:
            self._close_sent = True
            payload = code.to_bytes(2, "big") + reason.encode()[:123] if code != _CLOSE_NO_STATUS else b""
            transport.write(encode_frame(_CLOSE, payload, os.urandom(4)))
            answering = self.stream.close_frame is not None or self.stream.error is not None
            if not answering and not transport.get_write_buffer_size():
                self.stream.stop_applying()
                self._close_timer = asyncio.get_running_loop().call_later(self.close_timeout, self._end)
                return
        self._end()

    def _end(self) -> None:
        """Closes the transport now (dropping it if it cannot flush at once)."""
        if self._close_timer is not None:
            self._close_timer.cancel()
            self._close_timer = None
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        if transport.get_write_buffer_size():
            transport.abort()
        else:
            transport.close()

    def abort(self) -> None:
        """Drops the connection at once, without a close frame."""
        if self._close_timer is not None:
            self._close_timer.cancel()
            self._close_timer = None
        if self._transport is not None:
            self._transport.abort()

    # asyncio.BufferedProtocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keeps the transport (a TCP or TLS transport of asyncio or uvloop: not always an asyncio.Transport)."""
        self._transport = cast("asyncio.Transport", transport)

    def get_buffer(self, sizehint: int) -> memoryview:
        """The free tail of the stream's receive buffer (before the upgrade: of the response header buffer)."""
        if self._upgraded:
            return self.stream.buffer()
        return memoryview(self._head)[self._head_len :]

    def buffer_updated(self, nbytes: int) -> None:
        """Applies ``nbytes`` just read; acts on whatever the stream flags."""
        if self._upgraded:
            stream = self.stream
            stream.received(nbytes)
            if stream.needs_attention:
                self._attend()
        else:
            self._read_response(nbytes)

    def eof_received(self) -> bool:
        """The server closed its side: the transport closes."""
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        """Ends the connection: fails a pending handshake, or tells the owner (once)."""
        self._transport = None
        if self._close_timer is not None:
            self._close_timer.cancel()
            self._close_timer = None
        if self._closed.is_set():
            return
        self._closed.set()
        if not self._handshake.done():
            reason = f": {exc}" if exc else ""
            self._handshake.set_exception(HandshakeError(f"{self.url}: connection closed during the handshake{reason}"))
        if self._upgraded:
            self._on_closed()

    def _read_response(self, nbytes: int) -> None:
        self._head_len += nbytes
        end = self._head.find(b"\r\n\r\n", 0, self._head_len)
        if end < 0:
            if self._head_len == MAX_RESPONSE_HEADER:
                self._fail_handshake(HandshakeError(f"{self.url}: response header over {MAX_RESPONSE_HEADER} bytes"))
            return
        try:
            _check_response(self.url, bytes(self._head[:end]), self._key)
        except HandshakeError as exc:
            self._fail_handshake(exc)
            return
        self._upgraded = True
        rest = memoryview(self._head)[end + 4 : self._head_len]
        self._head = bytearray()
        self._handshake.set_result(None)
        if rest:
            self.stream.buffer()[: len(rest)] = rest
            self.buffer_updated(len(rest))

    def _give_up(self) -> None:
        """Drops a connection whose handshake nobody waits for any more."""
        self._handshake.cancel()
        self.abort()

    def _fail_handshake(self, error: HandshakeError) -> None:
        if not self._handshake.done():
            self._handshake.set_exception(error)
        self.abort()

    def _attend(self) -> None:
        texts, binaries, pings, close, error = self.stream.take_attention()
        if texts:
            self._on_messages()
        if binaries:
            self._on_binary(binaries)
        transport = self._transport
        if transport is None:
            return
        if self._close_sent:
            if close is not None or error is not None:
                # The server's answer to the client's close (or a protocol error meanwhile): the handshake is over.
                self.close_code = close[0] if close is not None else self.close_code
                self._end()
            return
        for payload in pings:
            transport.write(encode_frame(_PONG, payload, os.urandom(4)))
        if error is not None:
            code = self.stream.error_close_code or _CLOSE_PROTOCOL_ERROR
            self.error = ProtocolError(f"{self.url}: WebSocket protocol error: {error}")
            log.error("%s; closing with %d", self.error, code)
            self.close(code)
        elif close is not None:
            self.close_code = close[0]
            self.close(close[0])
