"""Benchmark mode: stream a pre-generated sequence of real frames as fast as the socket takes them.

Frames come from a private `Market` (same seed and date as the simulator) advanced from 09:00:00 through the opening
burst with `advance_to`, rendered by `Records` exactly as the live server renders them, and then cycled. They are
encoded once as WebSocket wire frames and written to the transport in ~64 KiB batches, so the server spends almost
nothing per frame and a client benchmark measures the client.

Use: connect to `/bench?kind=KIND&frames=N` (or, when the simulator runs with `--bench`, to `/ws` (tick),
`/ws_ksp` (ksp) or `/ws_kdq` (kdq), which accept the same query), send `init`, read. KIND is one of tick, quote,
tick10, quote10, ksp, kdq; N defaults to 1,000,000. After the last frame the server sends
`{"jsonrpc":"2.0","method":"bench_done","params":{"frames":N,"seconds":S,"rate":N/S}}`, logs the same figures,
and closes with 1000. `seconds` runs from the first frame written until the last was accepted by the kernel.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import logging
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass

import orjson
from aiohttp import WSCloseCode, WSMsgType, web

from kfeed.sim import krx
from kfeed.sim.auth import KeyCheck
from kfeed.sim.market import IndexState, Issue, Market, Trade
from kfeed.sim.records import Records
from kfeed.sim.ws import TradeBatcher, WsErrors, error, push, reply

__all__ = ["BENCH_KINDS", "DEFAULT_BENCH_FRAMES", "BenchFrames", "BenchLibrary", "serve_bench"]

log = logging.getLogger("kfeed.sim.bench")

BENCH_KINDS = ("tick", "quote", "tick10", "quote10", "ksp", "kdq")
DEFAULT_BENCH_FRAMES = 1_000_000
UNIQUE_FRAMES = {"tick": 20_000, "quote": 20_000, "tick10": 20_000, "quote10": 20_000, "ksp": 500, "kdq": 500}
"""How many distinct frames to pre-generate per kind before cycling (a ksp/kdq frame holds up to 50 trades)."""
_BATCH_BYTES = 64 * 1024
_FIRST_STEP = krx.cs_of(9, 0, 1)  # advance_to in 1 s steps of exchange time from the opening uncross
_LAST_STEP = krx.cs_of(15, 20)


def _wire_frame(payload: bytes) -> bytes:
    """One unmasked server-to-client WebSocket text frame."""
    size = len(payload)
    if size < 126:
        return struct.pack("!BB", 0x81, size) + payload
    if size < 65536:
        return struct.pack("!BBH", 0x81, 126, size) + payload
    return struct.pack("!BBQ", 0x81, 127, size) + payload


@dataclass(frozen=True, slots=True)
class BenchFrames:
    """Pre-encoded wire frames of one kind, and the same frames joined into ~64 KiB batches."""

    frames: list[bytes]
    batches: list[tuple[bytes, int]]

    @classmethod
    def encode(cls, payloads: list[bytes]) -> BenchFrames:
        """Encode JSON payloads as wire frames and batch them."""
        frames = [_wire_frame(p) for p in payloads]
        batches: list[tuple[bytes, int]] = []
        chunk: list[bytes] = []
        size = 0
        for frame in frames:
            chunk.append(frame)
            size += len(frame)
            if size >= _BATCH_BYTES:
                batches.append((b"".join(chunk), len(chunk)))
                chunk, size = [], 0
        if chunk:
            batches.append((b"".join(chunk), len(chunk)))
        return cls(frames, batches)


class _Collector:
    """A `MarketSink` that renders the events of one kind into payloads."""

    def __init__(self, kind: str, records: Records) -> None:
        self.kind = kind
        self.records = records
        self.payloads: list[bytes] = []
        market = {"ksp": "kospi", "kdq": "kosdaq"}.get(kind)
        self._market = market
        self._batcher = TradeBatcher(lambda batch: self.payloads.append(orjson.dumps(batch)))

    def on_trade(self, issue: Issue, trade: Trade) -> None:
        if self.kind == "tick":
            self.payloads.append(push({"preset": "tick", **self.records.push_tick(issue, trade)}))
        elif self.kind == "tick10":
            self.payloads.append(push({"preset": "tick10", **self.records.push_tick10(issue)}))
        elif issue.market == self._market:
            self._batcher.add(trade.time, self.records.market_trade(issue, trade))

    def on_quote(self, issue: Issue) -> None:
        if self.kind == "quote":
            self.payloads.append(push({"preset": "quote", **self.records.push_quote(issue)}))
        elif self.kind == "quote10":
            self.payloads.append(push({"preset": "quote10", **self.records.push_quote10(issue)}))

    def on_index(self, index: IndexState) -> None:
        """Index values are not part of any bench kind."""

    def on_signal(self, market: str, value: int) -> None:
        """Signals are not part of any bench kind."""

    def flush_due(self, hhmmssmm: int) -> None:
        self._batcher.flush_due(hhmmssmm)


def generate(kind: str, seed: int, trading_date: dt.date) -> BenchFrames:
    """Run a private market from 09:00:00 until `UNIQUE_FRAMES[kind]` frames exist (or 15:20), and encode them."""
    limit = UNIQUE_FRAMES[kind]
    market = Market(seed=seed, trading_date=trading_date, start=dt.time(9, 0))
    collector = _Collector(kind, Records(market))
    for cs in range(_FIRST_STEP, _LAST_STEP, krx.CS_PER_SECOND):
        if len(collector.payloads) >= limit:
            break
        target = krx.cs_to_hhmmssmm(cs)
        market.advance_to(target, collector)
        collector.flush_due(target)
    if not collector.payloads:
        raise RuntimeError(f"the market produced no {kind} frames")
    return BenchFrames.encode(collector.payloads[:limit])


class BenchLibrary:
    """Pre-generated frames per kind, built once in a worker thread on first use (or ahead, in `--bench` mode)."""

    def __init__(self, seed: int, trading_date: dt.date) -> None:
        self._seed = seed
        self._date = trading_date
        self._builds: dict[str, asyncio.Task[BenchFrames]] = {}

    def prepare(self, kind: str) -> asyncio.Task[BenchFrames]:
        """Start (or reuse) the build of `kind`."""
        if kind not in self._builds:
            self._builds[kind] = asyncio.get_running_loop().create_task(
                asyncio.to_thread(generate, kind, self._seed, self._date)
            )
        return self._builds[kind]

    async def frames(self, kind: str) -> BenchFrames:
        """The frames of `kind`, waiting for their build if needed."""
        return await self.prepare(kind)


def _bench_request(request: web.Request, default_kind: str) -> tuple[str, int] | str:
    kind = request.query.get("kind", default_kind)
    if kind not in BENCH_KINDS:
        return f"unknown bench kind {kind!r}; expected one of {', '.join(BENCH_KINDS)}"
    raw = request.query.get("frames", str(DEFAULT_BENCH_FRAMES))
    if not raw.isdigit() or int(raw) < 1:
        return "frames must be a positive integer"
    return kind, int(raw)


async def serve_bench(
    request: web.Request, library: BenchLibrary, keys: KeyCheck, default_kind: str
) -> web.WebSocketResponse:
    """Answer `init`, stream the requested frames as fast as the socket drains, report, close."""
    ws = web.WebSocketResponse(max_msg_size=64 * 1024)
    await ws.prepare(request)
    parsed = _bench_request(request, default_kind)
    msg = await ws.receive()
    request_id = None
    key = None
    if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
        try:
            frame = orjson.loads(msg.data)
        except orjson.JSONDecodeError:
            frame = None
        if isinstance(frame, dict) and frame.get("method") == "init":
            request_id = frame.get("id")
            params = frame.get("params")
            key = params.get("key") if isinstance(params, dict) else None
    if not isinstance(key, str) or not keys.accepts(key):
        await ws.send_frame(error(request_id, *WsErrors.BAD_CLIENT), WSMsgType.TEXT)
        await ws.close(code=WSCloseCode.POLICY_VIOLATION, message=b"bad key")
        return ws
    if isinstance(parsed, str):
        await ws.send_frame(error(request_id, *WsErrors.NOT_JSON_RPC[:1], parsed), WSMsgType.TEXT)
        await ws.close()
        return ws
    kind, count = parsed
    await ws.send_frame(reply(request_id, {"message": "ok"}), WSMsgType.TEXT)
    frames = await library.frames(kind)
    reader = asyncio.get_running_loop().create_task(_drain_inbound(ws))
    try:
        seconds = await _stream(request, frames, count)
    except ConnectionError:
        log.info("bench client left early")
        reader.cancel()
        return ws
    rate = count / seconds if seconds > 0 else float("inf")
    log.info("bench %s: %d frames in %.3f s = %.0f frames/s", kind, count, seconds, rate)
    done = {"jsonrpc": "2.0", "method": "bench_done", "params": {"frames": count, "seconds": seconds, "rate": rate}}
    await ws.send_frame(orjson.dumps(done), WSMsgType.TEXT)
    reader.cancel()
    await ws.close()
    return ws


async def _drain_inbound(ws: web.WebSocketResponse) -> None:
    """Read (and ignore) whatever the client sends meanwhile, so pings are answered and closes are seen."""
    async for _msg in ws:
        pass


async def _stream(request: web.Request, frames: BenchFrames, count: int) -> float:
    transport = request.transport
    protocol = request.protocol
    if transport is None:
        raise ConnectionError("transport gone")
    write: Callable[[bytes], None] = transport.write
    # aiohttp's protocol pauses on the transport's high-water mark; `_drain_helper` waits for it to resume, which
    # is the same flow control aiohttp's own WebSocket writer uses.
    drain = protocol._drain_helper
    remaining = count
    started = time.perf_counter()
    for batch, n in itertools.cycle(frames.batches):
        if remaining < n:
            break
        if transport.is_closing():
            raise ConnectionError("client closed")
        write(batch)
        remaining -= n
        await drain()
        if remaining == 0:
            break
    if remaining:
        write(b"".join(itertools.islice(itertools.cycle(frames.frames), remaining)))
        await drain()
    return time.perf_counter() - started
