"""Smoke versions of the end-to-end benchmarks (`benches/e2e`): tiny sizes, real processes and sockets, and
assertions on correctness (every frame and row accounted for), never on time."""

from __future__ import annotations

import datetime as dt
import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import orjson
import pytest
from kfeed import Feed
from kfeed.sim import SimProcess

from benches.e2e.baseline import PyFeed
from benches.e2e.capture import iter_chunks, record_day, replay
from benches.e2e.clients import TRANSPORTS, drain_socket, noop, receive, receive_feed
from benches.e2e.frames import BENCH_DATE, TickStream, expected_rows, payloads
from benches.e2e.latency import DEFAULT_SETUP, Setup, measure_latency, measure_stalls, placed
from benches.e2e.memory import buffer_sizes, measure_memory
from benches.e2e.procs import SenderProcess, Source, sim_source
from benches.e2e.report import README_END, README_START, store_section, write_readme, write_results

FRAMES = 5_000


@pytest.fixture(scope="module")
def sender() -> Iterator[SenderProcess]:
    with SenderProcess.start() as proc:
        yield proc


@pytest.fixture(scope="module")
def simulator() -> Iterator[tuple[SimProcess, Source]]:
    proc, source = sim_source()
    try:
        yield proc, source
    finally:
        proc.stop()


@pytest.fixture(scope="module")
def ticks() -> TickStream:
    return TickStream()


def test_tick_stream_is_the_simulators_ticks_made_endless(ticks: TickStream) -> None:
    assert ticks.cycle(0) == payloads("tick")
    frames = list(ticks.take(3 * len(ticks) + 7))
    feed = Feed(trading_date=BENCH_DATE)
    assert feed.ingest_many(frames) == len(frames)
    stats = feed.stats()
    assert stats["trades"] == len(frames)
    assert stats["duplicates"] == stats["gaps"] == stats["late_bar_trades"] == 0
    assert sum(stats["rejects"].values()) == 0
    with pytest.raises(ValueError, match="past 15:20"):
        ticks.cycle(ticks.max_cycles)


@pytest.mark.parametrize("kind", ["quote10", "ksp"])
def test_expected_rows_match_what_a_feed_writes_from_the_cycled_frames(kind: str) -> None:
    base = payloads(kind)
    count = len(base) + len(base) // 3
    frames = list(itertools.islice(itertools.cycle(base), count))
    feed = Feed(trading_date=BENCH_DATE)
    assert feed.ingest_many(frames) == expected_rows(kind, count)


@pytest.mark.parametrize("transport", list(TRANSPORTS))
def test_each_transport_delivers_every_frame_to_the_feed(sender: SenderProcess, transport: str) -> None:
    url = sender.stream_url("tick", FRAMES)
    feed = Feed(trading_date=BENCH_DATE)
    run = receive(transport, url, feed.ingest, FRAMES)
    assert run.frames == run.sent == FRAMES
    assert run.seconds > 0 and run.source_seconds > 0
    assert feed.stats()["trades"] == FRAMES
    reader = feed.trades_reader()
    assert reader.position == FRAMES
    assert receive(transport, url, noop, FRAMES).frames == FRAMES


def test_kfeed_receive_path_applies_every_frame_and_learns_the_senders_count(sender: SenderProcess) -> None:
    url = sender.stream_url("tick", FRAMES)
    feed = Feed(trading_date=BENCH_DATE)
    reader = feed.trades_reader()
    run = receive_feed(url, feed, FRAMES)
    assert run.frames == run.sent == FRAMES
    assert run.seconds > 0 and run.source_seconds is not None and run.source_seconds > 0
    stats = feed.stats()
    assert stats["trades"] == FRAMES
    assert stats["rejects"]["not_protocol"] == 1  # bench_done, which is no feed message
    rows, lost = reader.read()
    assert lost == 0 and len(rows) == FRAMES
    assert np.all(np.diff(rows["recv_time"]) >= 0)
    with pytest.raises(RuntimeError, match="data frames"):
        receive_feed(url, Feed(trading_date=BENCH_DATE), FRAMES + 1)


def test_socket_drain_reads_the_whole_stream_up_to_the_close_frame(sender: SenderProcess) -> None:
    run = drain_socket(sender.stream_url("tick", FRAMES), FRAMES)
    assert run.frames == run.sent == FRAMES
    assert run.seconds > 0 and run.source_rate is not None and run.source_rate > 0
    with pytest.raises(RuntimeError, match="sent 5000 frames, expected 4999"):
        drain_socket(sender.stream_url("tick", FRAMES), FRAMES - 1)


@pytest.mark.parametrize("kind", ["quote10", "ksp"])
def test_simulator_bench_streams_reach_both_stacks_without_loss(
    simulator: tuple[SimProcess, Source], kind: str
) -> None:
    _, source = simulator
    count = 600 if kind == "ksp" else FRAMES
    url = source.url(kind, count)
    feed = Feed(trading_date=BENCH_DATE)
    run = receive_feed(url, feed, count)
    assert run.frames == count and run.sent is None and run.source_rate is None
    stats = feed.stats()
    assert stats["trades"] + stats["quotes"] == expected_rows(kind, count)
    py = PyFeed(BENCH_DATE)
    receive("picows", url, py.handler(kind), count)
    assert py.rejects == py.duplicates == 0
    assert py.trade_count + py.quote_count == expected_rows(kind, count)


