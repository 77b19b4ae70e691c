"""Receive paths under test: kfeed's own (`WebSocketClient` + `FeedStream`), and picows, websockets (asyncio API)
and aiohttp, each handing every frame to a handler.

A run connects to one benchmark stream, sends `init`, takes every data frame, and stops at the source's
`bench_done` frame. The clock runs on the receiving side from the first data frame to `bench_done`, so the figure
is the rate the whole receive path sustained.

- kfeed (`receive_feed`): exactly what `kfeed.link.Link` does: the event loop reads socket bytes straight into
  the `FeedStream`'s receive buffer and one `FeedStream.received` call per read deframes every frame and applies
  each text message to the `Feed` in Rust. `bench_done` is not a feed message (the feed counts it as a
  `not_protocol` reject); the benchmark sender repeats its parameters as the reason of its 1000 close frame, which
  the stream keeps. The clock starts before the read that holds the first data frame and stops after the read
  that holds `bench_done` (one clock call per read, no per-frame Python).
- picows hands the handler a memoryview of its buffer; websockets (`recv(decode=False)`) and aiohttp
  (`decode_text=False`) hand it a `bytes` object per frame.
- `drain_socket` is no WebSocket client at all: after the upgrade it reads the benchmark sender's stream with
  blocking `recv_into` into one 1 MiB buffer and looks only for the close frame at the end. It measures what the
  sender and the loopback connection deliver to a receiver that does nothing, which is the ceiling of any row.
"""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

import aiohttp
import orjson
import picows
import websockets.asyncio.client
from kfeed import Feed
from kfeed._kfeed import FeedStream, encode_frame
from kfeed.sim import DEFAULT_KEY
from kfeed.wsclient import WebSocketClient
from picows import WSFrame, WSMsgType, WSTransport

__all__ = [
    "TRANSPORTS",
    "Handler",
    "StreamRun",
    "StreamingClient",
    "connect_stream",
    "drain_socket",
    "noop",
    "receive",
    "receive_feed",
]

Handler = Callable[[Any], Any]
"""Called with each data frame's payload (bytes or memoryview)."""

INIT = orjson.dumps(
    {"jsonrpc": "2.0", "id": 1, "method": "init", "params": {"key": DEFAULT_KEY, "membername": "bench"}}
)
_TIMEOUT = 120.0


def noop(payload: Any) -> None:
    """A handler that does nothing: the transport's own per-frame cost."""


@dataclass(frozen=True, slots=True)
class StreamRun:
    """One stream received to the end."""

    frames: int
    """Data frames handed to the handler."""
    sent: int | None
    """Frames the source reported sending (None: the simulator, whose report kfeed's path does not surface)."""
    seconds: float
    """Receiver clock, first data frame to `bench_done`."""
    source_seconds: float | None
    """Source clock, first write until the last was accepted by its kernel (None as for `sent`)."""

    @property
    def rate(self) -> float:
        """Frames per second received."""
        return self.frames / self.seconds

    @property
    def us_per_frame(self) -> float:
        """Microseconds per frame received."""
        return 1e6 * self.seconds / self.frames

    @property
    def source_rate(self) -> float | None:
        """Frames per second the source wrote (None when it did not report)."""
        if self.sent is None or not self.source_seconds:
            return None
        return self.sent / self.source_seconds


def _done(payload: bytes) -> tuple[int, float]:
    message = orjson.loads(payload)
    if message.get("method") != "bench_done":
        raise RuntimeError(f"expected bench_done, got {payload[:200]!r}")
    return int(message["params"]["frames"]), float(message["params"]["seconds"])


class StreamingClient(WebSocketClient):
    """kfeed's `WebSocketClient`, timing one benchmark stream: `expect` data frames after the `init` reply, then
    `bench_done`. `started` is stamped before each read until one has applied a data frame, `ended` after the read
    that brought `bench_done` (`time.perf_counter`)."""

    expect = 0
    started = 0.0
    ended = 0.0

    def buffer_updated(self, nbytes: int) -> None:
        """Applies one read (as `WebSocketClient` does), stamping the clock around it as described above."""
        stream = self.stream
        if stream.messages < 2:
            self.started = time.perf_counter()
        super().buffer_updated(nbytes)
        if not self.ended and stream.messages >= self.expect + 2:
            self.ended = time.perf_counter()


