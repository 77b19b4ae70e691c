"""Benchmark mode: stream a pre-generated sequence of real frames as fast as the socket takes them.

Frames come from a private `Market` (same seed and date as the simulator) advanced from 09:00:00 through the opening
burst with `advance_to`, rendered by `Records` exactly as the live server renders them, and then cycled. They are
encoded once as WebSocket wire frames and written to the transport in ~64 KiB batches, so the server spends almost
nothing per frame and a client benchmark measures the client.

Cycling continues the market for `tick` and `tick10`: cycle c carries each symbol's `accTrdvol` and `accTrdval`
advanced by c times what the symbol traded in one cycle, so every frame is a new, gap-free trade, and `trdTm`
advanced by c times the cycle's span (its first-to-last time rounded up to the next whole second). Those three
numbers are written right-aligned in fixed-width, 4-byte-aligned fields padded with spaces (valid JSON whitespace),
wide enough for the request's last cycle; between cycles all their digits are rewritten in place at once with numpy,
four digits per table lookup (about 60-80 ns per frame, a few percent of the send rate). The clock continues only
while the cycle's last trade stays before 24:00:00; the cycle after that restarts at the first cycle's times (with
the data above, about 6,700 cycles, 135 million frames), so trade times go back once per day's worth of cycles
while cumulative volumes keep advancing. The other kinds cycle byte-for-byte. A request whose cumulative values
would pass 2**63 - 1 is refused.

Use: connect to `/bench?kind=KIND&frames=N` (or, when the simulator runs with `--bench`, to `/ws` (tick),
`/ws_ksp` (ksp) or `/ws_kdq` (kdq), which accept the same query), send `init`, read. KIND is one of tick, quote,
tick10, quote10, ksp, kdq; N defaults to 1,000,000. After the last frame the server sends
`{"jsonrpc":"2.0","method":"bench_done","params":{"frames":N,"seconds":S,"rate":N/S}}`, logs the same figures,
and closes with 1000. `seconds` runs from the first frame written until the last was accepted by the kernel.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import struct
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import orjson
from aiohttp import WSCloseCode, WSMsgType, web

from kfeed.sim import krx
from kfeed.sim.auth import KeyCheck
from kfeed.sim.market import IndexState, Issue, Market, Trade
from kfeed.sim.records import Records
from kfeed.sim.ws import TradeBatcher, WsErrors, error, push, reply

__all__ = ["BENCH_KINDS", "DEFAULT_BENCH_FRAMES", "BenchFrames", "BenchLibrary", "BenchStream", "serve_bench"]

log = logging.getLogger("kfeed.sim.bench")

BENCH_KINDS = ("tick", "quote", "tick10", "quote10", "ksp", "kdq")
DEFAULT_BENCH_FRAMES = 1_000_000
UNIQUE_FRAMES = {"tick": 20_000, "quote": 20_000, "tick10": 20_000, "quote10": 20_000, "ksp": 500, "kdq": 500}
"""How many distinct frames to pre-generate per kind before cycling (a ksp/kdq frame holds up to 50 trades)."""
_CONTINUED_KINDS = ("tick", "tick10")
_BATCH_BYTES = 64 * 1024
_FIRST_STEP = krx.cs_of(9, 0, 1)  # advance_to in 1 s steps of exchange time from the opening uncross
_LAST_STEP = krx.cs_of(15, 20)
_DAY_END = krx.cs_of(24, 0)
_MAX_INT64 = 2**63 - 1
_VOLUME_KEY = b'"accTrdvol":'
_VALUE_KEY = b'"accTrdval":'
_TIME_KEY = b'"trdTm":'
_TIME_WIDTH = 8
_MIN_16_BIT_LENGTH = 126  # continued payloads are blank-filled to at least this, so every header is 4 bytes
_HEADER = 4
_DIGITS = b"0123456789"


def _wire_frame(payload: bytes) -> bytes:
    """One unmasked server-to-client WebSocket text frame."""
    size = len(payload)
    if size < 126:
        return struct.pack("!BB", 0x81, size) + payload
    if size < 65536:
        return struct.pack("!BBH", 0x81, 126, size) + payload
    return struct.pack("!BBQ", 0x81, 127, size) + payload


def _value_span(payload: bytes, key: bytes) -> tuple[int, int] | None:
    """Where the unsigned integer after `key` sits in `payload`, or None without that key."""
    start = payload.find(key)
    if start < 0:
        return None
    start += len(key)
    end = start
    while payload[end] in _DIGITS:
        end += 1
    return start, end


def _hhmmssmm(cs: np.ndarray) -> np.ndarray:
    """`HHMMSSmm` integers of centisecond times of day."""
    seconds, hundredths = np.divmod(cs, krx.CS_PER_SECOND)
    minutes, second = np.divmod(seconds, 60)
    hour, minute = np.divmod(minutes, 60)
    return ((hour * 100 + minute) * 100 + second) * 100 + hundredths


def _chunk_table() -> np.ndarray:
    """Four ASCII bytes (as one uint32) per 0..9999, in three runs: zero-padded (a chunk below a non-zero one),
    blank-padded (the most significant chunk), all blank (above the most significant chunk)."""
    full = [b"%04d" % n for n in range(10_000)]
    top = [b"%4d" % n for n in range(10_000)]
    blank = [b"    "] * 10_000
    return np.frombuffer(b"".join(full + top + blank), np.uint32).copy()


_CHUNKS = _chunk_table()
_FULL, _TOP, _BLANK = 0, 10_000, 20_000


def _decimal_words(values: np.ndarray, words: int) -> np.ndarray:
    """`values` (non-negative, below 10**(4 * words)) as right-aligned, blank-padded ASCII: `words` uint32 each.

    Four digits at a time: each 0..9999 chunk picks its bytes from `_CHUNKS` by whether a more significant chunk is
    non-zero, so the work is a few scalar divisions and one gather per four digits."""
    out = np.empty((len(values), words), np.uint32)
    rest = values
    for column in range(words - 1, -1, -1):
        rest, chunk = np.divmod(rest, 10_000)
        if column == words - 1:
            chunk += np.where(rest > 0, _FULL, _TOP)
        else:
            chunk += np.where(rest > 0, _FULL, np.where(chunk > 0, _TOP, _BLANK))
        out[:, column] = _CHUNKS[chunk]
    return out


@dataclass(frozen=True, slots=True)
class _Counter:
    """Cumulative fields that advance by a fixed step per cycle; `index` holds each field's uint32 word indices."""

    index: np.ndarray  # (fields, words) int64
    base: np.ndarray
    step: np.ndarray

    def write(self, words: np.ndarray, cycle: int) -> None:
        words[self.index] = _decimal_words(self.base + cycle * self.step, self.index.shape[1])


