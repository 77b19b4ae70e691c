"""End-to-end benchmarks that fit pytest-benchmark: kfeed (its own receive path, `WebSocketClient` + `FeedStream`)
against the pure-Python stack (picows + msgspec + numpy) on a tick stream from the benchmark sender process, and
the replay of a recorded market window through `Feed.ingest_many`.

The full set (all streams, latency, memory, the full-day replay) with medians and spreads is
`python -m benches.e2e.run`, which writes `benches/RESULTS.md`.

Run: `.venv/bin/python -m pytest benches/test_e2e_bench.py --benchmark-enable -q`
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from kfeed import Feed

from benches.e2e.baseline import PyFeed
from benches.e2e.capture import record_day, replay
from benches.e2e.clients import drain_socket, receive, receive_feed
from benches.e2e.frames import BENCH_DATE, BENCH_SEED
from benches.e2e.procs import REPO, SenderProcess

FRAMES = 400_000
ROUNDS = 5
WINDOW = REPO / "target" / "capture" / f"window_seed{BENCH_SEED}_{BENCH_DATE:%Y%m%d}_1000_1010_q20.cap"


@pytest.fixture(scope="module")
def sender() -> Iterator[SenderProcess]:
    with SenderProcess.start() as proc:
        drain_socket(proc.stream_url("tick", FRAMES), FRAMES)  # the sender renders its frames once
        yield proc


@pytest.fixture(scope="module")
def window() -> Path:
    """Ten minutes of the whole market (10:00–10:10), recorded once and cached under target/capture/."""
    if not WINDOW.exists():
        record_day(WINDOW, seed=BENCH_SEED, trading_date=BENCH_DATE, start=dt.time(10, 0), end=dt.time(10, 10))
    return WINDOW


@pytest.mark.parametrize("stack", ["kfeed", "python"])
def test_tick_stream_end_to_end(benchmark, sender: SenderProcess, stack: str) -> None:
    url = sender.stream_url("tick", FRAMES)
    benchmark.group = f"end to end: {FRAMES:,} tick frames over loopback"
    benchmark.extra_info["frames"] = FRAMES
    counts: list[int] = []

    def run() -> None:
        if stack == "kfeed":
            feed = Feed(trading_date=BENCH_DATE)
            receive_feed(url, feed, FRAMES)
            counts.append(feed.stats()["trades"])
        else:
            py = PyFeed(BENCH_DATE)
            receive("picows", url, py.on_tick, FRAMES)
            counts.append(py.trade_count)

    benchmark.pedantic(run, rounds=ROUNDS)
    assert counts and all(count == FRAMES for count in counts)


def test_window_replay(benchmark, window: Path) -> None:
    benchmark.group = "replay"
    results = []

    def run() -> None:
        results.append(replay(window, BENCH_DATE))

    benchmark.pedantic(run, rounds=ROUNDS)
    benchmark.extra_info["frames"] = results[0].frames
    assert all(sum(r.stats["rejects"].values()) == 0 and r.frames == results[0].frames for r in results)