_Client = TypeVar("_Client", bound=StreamingClient)


async def connect_stream(client_type: type[_Client], url: str, feed: Feed, expect: int) -> _Client:
    """Connects a `client_type` for a stream of `expect` frames into `feed`, sends `init`, waits until it closes."""
    client = cast("_Client", await client_type.connect(url, FeedStream(feed)))
    client.expect = expect
    client.send_text(INIT)
    await asyncio.wait_for(client.wait_closed(), _TIMEOUT)
    client.stream.check()
    return client


def _sender_done(stream: FeedStream) -> tuple[int | None, float | None]:
    """The benchmark sender's (frames, seconds) from its close frame's reason; (None, None) from the simulator."""
    close = stream.close_frame
    if close is None:
        raise RuntimeError("kfeed: the stream ended without a close frame")
    code, reason = close
    if code != 1000:
        raise RuntimeError(f"kfeed: the source closed with {code} {reason!r}")
    if not reason:
        return None, None
    done = orjson.loads(reason)
    return int(done["frames"]), float(done["seconds"])


def receive_feed(url: str, feed: Feed, expect: int) -> StreamRun:
    """Receive one stream of `expect` frames into `feed` through kfeed's own receive path, on a fresh event loop.

    RuntimeError unless exactly `expect` data frames and `bench_done` arrived (counted by the stream; `bench_done`
    is the feed's only `not_protocol` reject) and, from the benchmark sender, it reported sending `expect`.
    """
    client = asyncio.run(connect_stream(StreamingClient, url, feed, expect))
    stream = client.stream
    texts = int(stream.stats()["text_messages"])
    done_rejects = int(feed.stats()["rejects"]["not_protocol"])
    if texts != expect + 2 or done_rejects != 1 or not client.ended:
        raise RuntimeError(f"kfeed: {texts - 2} data frames (expected {expect}), {done_rejects} bench_done")
    sent, source_seconds = _sender_done(stream)
    if sent is not None and sent != expect:
        raise RuntimeError(f"kfeed: the source sent {sent} frames, expected {expect}")
    return StreamRun(expect, sent, client.ended - client.started, source_seconds)


class _PicowsListener(picows.WSListener):
    def __init__(self, handle: Handler, expect: int, finished: asyncio.Future[None]) -> None:
        self.handle = handle
        self.last = expect + 2
        self.count = 0
        self.t0 = 0.0
        self.t1 = 0.0
        self.done = b""
        self.finished = finished

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type == WSMsgType.TEXT:
            n = self.count = self.count + 1
            if n == 1:
                return
            if n == self.last:
                self.t1 = time.perf_counter()
                self.done = frame.get_payload_as_bytes()
                return
            if n == 2:
                self.t0 = time.perf_counter()
            self.handle(frame.get_payload_as_memoryview())
        elif frame.msg_type == WSMsgType.CLOSE:
            transport.send_close(frame.get_close_code())
            transport.disconnect()

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        if not self.finished.done():
            self.finished.set_result(None)


async def _picows(url: str, handle: Handler, expect: int) -> StreamRun:
    finished: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    listener = _PicowsListener(handle, expect, finished)
    transport, _ = await picows.ws_connect(lambda: listener, url, enable_auto_pong=True)
    transport.send(WSMsgType.TEXT, INIT)
    await asyncio.wait_for(finished, _TIMEOUT)
    if not listener.done:
        raise RuntimeError(f"picows: stream ended after {listener.count} frames without bench_done")
    sent, source_seconds = _done(listener.done)
    return StreamRun(listener.count - 2, sent, listener.t1 - listener.t0, source_seconds)


