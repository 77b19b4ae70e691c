"""Receive paths under test: picows, websockets (asyncio API) and aiohttp, each handing every frame to a handler.

A run connects to one benchmark stream, sends `init`, hands each data frame to the handler (`Feed.ingest`, a
pure-Python consumer, or a no-op), and stops at the source's `bench_done` frame, which says how many frames were
sent. The clock runs on the receiving side from the first data frame to `bench_done`, so the figure is the rate
the whole receive path sustained. picows hands the handler a memoryview of its buffer (as `kfeed.link` does);
websockets (`recv(decode=False)`) and aiohttp (`decode_text=False`) hand it a `bytes` object per frame.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson
import picows
import websockets.asyncio.client
from kfeed.sim import DEFAULT_KEY
from picows import WSFrame, WSMsgType, WSTransport

__all__ = ["TRANSPORTS", "Handler", "StreamRun", "noop", "receive"]

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
    sent: int
    """Frames the source reported sending."""
    seconds: float
    """Receiver clock, first data frame to `bench_done`."""
    source_seconds: float
    """Source clock, first write until the last was accepted by its kernel."""

    @property
    def rate(self) -> float:
        """Frames per second received."""
        return self.frames / self.seconds

    @property
    def us_per_frame(self) -> float:
        """Microseconds per frame received."""
        return 1e6 * self.seconds / self.frames


def _done(payload: bytes) -> tuple[int, float]:
    message = orjson.loads(payload)
    if message.get("method") != "bench_done":
        raise RuntimeError(f"expected bench_done, got {payload[:200]!r}")
    return int(message["params"]["frames"]), float(message["params"]["seconds"])


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
