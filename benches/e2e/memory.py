"""RSS of a feed process across a long tick stream, and the fixed size of a Feed's preallocated buffers.

`measure_memory` runs the receiver in a fresh process (`python -m benches.e2e.memory URL FRAMES`): kfeed's
production path (`WebSocketClient` + `FeedStream`, one Rust call per socket read) with a default-sized Feed,
sampling its own RSS from /proc/self/statm after the first read that takes the message count past each multiple of
`SAMPLE_EVERY` frames. The growth is measured from the sample after the trades ring has been written round twice
(every page of every ring touched) to the end.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

from kfeed import BAR_DTYPE, BOOK_DTYPE, QUOTE_DTYPE, TRADE_DTYPE, Feed

from benches.e2e.clients import StreamingClient, connect_stream
from benches.e2e.frames import BENCH_DATE
from benches.e2e.procs import REPO

__all__ = ["SAMPLE_EVERY", "MemoryRun", "buffer_sizes", "measure_memory"]

SAMPLE_EVERY = 1 << 20
_PAGE = os.sysconf("SC_PAGE_SIZE")
_TRADE_CAPACITY = 1 << 20
_QUOTE_CAPACITY = 1 << 18
_SYMBOL_CAPACITY = 8192
_BAR_CAPACITY = 1 << 16


def _open_bars_stride() -> int:
    """Bytes per symbol of the open bars: one block holding its open bar of every interval (the stride of a
    `current` view), read from a small feed."""
    feed = Feed(trade_capacity=1, quote_capacity=1, symbol_capacity=1, bar_capacity=1)
    return int(feed.bars("10s").current.strides[0])


def buffer_sizes() -> dict[str, int]:
    """Bytes of each preallocated buffer of a default Feed (itemsize x capacity), and their total."""
    intervals = len(Feed.intervals)
    sizes = {
        "trades ring": TRADE_DTYPE.itemsize * _TRADE_CAPACITY,
        "quotes ring": QUOTE_DTYPE.itemsize * _QUOTE_CAPACITY,
        "books": BOOK_DTYPE.itemsize * _SYMBOL_CAPACITY,
        "closed bars rings": BAR_DTYPE.itemsize * _BAR_CAPACITY * intervals,
        "open bars": _open_bars_stride() * _SYMBOL_CAPACITY,
    }
    sizes["total"] = sum(sizes.values())
    return sizes


def _rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * _PAGE


@dataclass(frozen=True, slots=True)
class MemoryRun:
    """RSS samples of one long run."""

    frames: int
    seconds: float
    rows: int
    samples: list[tuple[int, int]]
    """(frames so far, RSS bytes)."""

    @property
    def warm_rss(self) -> int:
        """RSS once every ring has been written round once."""
        return next(rss for frames, rss in self.samples if frames >= 2 * _TRADE_CAPACITY)

    @property
    def growth(self) -> int:
        """RSS growth in bytes from `warm_rss` to the end of the run."""
        return self.samples[-1][1] - self.warm_rss

    @property
    def peak_growth(self) -> int:
        """The largest RSS sampled after warm-up, less `warm_rss`."""
        warm = self.warm_rss
        return max(rss for frames, rss in self.samples if frames >= 2 * _TRADE_CAPACITY) - warm


class _SamplingClient(StreamingClient):
    """kfeed's `WebSocketClient`, sampling RSS after the read that passes each multiple of `SAMPLE_EVERY` messages."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.samples: list[tuple[int, int]] = [(0, _rss())]
        self.next_sample = SAMPLE_EVERY

    def buffer_updated(self, nbytes: int) -> None:
        """Applies one read (as `WebSocketClient` does), then samples RSS when due."""
        super().buffer_updated(nbytes)
        messages = self.stream.messages
        if messages >= self.next_sample:
            self.samples.append((messages, _rss()))
            self.next_sample += SAMPLE_EVERY


def _receive(url: str, frames: int) -> dict[str, object]:
    feed = Feed(trading_date=BENCH_DATE)
    started = time.perf_counter()
    client = asyncio.run(connect_stream(_SamplingClient, url, feed, frames))
    seconds = time.perf_counter() - started
    stats = client.stream.stats()
    client.samples.append((int(stats["text_messages"]), _rss()))
    return {
        "frames": int(stats["text_messages"]) - 2,
        "rows": stats["rows"],
        "seconds": seconds,
        "samples": client.samples,
    }


def measure_memory(url: str, frames: int) -> MemoryRun:
    """Receive `frames` tick frames from `url` in a fresh process; RuntimeError on any loss."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    out = subprocess.run(
        [sys.executable, "-m", "benches.e2e.memory", url, str(frames)],
        env=env,
        cwd=REPO,
        check=True,
        capture_output=True,
    ).stdout
    result = json.loads(out)
    if result["frames"] != frames or result["rows"] != frames:
        raise RuntimeError(f"memory run: {result['frames']} frames, {result['rows']} rows, expected {frames}")
    samples = [(int(n), int(rss)) for n, rss in result["samples"]]
    return MemoryRun(result["frames"], result["seconds"], result["rows"], samples)


if __name__ == "__main__":
    print(json.dumps(_receive(sys.argv[1], int(sys.argv[2]))))
