"""The benchmark sender: a WebSocket server process that streams the simulator's frames, flat out or paced and stamped.

It speaks the simulator's benchmark protocol (connect, send `init`, read; after the last frame a
`{"jsonrpc":"2.0","method":"bench_done","params":{"frames":N,"seconds":S,"rate":R}}` frame and a 1000 close whose
reason is `{"frames":N,"seconds":S}` again, for receivers that hand text frames straight to a feed), on
`/stream?kind=KIND&frames=N[&rate=R&stamps=PATH&spin=NS]`:

- `kind`: `tick` (the endless, duplicate-free `TickStream`), or `quote10`/`ksp` (the simulator's frames, cycled).
- without `rate`: frames are encoded once, joined into 1 MiB blocks, and written with `os.write` on the socket
  itself (waiting in `poll` while the kernel's send buffer is full, so a blocked sender leaves its core to the
  receiver), bypassing aiohttp's transport and its per-write drain. Streams longer than `PRERENDER_LIMIT` frames
  are rendered while sending, a cycle (20,000 frames) per write, and then the sender's rendering may set the pace.
  `bench_done` reports the sender's own rate (first write to the last byte accepted by its kernel).
- with `rate` (frames/s, 0 = as fast as possible): every frame is written on its own when it is due on
  CLOCK_MONOTONIC, and `time.monotonic_ns()` just before each write is saved to `stamps` (a .npy int64 array,
  written before `bench_done`), for a latency measurement against the receiver's clock. The sender sleeps until
  `spin` ns (default 50 µs) before the next frame is due (timer slack set to 1 µs) and busy-waits the rest: at low
  rates it leaves its core free, at 20 k frames/s and above the default spins all the time, which keeps the pacing
  exact. `spin=0` never spins: the sender sleeps to each due time and writes late when the wake-up is late (each
  frame is still stamped just before its own write).

Run: `python -m benches.e2e.sender [--port P] [--cpu N]`; it prints its `ws://` URL on one line when ready.
`--cpu` pins the sender to one core (`sched_setaffinity`).
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import itertools
import os
import select
import struct
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import orjson
from aiohttp import WSMsgType, web

from benches.e2e.frames import TickStream, payloads, wire_frame

__all__ = ["PRERENDER_LIMIT", "main"]

PRERENDER_LIMIT = 4_000_000
_BATCH_BYTES = 1 << 20
_HEADER_16 = struct.Struct("!BBH")
_PR_SET_TIMERSLACK = 29
_SPIN_NS = 50_000
"""Paced mode sleeps until this long before a frame is due, then busy-waits the rest."""
KINDS = ("tick", "quote10", "ksp")


class _Library:
    """Payload sources per kind, built on first use."""

    def __init__(self) -> None:
        self._ticks: TickStream | None = None
        self._cycled: dict[str, list[bytes]] = {}
        self._batches: dict[tuple[str, int], list[bytes]] = {}

    def ticks(self) -> TickStream:
        if self._ticks is None:
            self._ticks = TickStream()
        return self._ticks

    def take(self, kind: str, count: int) -> Iterator[list[bytes]]:
        """The first `count` payloads of `kind`, a cycle at a time."""
        if kind == "tick":
            stream = self.ticks()
            k = 0
            while count > 0:
                chunk = stream.cycle(k)[:count]
                yield chunk
                count -= len(chunk)
                k += 1
            return
        if kind not in self._cycled:
            self._cycled[kind] = payloads(kind)
        base = self._cycled[kind]
        while count > 0:
            chunk = base[:count]
            yield chunk
            count -= len(chunk)

    def batches(self, kind: str, count: int) -> list[bytes]:
        """`count` frames of `kind` as wire frames joined into ~1 MiB batches (cached for the last count)."""
        key = (kind, count)
        if key not in self._batches:
            self._batches.clear()
            self._batches[key] = list(_batched(itertools.chain.from_iterable(self.take(kind, count))))
        return self._batches[key]


def _batched(chunk: Iterator[bytes] | list[bytes]) -> Iterator[bytes]:
    parts: list[bytes] = []
    size = 0
    for payload in chunk:
        frame = wire_frame(payload)
        parts.append(frame)
        size += len(frame)
        if size >= _BATCH_BYTES:
            yield b"".join(parts)
            parts, size = [], 0
    if parts:
        yield b"".join(parts)


def _write_all(fd: int, data: bytes, writable: select.poll) -> None:
    """Writes all of `data` to the non-blocking socket `fd`, waiting in `poll` while its send buffer is full."""
    view = memoryview(data)
    write = os.write
    while view:
        try:
            view = view[write(fd, view) :]
        except BlockingIOError:
            writable.poll()


def _joined(chunk: list[bytes]) -> bytes:
    """A cycle's payloads as one buffer of wire frames (the fast path for frames rendered while streaming)."""
    pack = _HEADER_16.pack
    return b"".join([pack(0x81, 126, len(p)) + p if 126 <= len(p) < 65536 else wire_frame(p) for p in chunk])