@dataclass(frozen=True, slots=True)
class _Clock:
    """Trade-time fields that advance by the cycle's span per cycle, restarting once a cycle would reach 24:00.

    A cycle holds few distinct times, so each cycle renders those (`times_cs`) and gathers them per field (`which`).
    """

    index: np.ndarray  # (fields, 2) int64
    which: np.ndarray
    times_cs: np.ndarray
    span_cs: int
    cycles_per_day: int

    def write(self, words: np.ndarray, cycle: int) -> None:
        times = _hhmmssmm(self.times_cs + cycle % self.cycles_per_day * self.span_cs)
        words[self.index] = _decimal_words(times, _TIME_WIDTH // 4)[self.which]


def _word_index(starts: list[int], width: int) -> np.ndarray:
    """uint32 word indices of fields of `width` bytes starting at the 4-byte-aligned byte offsets `starts`."""
    return np.asarray(starts, np.int64)[:, None] // 4 + np.arange(width // 4, dtype=np.int64)


class BenchStream:
    """One request's frames laid out for sending: cycle 0's wire bytes, their ~64 KiB batches, and the fields each
    later cycle rewrites. `render` keeps a private working copy, so give every connection its own stream."""

    def __init__(
        self, wire: bytes, starts: list[int], batches: list[tuple[int, int]], fields: list[_Counter | _Clock]
    ) -> None:
        self.wire = wire
        self.starts = starts
        """Byte offset of every frame in `wire`, and the end of the last."""
        self.batches = batches
        """(first frame, frame after the last) of each batch."""
        self.fields = fields
        self._buffer: np.ndarray | None = None
        if fields:
            self._buffer = np.zeros(-(-len(wire) // 4) * 4, np.uint8)
            self._buffer[: len(wire)] = np.frombuffer(wire, np.uint8)

    def __len__(self) -> int:
        """Frames per cycle."""
        return len(self.starts) - 1

    def render(self, cycle: int) -> bytes:
        """The wire bytes of `cycle` (cycle 0 is the generated frames, apart from padding)."""
        if self._buffer is None:
            return self.wire
        words = self._buffer.view(np.uint32)
        for field in self.fields:
            field.write(words, cycle)
        return self._buffer[: len(self.wire)].tobytes()


def _batches(starts: list[int]) -> list[tuple[int, int]]:
    batches: list[tuple[int, int]] = []
    first = 0
    for frame in range(1, len(starts)):
        if starts[frame] - starts[first] >= _BATCH_BYTES or frame == len(starts) - 1:
            batches.append((first, frame))
            first = frame
    return batches


def _starts(frames: list[bytes]) -> list[int]:
    starts = [0]
    for frame in frames:
        starts.append(starts[-1] + len(frame))
    return starts


@dataclass(frozen=True, slots=True)
class BenchFrames:
    """One kind's generated frames (cycle 0, exactly as the live server renders them) and, for `tick`/`tick10`, per
    frame the trade's symbol and its cumulative volume and value before and after it."""

    frames: list[bytes]
    payloads: list[bytes]
    trades: list[tuple[str, int, int, int, int]]

    def stream(self, count: int) -> BenchStream:
        """Lay out `count` frames for sending; ValueError if a cumulative value would pass 2**63 - 1."""
        if not self.trades:
            starts = _starts(self.frames)
            return BenchStream(b"".join(self.frames), starts, _batches(starts), [])
        last_cycle = (count - 1) // len(self.payloads)
        first: dict[str, tuple[int, int]] = {}
        last: dict[str, tuple[int, int]] = {}
        for code, volume_before, value_before, volume, value in self.trades:
            first.setdefault(code, (volume_before, value_before))
            last[code] = (volume, value)
        volume_step = {code: last[code][0] - before[0] for code, before in first.items()}
        value_step = {code: last[code][1] - before[1] for code, before in first.items()}
        volumes = [(volume, volume_step[code]) for code, _, _, volume, _ in self.trades]
        values = [(value, value_step[code]) for code, _, _, _, value in self.trades]
        widths = []
        for name, pairs in (("accTrdvol", volumes), ("accTrdval", values)):
            top = max(base + last_cycle * step for base, step in pairs)
            if top > _MAX_INT64:
                raise ValueError(f"{count} frames would take {name} past 2**63 - 1")
            widths.append(-(-len(str(top)) // 4) * 4)
        volume_width, value_width = widths
        wire: list[bytes] = []
        slots: dict[bytes, list[int]] = {_VOLUME_KEY: [], _VALUE_KEY: [], _TIME_KEY: []}
        bases: dict[bytes, list[int]] = {_VOLUME_KEY: [], _VALUE_KEY: [], _TIME_KEY: []}
        steps: dict[bytes, list[int]] = {_VOLUME_KEY: [], _VALUE_KEY: []}
        offset = 0
        for payload, trade in zip(self.payloads, self.trades, strict=True):
            code = trade[0]
            spans = []
            for key, width in ((_VOLUME_KEY, volume_width), (_VALUE_KEY, value_width), (_TIME_KEY, _TIME_WIDTH)):
                span = _value_span(payload, key)
                if span is not None:
                    spans.append((span, key, width))
            spans.sort()
            pieces: list[bytes] = []
            places: list[tuple[bytes, int]] = []
            cursor = 0
            at = offset + _HEADER
            for (start, end), key, width in spans:
                pieces.append(payload[cursor:start])
                at += start - cursor
                align = -at % 4
                places.append((key, at + align))
                pieces.append(payload[start:end].rjust(width + align))
                at += width + align
                cursor = end
                value = int(payload[start:end])
                bases[key].append(krx.hhmmssmm_to_cs(value) if key == _TIME_KEY else value)
                if key == _VOLUME_KEY:
                    steps[key].append(volume_step[code])
                elif key == _VALUE_KEY:
                    steps[key].append(value_step[code])
            pieces.append(payload[cursor:])
            frame = _wire_frame(b"".join(pieces).ljust(_MIN_16_BIT_LENGTH))
            for key, place in places:
                slots[key].append(place)
            wire.append(frame)
            offset += len(frame)
        times = np.asarray(bases[_TIME_KEY], np.int64)
        span_cs = (int(times.max() - times.min()) // krx.CS_PER_SECOND + 1) * krx.CS_PER_SECOND
        fields: list[_Counter | _Clock] = [
            _Counter(_word_index(slots[key], width), np.asarray(bases[key], np.int64), np.asarray(steps[key], np.int64))
            for key, width in ((_VOLUME_KEY, volume_width), (_VALUE_KEY, value_width))
            if slots[key]
        ]
        cycles_per_day = (_DAY_END - 1 - int(times.max())) // span_cs + 1
        distinct, which = np.unique(times, return_inverse=True)
        index = _word_index(slots[_TIME_KEY], _TIME_WIDTH)
        fields.append(_Clock(index, which, distinct, span_cs, cycles_per_day))
        starts = _starts(wire)
        return BenchStream(b"".join(wire), starts, _batches(starts), fields)


class _Collector:
    """A `MarketSink` that renders the events of one kind into payloads."""

    def __init__(self, kind: str, records: Records) -> None:
        self.kind = kind
        self.records = records
        self.payloads: list[bytes] = []
        self.trades: list[tuple[str, int, int, int, int]] = []
        market = {"ksp": "kospi", "kdq": "kosdaq"}.get(kind)
        self._market = market
        self._batcher = TradeBatcher(lambda batch: self.payloads.append(orjson.dumps(batch)))

    def on_trade(self, issue: Issue, trade: Trade) -> None:
        if self.kind in _CONTINUED_KINDS:
            if self.kind == "tick":
                self.payloads.append(push({"preset": "tick", **self.records.push_tick(issue, trade)}))
            else:
                self.payloads.append(push({"preset": "tick10", **self.records.push_tick10(issue)}))
            value = issue.last * trade.qty * issue.value_mult
            self.trades.append(
                (issue.code, trade.acc_volume - trade.qty, trade.acc_value - value, trade.acc_volume, trade.acc_value)
            )
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


def generate(kind: str, seed: int, trading_date: dt.date, unique: int | None = None) -> BenchFrames:
    """Run a private market from 09:00:00 until `unique` (default `UNIQUE_FRAMES[kind]`) frames exist (or 15:20)."""
    limit = UNIQUE_FRAMES[kind] if unique is None else unique
    if limit < 1:
        raise ValueError("unique must be >= 1")
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
    payloads = collector.payloads[:limit]
    return BenchFrames([_wire_frame(p) for p in payloads], payloads, collector.trades[:limit])


class BenchLibrary:
    """Pre-generated frames per kind, built once in a worker thread on first use (or ahead, in `--bench` mode)."""

    def __init__(self, seed: int, trading_date: dt.date, unique: Mapping[str, int] | None = None) -> None:
        """`unique` overrides `UNIQUE_FRAMES` per kind (how many distinct frames one cycle holds)."""
        self._seed = seed
        self._date = trading_date
        self._unique = dict(unique or {})
        self._builds: dict[str, asyncio.Task[BenchFrames]] = {}

    def prepare(self, kind: str) -> asyncio.Task[BenchFrames]:
        """Start (or reuse) the build of `kind`."""
        if kind not in self._builds:
            self._builds[kind] = asyncio.get_running_loop().create_task(
                asyncio.to_thread(generate, kind, self._seed, self._date, self._unique.get(kind))
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
    try:
        stream = await asyncio.to_thread(frames.stream, count)
    except ValueError as exc:
        await ws.send_frame(error(None, *WsErrors.NOT_JSON_RPC[:1], str(exc)), WSMsgType.TEXT)
        await ws.close()
        return ws
    reader = asyncio.get_running_loop().create_task(_drain_inbound(ws))
    try:
        seconds = await _stream(request, stream, count)
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


async def _stream(request: web.Request, stream: BenchStream, count: int) -> float:
    """Write `count` frames of `stream`, cycle after cycle, rendering the next cycle in a worker thread meanwhile."""
    transport = request.transport
    protocol = request.protocol
    if transport is None:
        raise ConnectionError("transport gone")
    write: Callable[[memoryview], None] = transport.write
    # aiohttp's protocol pauses on the transport's high-water mark; `_drain_helper` waits for it to resume, which
    # is the same flow control aiohttp's own WebSocket writer uses.
    drain = protocol._drain_helper
    starts = stream.starts
    remaining = count
    cycle = 0
    wire = memoryview(stream.render(0))
    started = time.perf_counter()
    while True:
        for first, end in stream.batches:
            stop = min(end, first + remaining)
            if transport.is_closing():
                raise ConnectionError("client closed")
            write(wire[starts[first] : starts[stop]])
            remaining -= stop - first
            await drain()
            if remaining == 0:
                return time.perf_counter() - started
        cycle += 1
        wire = memoryview(stream.render(cycle))