async def _websockets(url: str, handle: Handler, expect: int) -> StreamRun:
    async with websockets.asyncio.client.connect(url, max_size=None, compression=None, ping_interval=None) as ws:
        await ws.send(INIT.decode())
        recv = ws.recv
        await recv(decode=False)
        handle(await recv(decode=False))
        t0 = time.perf_counter()
        for _ in range(expect - 1):
            handle(await recv(decode=False))
        done = await recv(decode=False)
        t1 = time.perf_counter()
    sent, source_seconds = _done(done)
    return StreamRun(expect, sent, t1 - t0, source_seconds)


async def _aiohttp(url: str, handle: Handler, expect: int) -> StreamRun:
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(url, max_msg_size=0, decode_text=False, autoping=True) as ws,
    ):
        await ws.send_str(INIT.decode())
        receive = ws.receive
        await receive()
        handle((await receive()).data)
        t0 = time.perf_counter()
        for _ in range(expect - 1):
            handle((await receive()).data)
        done = (await receive()).data
        t1 = time.perf_counter()
    sent, source_seconds = _done(done)
    return StreamRun(expect, sent, t1 - t0, source_seconds)


TRANSPORTS: dict[str, Callable[[str, Handler, int], Awaitable[StreamRun]]] = {
    "picows": _picows,
    "websockets": _websockets,
    "aiohttp": _aiohttp,
}
"""Receive paths by name."""


def receive(transport: str, url: str, handle: Handler, expect: int) -> StreamRun:
    """Receive one stream of `expect` frames on a fresh event loop; RuntimeError unless every frame arrived."""
    run = asyncio.run(asyncio.wait_for(TRANSPORTS[transport](url, handle, expect), _TIMEOUT))
    if run.frames != run.sent or run.sent != expect:
        raise RuntimeError(f"{transport}: received {run.frames} frames, source sent {run.sent}, expected {expect}")
    return run


_CLOSE_OPCODE = 0x88
_TAIL = 130
"""Bytes kept from the end of the stream: more than a close frame with the longest reason (2 + 125)."""


def _close_reason(tail: bytes) -> bytes | None:
    """The reason of a complete close frame ending `tail` (the sender's payloads are ASCII, so 0x88 starts it)."""
    at = tail.rfind(bytes((_CLOSE_OPCODE,)))
    if at < 0 or at + 2 > len(tail) or tail[at + 1] > 125 or at + 2 + tail[at + 1] != len(tail):
        return None
    return tail[at + 4 :]


def drain_socket(url: str, expect: int) -> StreamRun:
    """Read one benchmark-sender stream of `expect` frames as raw bytes (no WebSocket parsing) until its close frame.

    Returns the bytes' arrival time as a `StreamRun` (`frames` is the count the sender reported); RuntimeError if the
    sender reported another count or the stream ended without a close frame.
    """
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=_TIMEOUT) as sock:
        key = base64.b64encode(os.urandom(16)).decode()
        sock.sendall(
            f"GET {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.netloc}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = sock.recv(1)
            if not chunk:
                raise RuntimeError("drain: connection closed during the handshake")
            head += chunk
        sock.sendall(encode_frame(1, INIT, os.urandom(4)))
        buffer = bytearray(1 << 20)
        view = memoryview(buffer)
        started = 0.0
        reason = None
        tail = b""
        while reason is None:
            n = sock.recv_into(buffer)
            if not n:
                raise RuntimeError("drain: the stream ended without a close frame")
            if not started:
                started = time.perf_counter()
            tail = (tail + bytes(view[max(0, n - _TAIL) : n]))[-_TAIL:]
            if buffer[n - 1] == ord("}"):
                reason = _close_reason(tail)
        ended = time.perf_counter()
        sock.sendall(encode_frame(_CLOSE_OPCODE & 0x0F, (1000).to_bytes(2, "big"), os.urandom(4)))
    done = orjson.loads(reason)
    sent, source_seconds = int(done["frames"]), float(done["seconds"])
    if sent != expect:
        raise RuntimeError(f"drain: the sender sent {sent} frames, expected {expect}")
    return StreamRun(sent, sent, ended - started, source_seconds)
