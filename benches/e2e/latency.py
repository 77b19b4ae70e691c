"""Latency from the sender's write to the row being visible in kfeed's trades ring, on CLOCK_MONOTONIC.

The sender (another process) stamps `time.monotonic_ns()` just before writing each frame and saves the stamps by
frame index. The receiver is kfeed's production path (picows, `Feed.ingest` of the payload memoryview); it passes
`recv_time=time.monotonic_ns()` to `ingest` and stamps the clock again once `ingest` has returned, which is when
the row is visible to a reader. TCP keeps order and every frame writes one row, so frame i is ring row i; the
ring's `recv_time` column is checked against the sender's stamps to show both sides used the same clock.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import picows
from kfeed import Feed
from picows import WSFrame, WSMsgType, WSTransport

from benches.e2e.clients import INIT
from benches.e2e.procs import SenderProcess

__all__ = ["LatencyRun", "measure_latency"]

_TIMEOUT = 120.0


@dataclass(frozen=True, slots=True)
class LatencyRun:
    """Write-to-visible latencies of one paced stream, in ns."""

    target_rate: float
    """Frames/s asked of the sender (0: as fast as it can)."""
    achieved_rate: float
    """Frames/s the sender actually wrote."""
    latencies: np.ndarray

    def percentile(self, q: float) -> float:
        """The q-th percentile latency in µs."""
        return float(np.percentile(self.latencies, q)) / 1e3

    def share_over(self, us: float) -> float:
        """The fraction of frames (in %) whose latency exceeded `us` µs."""
        return 100.0 * float(np.count_nonzero(self.latencies > us * 1e3)) / len(self.latencies)

    @property
    def max_us(self) -> float:
        """The largest latency in µs."""
        return float(self.latencies.max()) / 1e3


class _Listener(picows.WSListener):
    def __init__(self, feed: Feed, expect: int, finished: asyncio.Future[None]) -> None:
        self.ingest = feed.ingest
        self.visible = np.zeros(expect, np.int64)
        self.count = 0
        self.expect = expect
        self.rows = 0
        self.done = b""
        self.finished = finished

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type == WSMsgType.TEXT:
            n = self.count
            self.count = n + 1
            if n == 0:
                return
            if n > self.expect:
                self.done = frame.get_payload_as_bytes()
                return
            clock = time.monotonic_ns
            self.rows += self.ingest(frame.get_payload_as_memoryview(), clock())
            self.visible[n - 1] = clock()
        elif frame.msg_type == WSMsgType.CLOSE:
            transport.send_close(frame.get_close_code())
            transport.disconnect()

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        if not self.finished.done():
            self.finished.set_result(None)


async def _receive(url: str, feed: Feed, expect: int) -> _Listener:
    finished: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    listener = _Listener(feed, expect, finished)
    transport, _ = await picows.ws_connect(lambda: listener, url, enable_auto_pong=True)
    transport.send(WSMsgType.TEXT, INIT)
    await asyncio.wait_for(finished, _TIMEOUT)
    return listener


def measure_latency(sender: SenderProcess, rate: float, frames: int, trading_date: dt.date) -> LatencyRun:
    """One paced tick stream of `frames` frames at `rate` frames/s (0: flat out); RuntimeError on any loss."""
    feed = Feed(trading_date=trading_date, trade_capacity=max(1 << 10, 1 << (frames - 1).bit_length()))
    reader = feed.trades_reader()
    with tempfile.TemporaryDirectory() as tmp:
        stamps_path = Path(tmp) / "sent.npy"
        listener = asyncio.run(_receive(sender.stream_url("tick", frames, rate, stamps_path), feed, frames))
        if listener.count != frames + 2 or not listener.done:
            raise RuntimeError(f"latency run: received {listener.count - 2} of {frames} frames")
        sent = np.load(stamps_path)
    if listener.rows != frames:
        raise RuntimeError(f"latency run: {listener.rows} rows written for {frames} frames")
    rows, lost = reader.read()
    if lost or len(rows) != frames:
        raise RuntimeError(f"latency run: ring holds {len(rows)} rows (lost {lost}) for {frames} frames")
    if not np.all(rows["recv_time"] >= sent) or not np.all(listener.visible >= rows["recv_time"]):
        raise RuntimeError("latency run: stamps out of order: the two processes are not on one clock")
    seconds = (sent[-1] - sent[0]) / 1e9
    achieved = (frames - 1) / seconds if seconds > 0 else float("inf")
    return LatencyRun(rate, achieved, listener.visible - sent)
