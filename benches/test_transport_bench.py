"""Receive-path cost: kfeed's own (`WebSocketClient` + `FeedStream`, one Rust call per read), and picows, websockets
and aiohttp, each with `Feed.ingest` and with a no-op handler per frame.

Each round receives one stream of tick frames from the benchmark sender (a separate process, over loopback) on a
fresh event loop; divide by `extra_info["frames"]` for the per-frame cost. `python -m benches.e2e.run --sections
transport` runs the same measurement (with a raw socket drain as the ceiling) and writes it to
`benches/RESULTS.md`.

Run: `.venv/bin/python -m pytest benches/test_transport_bench.py --benchmark-enable -q`
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from kfeed import Feed

from benches.e2e.clients import TRANSPORTS, drain_socket, noop, receive, receive_feed
from benches.e2e.frames import BENCH_DATE
from benches.e2e.procs import SenderProcess

FRAMES = 200_000
ROUNDS = 5


@pytest.fixture(scope="module")
def sender() -> Iterator[SenderProcess]:
    with SenderProcess.start() as proc:
        drain_socket(proc.stream_url("tick", FRAMES), FRAMES)  # the sender renders its frames once
        yield proc


@pytest.mark.parametrize("handler", ["noop", "ingest"])
@pytest.mark.parametrize("transport", list(TRANSPORTS))
def test_receive(benchmark, sender: SenderProcess, transport: str, handler: str) -> None:
    url = sender.stream_url("tick", FRAMES)
    benchmark.group = f"receive {FRAMES:,} tick frames, {handler}"
    benchmark.extra_info["frames"] = FRAMES
    feeds: list[Feed] = []

    def setup() -> tuple[tuple[object, ...], dict[str, object]]:
        feed = Feed(trading_date=BENCH_DATE)
        feeds.append(feed)
        return (transport, url, noop if handler == "noop" else feed.ingest, FRAMES), {}

    benchmark.pedantic(receive, setup=setup, rounds=ROUNDS)
    if handler == "ingest":
        assert all(feed.stats()["trades"] == FRAMES for feed in feeds)


def test_receive_kfeed(benchmark, sender: SenderProcess) -> None:
    url = sender.stream_url("tick", FRAMES)
    benchmark.group = f"receive {FRAMES:,} tick frames, ingest"
    benchmark.extra_info["frames"] = FRAMES
    feeds: list[Feed] = []

    def setup() -> tuple[tuple[object, ...], dict[str, object]]:
        feed = Feed(trading_date=BENCH_DATE)
        feeds.append(feed)
        return (url, feed, FRAMES), {}

    benchmark.pedantic(receive_feed, setup=setup, rounds=ROUNDS)
    assert all(feed.stats()["trades"] == FRAMES for feed in feeds)