def test_python_baseline_keeps_the_same_trades_and_books_as_kfeed(ticks: TickStream) -> None:
    frames = list(ticks.take(2 * len(ticks))) + payloads("quote10")[:2000]
    feed = Feed(trading_date=BENCH_DATE)
    reader = feed.trades_reader()
    feed.ingest_many(frames)
    py = PyFeed(BENCH_DATE)
    for frame in frames:
        (py.on_quote10 if b'"quote10"' in frame else py.on_tick)(frame)
    rows, lost = reader.read()
    assert lost == 0 and len(rows) == py.trade_count == 2 * len(ticks)
    mine = py.trades[: py.trade_count]
    for column in ("time", "price", "qty"):
        assert np.array_equal(rows[column], mine[column]), column
    codes = {sid: code for code, sid in py.ids.items()}
    assert [feed.symbol(int(s)) for s in rows["symbol"][:500]] == [codes[int(s)] for s in mine["symbol"][:500]]
    code = max(py.ids, key=lambda c: py.books[py.ids[c]]["seq"])
    book, mine_book = feed.book(code), py.books[py.ids[code]]
    for column in ("ask_price", "bid_price", "ask_qty", "bid_qty"):
        assert np.array_equal(book[column], mine_book[column]), column


def test_latency_run_accounts_for_every_frame_on_one_clock(sender: SenderProcess) -> None:
    run = measure_latency(sender, 20_000, 2_000, BENCH_DATE)
    assert len(run.latencies) == 2_000
    assert run.latencies.min() > 0
    assert 0 < run.percentile(50) <= run.percentile(99) <= run.max_us
    assert run.achieved_rate > 0
    assert 0 < run.reads <= 2_000


def test_latency_setup_pins_the_receiver_only_while_it_receives(sender: SenderProcess) -> None:
    affinity = os.sched_getaffinity(0)
    setup = Setup("pinned, sleeping sender", receiver_cpu=min(affinity), spin_ns=0)
    with placed(setup):
        assert os.sched_getaffinity(0) == {min(affinity)}
    assert os.sched_getaffinity(0) == affinity
    run = measure_latency(sender, 10_000, 1_000, BENCH_DATE, setup)
    assert len(run.latencies) == 1_000 and run.latencies.min() > 0
    assert os.sched_getaffinity(0) == affinity
    assert DEFAULT_SETUP.receiver_cpu is None and not DEFAULT_SETUP.receiver_fifo


def test_polling_receiver_accounts_for_every_frame(sender: SenderProcess) -> None:
    run = measure_latency(sender, 10_000, 1_000, BENCH_DATE, Setup("polling", receiver_polls=True))
    assert len(run.latencies) == 1_000 and run.latencies.min() > 0


def test_stall_probe_reports_the_time_it_spun() -> None:
    cpu = min(os.sched_getaffinity(0))
    stalls = measure_stalls(cpu, seconds=0.05, threshold_ns=1)
    assert stalls.cpu == cpu and 0.05 <= stalls.seconds < 1
    assert stalls.gaps > 0 and 0 < stalls.lost_share <= 100 and stalls.max_us > 0


def test_memory_run_counts_every_row_and_samples_rss(sender: SenderProcess) -> None:
    frames = 30_000
    run = measure_memory(sender.stream_url("tick", frames), frames)
    assert run.frames == run.rows == frames
    assert run.samples[0][0] == 0 and run.samples[-1][0] == frames + 2
    assert all(rss > 0 for _, rss in run.samples)
    sizes = buffer_sizes()
    assert sizes["total"] == sum(v for k, v in sizes.items() if k != "total")


def test_capture_replays_every_recorded_frame(tmp_path: Path) -> None:
    path = tmp_path / "window.cap"
    summary = record_day(path, trading_date=BENCH_DATE, start=dt.time(10, 0), end=dt.time(10, 0, 30))
    assert summary.frames > 0 and summary.trades > 0 and summary.quotes > 0
    result = replay(path, BENCH_DATE)
    assert result.frames == summary.frames
    stats = result.stats
    assert sum(stats["rejects"].values()) == 0
    assert stats["trades"] == summary.trades
    assert stats["quotes"] == summary.quotes
    assert stats["index"] == summary.indices
    whole = [bytes(f) for chunk in iter_chunks(path) for f in chunk]
    small = [bytes(f) for chunk in iter_chunks(path, chunk_bytes=4096) for f in chunk]
    assert small == whole and len(whole) == summary.frames
    assert all(orjson.loads(f) for f in whole[:50])
    path.write_bytes(path.read_bytes()[:-3])
    with pytest.raises(ValueError, match="ends inside a frame"):
        list(iter_chunks(path))


def test_results_and_readme_are_rewritten_from_stored_sections(tmp_path: Path) -> None:
    cache, out, readme = tmp_path / "e2e.json", tmp_path / "RESULTS.md", tmp_path / "README.md"
    store_section(cache, "latency", "## Latency\n\n| a |\n|---|\n| 1 |", [("Latency p99", "12.0 (11–13)", "≤ 50")], "1")
    store_section(cache, "transport", "## Transport", [("Transport alone", "0.3", "")], "2")
    write_results(cache, out, "cmd")
    text = out.read_text()
    assert text.index("## Transport") < text.index("## Latency")
    assert "cores" in text and "load 1" in text
    readme.write_text(f"intro\n{README_START}\nold\n{README_END}\nrest\n")
    write_readme(cache, readme)
    new = readme.read_text()
    assert "old" not in new and "| Latency p99 | 12.0 (11–13) | ≤ 50 |" in new
    assert new.startswith("intro\n") and new.endswith("rest\n")
    readme.write_text("no markers")
    with pytest.raises(ValueError, match="markers"):
        write_readme(cache, readme)
