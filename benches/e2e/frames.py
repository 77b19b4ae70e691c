"""Frame streams for the end-to-end benchmarks: the simulator's own pre-generated frames, made endless for ticks.

`kfeed.sim.bench.generate` renders 20,000 real frames per kind from the simulator's market just after the 09:00
uncross. The simulator's benchmark mode cycles them, which is fine for `quote10` and `/ws_ksp` arrays but not for
`tick`: a repeated tick carries a cumulative volume already seen, so a correct feed rejects it as a duplicate and
writes no row. `TickStream` therefore renders cycle k of the ticks with each symbol's cumulative volume and value
advanced by k times what the symbol traded in one cycle, and the trade time advanced by k times the cycle's span:
every frame is a new, gap-free trade, byte-for-byte in the simulator's format.
"""

from __future__ import annotations

import datetime as dt
import functools
import struct
from collections.abc import Iterator

import numpy as np
import orjson
from kfeed.sim import krx
from kfeed.sim.bench import generate

__all__ = ["BENCH_DATE", "BENCH_SEED", "TickStream", "expected_rows", "payloads", "wire_frame"]

BENCH_SEED = 7
BENCH_DATE = dt.date(2026, 11, 25)
_HEADER_16 = struct.Struct("!BBH")
_LAST_CS = krx.cs_of(15, 20)
_FIELDS = ("trdTm", "accTrdvol", "accTrdval")


def wire_frame(payload: bytes) -> bytes:
    """One unmasked server-to-client WebSocket text frame."""
    size = len(payload)
    if size < 126:
        return bytes((0x81, size)) + payload
    if size < 65536:
        return _HEADER_16.pack(0x81, 126, size) + payload
    return struct.pack("!BBQ", 0x81, 127, size) + payload


def _unwrap(frame: bytes) -> bytes:
    length = frame[1] & 0x7F
    return frame[2 + {126: 2, 127: 8}.get(length, 0) :]


@functools.cache
def _generated(kind: str, seed: int, trading_date: dt.date) -> tuple[bytes, ...]:
    return tuple(_unwrap(frame) for frame in generate(kind, seed, trading_date).frames)


def payloads(kind: str, seed: int = BENCH_SEED, trading_date: dt.date = BENCH_DATE) -> list[bytes]:
    """The JSON payloads the simulator's benchmark mode cycles for `kind` (same seed and date, same bytes)."""
    return list(_generated(kind, seed, trading_date))


def _hhmmssmm(cs: np.ndarray) -> np.ndarray:
    seconds, hundredths = np.divmod(cs, 100)
    minutes, second = np.divmod(seconds, 60)
    hour, minute = np.divmod(minutes, 60)
    return ((hour * 100 + minute) * 100 + second) * 100 + hundredths


class TickStream:
    """An endless, duplicate-free stream of the simulator's tick frames (see the module docstring)."""

    def __init__(self, seed: int = BENCH_SEED, trading_date: dt.date = BENCH_DATE) -> None:
        self.templates: list[bytes] = []
        has_value: list[bool] = []
        times: list[int] = []
        acc: list[int] = []
        value: list[int] = []
        codes: list[str] = []
        first: dict[str, tuple[int, int, int]] = {}
        last: dict[str, tuple[int, int]] = {}
        for payload in payloads("tick", seed, trading_date):
            params = orjson.loads(payload)["params"]
            template = payload.replace(b"%", b"%%")
            for name in _FIELDS:
                if name in params:
                    template = template.replace(b'"%s":%d' % (name.encode(), params[name]), b'"%s":%%d' % name.encode())
            self.templates.append(template)
            code = params["isuSrtCd"]
            codes.append(code)
            has_value.append("accTrdval" in params)
            times.append(krx.hhmmssmm_to_cs(params["trdTm"]))
            acc.append(params["accTrdvol"])
            value.append(params.get("accTrdval", 0))
            trade_value = round(params["trdPrc"] * params["trdvol"])
            first.setdefault(
                code, (params["accTrdvol"] - params["trdvol"], params.get("accTrdval", 0) - trade_value, 0)
            )
            last[code] = (params["accTrdvol"], params.get("accTrdval", 0))
        self._has_value = has_value
        self._times = np.array(times, np.int64)
        self._acc = np.array(acc, np.int64)
        self._value = np.array(value, np.int64)
        self._acc_step = np.array([last[c][0] - first[c][0] for c in codes], np.int64)
        self._value_step = np.array([last[c][1] - first[c][1] for c in codes], np.int64)
        self.cycle_cs = int(self._times.max() - self._times.min()) + 1
        self.max_cycles = (_LAST_CS - int(self._times.max())) // self.cycle_cs + 1
        self.symbols = len(last)

    def __len__(self) -> int:
        """Frames per cycle."""
        return len(self.templates)

    def cycle(self, k: int) -> list[bytes]:
        """The payloads of cycle `k` (cycle 0 is the simulator's frames unchanged)."""
        if not 0 <= k < self.max_cycles:
            raise ValueError(f"cycle {k} would run past 15:20 (at most {self.max_cycles} cycles)")
        times = _hhmmssmm(self._times + k * self.cycle_cs).tolist()
        acc = (self._acc + k * self._acc_step).tolist()
        value = (self._value + k * self._value_step).tolist()
        return [
            template % ((t, a, v) if with_value else (t, a))
            for template, with_value, t, a, v in zip(self.templates, self._has_value, times, acc, value, strict=True)
        ]

    def take(self, count: int) -> Iterator[bytes]:
        """The first `count` payloads of the stream."""
        k = 0
        while count > 0:
            chunk = self.cycle(k)[:count]
            yield from chunk
            count -= len(chunk)
            k += 1


def expected_rows(kind: str, frames: int) -> int:
    """Rows `frames` frames of `kind` write (one per tick or quote10 frame, one per `/ws_ksp` element), cycled."""
    if kind in ("tick", "quote10"):
        return frames
    sizes = [len(orjson.loads(p)) for p in payloads(kind)]
    cycles, rest = divmod(frames, len(sizes))
    return cycles * sum(sizes) + sum(sizes[:rest])