class Sender:
    """The aiohttp application serving `/stream`."""

    def __init__(self) -> None:
        self.library = _Library()

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/stream", self.stream)
        return app

    async def stream(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=64 * 1024)
        await ws.prepare(request)
        kind = request.query.get("kind", "tick")
        count = int(request.query.get("frames", "1000000"))
        rate = request.query.get("rate")
        stamps = request.query.get("stamps")
        spin_ns = int(request.query.get("spin", _SPIN_NS))
        msg = await ws.receive()
        if msg.type != WSMsgType.TEXT or kind not in KINDS or count < 1:
            await ws.close(code=1008, message=b"bad request")
            return ws
        request_id = orjson.loads(msg.data).get("id")
        transport = request.transport
        if transport is None:
            return ws
        if rate is None:
            prepared = self.library.batches(kind, count) if count <= PRERENDER_LIMIT else None
            await ws.send_frame(orjson.dumps({"jsonrpc": "2.0", "id": request_id, "result": {"message": "ok"}}),
                                WSMsgType.TEXT)  # fmt: skip
            seconds = self._flat_out(request, kind, count, prepared)
        else:
            frames = [wire_frame(p) for p in itertools.chain.from_iterable(self.library.take(kind, count))]
            sent = np.zeros(count, np.int64)
            await ws.send_frame(orjson.dumps({"jsonrpc": "2.0", "id": request_id, "result": {"message": "ok"}}),
                                WSMsgType.TEXT)  # fmt: skip
            seconds = self._paced(request, frames, float(rate), spin_ns, sent)
            if stamps:
                np.save(Path(stamps), sent)
        done = {"frames": count, "seconds": seconds, "rate": count / seconds if seconds > 0 else 0.0}
        await ws.send_frame(orjson.dumps({"jsonrpc": "2.0", "method": "bench_done", "params": done}), WSMsgType.TEXT)
        await ws.close(message=orjson.dumps({"frames": count, "seconds": seconds}))
        return ws

    def _flat_out(self, request: web.Request, kind: str, count: int, prepared: list[bytes] | None) -> float:
        # Written on the socket itself, blocking this server's event loop for the stream (it serves one stream at
        # a time): aiohttp's transport.write + drain costs an event-loop round trip per batch.
        transport = request.transport
        assert transport is not None
        fd = transport.get_extra_info("socket").fileno()
        writable = select.poll()
        writable.register(fd, select.POLLOUT)
        started = time.perf_counter()
        if prepared is not None:
            for batch in prepared:
                _write_all(fd, batch, writable)
        else:
            for chunk in self.library.take(kind, count):
                _write_all(fd, _joined(chunk), writable)
        return time.perf_counter() - started

    def _paced(self, request: web.Request, frames: list[bytes], rate: float, spin_ns: int, sent: np.ndarray) -> float:
        # Written with os.write on the socket itself: asyncio's transport, once the kernel buffer is full, keeps
        # what follows in its own buffer until the event loop runs, which a pacing loop does not let it do; the
        # frames would then sit in the sender, not in transit. Here a full kernel buffer (the receiver not reading)
        # makes the sender retry until the kernel takes the frame, and that wait counts as latency.
        transport = request.transport
        assert transport is not None
        fd = transport.get_extra_info("socket").fileno()
        write = os.write
        clock = time.monotonic_ns
        period = 1e9 / rate if rate > 0 else 0.0
        sleep = time.sleep
        stamps: list[int] = []
        stamp = stamps.append
        started = clock()
        due = float(started)
        for frame in frames:
            now = clock()
            if due - now > spin_ns:
                sleep((due - now - spin_ns) / 1e9)
                now = clock()
            while now < due:
                now = clock()
            stamp(now)
            view = memoryview(frame)
            while view:
                try:
                    view = view[write(fd, view) :]
                except BlockingIOError:
                    continue
            due += period
        sent[:] = stamps
        return (clock() - started) / 1e9


async def _serve(port: int) -> None:
    runner = web.AppRunner(Sender().app(), access_log=None, handle_signals=True)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    bound = runner.addresses[-1][1]
    print(f"ws://127.0.0.1:{bound}", flush=True)
    await asyncio.Event().wait()


def _set_timer_slack(ns: int) -> None:
    """Let sleeps end within `ns` of their deadline (Linux `PR_SET_TIMERSLACK`; the default slack is 50 µs)."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_TIMERSLACK, ctypes.c_ulong(ns), 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_TIMERSLACK) failed")


def main(argv: list[str] | None = None) -> int:
    """Serve until terminated."""
    _set_timer_slack(1_000)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--cpu", type=int, default=None, help="pin the sender to this core")
    args = parser.parse_args(argv)
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})
    asyncio.run(_serve(args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
