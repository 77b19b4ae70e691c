"""Run the end-to-end benchmarks and (re)write `benches/RESULTS.md`.

    python -m benches.e2e.run                       # every section, 5 runs each
    python -m benches.e2e.run --sections latency    # one section; the others keep their stored results
    python -m benches.e2e.run --readme README.md    # also rewrite the README's summary table

Sections (see each module's docstring for the method):
- transport: the same tick stream from the sender process received by kfeed's own path (`WebSocketClient` +
  `FeedStream`: one Rust call per socket read), by picows, websockets and aiohttp handing every frame to
  `Feed.ingest` or to a no-op handler, and by a raw socket drain (the ceiling the sender and loopback allow).
- throughput: kfeed (`WebSocketClient` + `FeedStream`, as `kfeed.link` runs it) against the pure-Python stack (the
  fastest pure-Python transport + msgspec + numpy) on tick frames (sender process: the simulator's ticks,
  duplicate-free), quote10 frames and `/ws_ksp` arrays (the simulator in benchmark mode), with zero loss checked
  by frame and row counts.
- latency: write-to-visible latency at 10 k and 100 k frames/s and flat out, for each process placement in
  `LATENCY_SETUPS` (default scheduling first).
- memory: RSS of a kfeed receiving process across `--memory-frames` tick frames, and the Feed's fixed buffer sizes.
- replay: a recorded full trading day (cached under target/capture/) through `Feed.ingest_many` on one core.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

from kfeed import Feed

from benches.e2e import capture as capture_mod
from benches.e2e.baseline import PyFeed
from benches.e2e.clients import TRANSPORTS, StreamRun, drain_socket, noop, receive, receive_feed
from benches.e2e.frames import BENCH_DATE, BENCH_SEED, expected_rows
from benches.e2e.latency import DEFAULT_SETUP, Setup, Stalls, measure_latency, measure_stalls
from benches.e2e.memory import buffer_sizes, measure_memory
from benches.e2e.procs import REPO, SenderProcess, sim_source
from benches.e2e.report import SECTIONS, fmt, load_average, store_section, write_readme, write_results

__all__ = ["main"]

CACHE = REPO / "target" / "bench" / "e2e.json"
RESULTS = REPO / "benches" / "RESULTS.md"
CAPTURE = REPO / "target" / "capture" / f"day_seed{BENCH_SEED}_{BENCH_DATE:%Y%m%d}_q20.cap"
LATENCY_RATES = ((10_000.0, 30_000), (100_000.0, 300_000), (0.0, 500_000))
"""(target frames/s, frames per run); 0 = as fast as the sender writes single frames."""
LATENCY_SETUPS = (
    DEFAULT_SETUP,
    Setup("pinned: sender core 0, receiver core 1", sender_cpu=0, receiver_cpu=1),
    Setup("pinned + receiver SCHED_FIFO", sender_cpu=0, receiver_cpu=1, receiver_fifo=True),
    Setup("pinned + receiver busy_poll", sender_cpu=0, receiver_cpu=1, receiver_polls=True),
    Setup("pinned + receiver busy_poll + sender sleeps", sender_cpu=0, receiver_cpu=1, receiver_polls=True, spin_ns=0),
)
"""Process placements measured, the default first."""
TUNED_SETUP = LATENCY_SETUPS[3]
"""The placement a latency-sensitive deployment of kfeed would use: the receiver pinned to a core of its own with
`SessionOptions(busy_poll=True)`; the sender is left as it is (it stands in for the exchange)."""
STALL_PROBE_SECONDS = 1.0
"""How long the stall probe spins on each core before each placement."""
KFEED_PATH = "kfeed (WebSocketClient + FeedStream)"


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _kfeed_rows(feed: Feed, *, streamed: bool = False) -> int:
    """Rows a feed wrote; RuntimeError on any reject (but the `bench_done` a `FeedStream` applied if `streamed`)."""
    stats = feed.stats()
    rejects = sum(stats["rejects"].values()) - (1 if streamed else 0)
    if rejects:
        raise RuntimeError(f"kfeed rejected {rejects} frames: {stats['rejects']}")
    return int(stats["trades"]) + int(stats["quotes"])


def _rates(runs: list[StreamRun]) -> tuple[str, str]:
    """The receiver's and the source's frames/s over `runs` ("—" where the source did not report)."""
    sources = [r.source_rate for r in runs]
    shown = fmt([s for s in sources if s is not None]) if all(s is not None for s in sources) else "—"
    return fmt([r.rate for r in runs]), shown


def transport_section(runs: int, frames: int) -> tuple[str, list[tuple[str, str, str]], str]:
    """kfeed's receive path vs picows, websockets and aiohttp (with Feed.ingest and a no-op), and a raw drain."""
    results: dict[tuple[str, str], list[StreamRun]] = {}
    with SenderProcess.start() as sender:
        url = sender.stream_url("tick", frames)
        drain_socket(url, frames)  # warm the sender's frame cache
        for _ in range(runs):
            run = drain_socket(url, frames)
            results.setdefault(("socket drain (recv_into, no WebSocket)", "none"), []).append(run)
            _log(f"transport drain {run.rate:12,.0f} frames/s (sender {run.source_rate:,.0f})")
            feed = Feed(trading_date=BENCH_DATE)
            run = receive_feed(url, feed, frames)
            if _kfeed_rows(feed, streamed=True) != frames:
                raise RuntimeError(f"kfeed: {_kfeed_rows(feed, streamed=True)} rows for {frames} frames")
            results.setdefault((KFEED_PATH, "Feed.ingest in Rust, one call per read"), []).append(run)
            _log(f"transport kfeed {run.rate:12,.0f} frames/s (sender {run.source_rate:,.0f})")
            for name in TRANSPORTS:
                for handler in ("no-op", "Feed.ingest"):
                    feed = Feed(trading_date=BENCH_DATE)
                    run = receive(name, url, noop if handler == "no-op" else feed.ingest, frames)
                    if handler == "Feed.ingest" and _kfeed_rows(feed) != frames:
                        raise RuntimeError(f"{name}: {_kfeed_rows(feed)} rows for {frames} frames")
                    results.setdefault((name, handler), []).append(run)
                    _log(f"transport {name:10} {handler:11} {run.rate:12,.0f} frames/s")
    lines = [
        "## Transport: receive path cost",
        "",
        f"The same {frames:,} tick frames (the simulator's, from `benches/e2e/sender.py` over loopback, written with",
        f"`os.write` in 1 MiB blocks) received {runs} times per row; the receiver's clock runs from the first data",
        "frame to `bench_done`, the sender's from its first write until its kernel took the last byte. Every frame",
        "arrived (counted) and, with `Feed.ingest`, wrote its row. (The simulator's own `/bench` tick stream repeats",
        "its 20,000 frames, and a feed rejects a repeated tick as a duplicate, so `Feed.ingest` would be timed on its",
        "reject path; the sender advances each cycle's cumulative volumes instead.)",
        "",
        "- **socket drain**: no WebSocket client, only `recv_into` of the bytes until the close frame: what the sender",
        "  and loopback deliver to a receiver that does nothing (the ceiling of every other row).",
        f"- **{KFEED_PATH}**: kfeed's production path (`kfeed.link` runs it): the event loop reads into the",
        "  `FeedStream`'s buffer and one `received` call per read deframes every frame and applies it in Rust.",
        "- **picows, websockets, aiohttp**: a Python callback or `await` per frame, handing the payload to a no-op",
        "  (the transport alone) or to `Feed.ingest`.",
        "",
        "When the receiver is slower than the sender, the sender waits on a full socket buffer and its rate equals the",
        "receiver's; a sender rate well above the receiver's would mean the sender had to wait for nothing.",
        "",
        "| Receive path | Handler | frames/s | µs/frame | sender frames/s |",
        "|---|---|---|---|---|",
    ]
    for (name, handler), rs in results.items():
        received, sent = _rates(rs)
        lines.append(f"| {name} | {handler} | {received} | {fmt([r.us_per_frame for r in rs], 3)} | {sent} |")
    best = min(TRANSPORTS, key=lambda n: statistics.median([r.us_per_frame for r in results[(n, "no-op")]]))
    kfeed_runs = results[(KFEED_PATH, "Feed.ingest in Rust, one call per read")]
    kfeed_us = statistics.median([r.us_per_frame for r in kfeed_runs])
    drain_rate = statistics.median([r.rate for r in results[("socket drain (recv_into, no WebSocket)", "none")]])
    noop_us = {n: statistics.median([r.us_per_frame for r in results[(n, "no-op")]]) for n in TRANSPORTS}
    ingest_us = {n: statistics.median([r.us_per_frame for r in results[(n, "Feed.ingest")]]) for n in TRANSPORTS}
    lines += [
        "",
        f"kfeed's path takes {kfeed_us:.3f} µs/frame for transport, deframing and ingest together, against "
        + ", ".join(f"{n} {ingest_us[n]:.3f}" for n in TRANSPORTS)
        + f" µs/frame with `Feed.ingest` per frame (medians). The fastest pure-Python transport alone is **{best}**",
        f"({noop_us[best]:.3f} µs/frame, before any parsing); the socket drain reaches {drain_rate:,.0f} frames/s.",
    ]
    summary = [
        (f"Receive + ingest, µs/frame ({KFEED_PATH})", fmt([r.us_per_frame for r in kfeed_runs], 3), ""),
        *(
            (f"Transport alone, µs/frame ({name})", fmt([r.us_per_frame for r in results[(name, "no-op")]], 3), "")
            for name in TRANSPORTS
        ),
    ]
    return "\n".join(lines), summary, best


def _stack_run(transport: str, url: str, kind: str, frames: int, stack: str) -> tuple[StreamRun, int]:
    if stack == "kfeed":
        feed = Feed(trading_date=BENCH_DATE)
        run = receive_feed(url, feed, frames)
        return run, _kfeed_rows(feed, streamed=True)
    py = PyFeed(BENCH_DATE)
    run = receive(transport, url, py.handler(kind), frames)
    if py.rejects or py.duplicates:
        raise RuntimeError(f"pure-Python stack rejected {py.rejects} and dropped {py.duplicates} duplicates")
    return run, py.trade_count + py.quote_count


def throughput_section(runs: int, tick_frames: int, python_transport: str) -> tuple[str, list[tuple[str, str, str]]]:
    """kfeed vs the pure-Python stack on tick, quote10 and /ws_ksp streams."""
    plan = {"tick": (tick_frames, tick_frames // 4), "quote10": (500_000, 100_000), "ksp": (40_000, 4_000)}
    results: dict[tuple[str, str], list[tuple[StreamRun, int]]] = {}
    sim, sim_src = sim_source()
    try:
        with SenderProcess.start() as sender:
            for kind, (kfeed_frames, python_frames) in plan.items():
                ceiling = sender.stream_url(kind, kfeed_frames)
                drain_socket(ceiling, kfeed_frames)  # warm-up: the sender renders its frames
                for _ in range(runs):
                    run = drain_socket(ceiling, kfeed_frames)
                    results.setdefault((kind, "drain"), []).append((run, 0))
                    _log(f"throughput {kind} socket drain: {run.rate:,.0f} frames/s")
                for stack, count in (("kfeed", kfeed_frames), ("python", python_frames)):
                    url = sender.stream_url(kind, count) if kind == "tick" else sim_src.url(kind, count)
                    expected = expected_rows(kind, count)
                    _stack_run(python_transport, url, kind, count, stack)  # warm-up: the source renders its frames
                    for _ in range(runs):
                        run, rows = _stack_run(python_transport, url, kind, count, stack)
                        if rows != expected:
                            raise RuntimeError(f"{stack} {kind}: {rows} rows, expected {expected}")
                        results.setdefault((kind, stack), []).append((run, rows))
                        _log(f"throughput {kind} {stack}: {run.rate:,.0f} frames/s, {rows / run.seconds:,.0f} rows/s")
    finally:
        sim.stop()
    lines = [
        "## Sustained end-to-end throughput",
        "",
        f"kfeed: {KFEED_PATH}, exactly as `kfeed.link` receives: one Rust call per socket read deframes every",
        "frame and applies it to the trades/quotes rings, books and 10 s/1 min/10 min bars. Pure Python:",
        f"{python_transport} (the fastest pure-Python transport alone) + msgspec typed decoding + numpy rings, books",
        "and bars (`benches/e2e/baseline.py`). Tick frames come from `benches/e2e/sender.py` (the simulator's ticks",
        "with the cumulative volume advanced per cycle, so none is a duplicate; written with `os.write` in 1 MiB",
        "blocks); quote10 frames and `/ws_ksp` arrays (50 trades each) from the simulator in benchmark mode",
        "(`kfeed sim --bench`, aiohttp writes of ~64 KiB), each source in its own process over loopback. Zero loss on",
        "every run: frames received == frames the source sent, and rows written == rows expected. "
        f"{runs} runs per row;",
        "the pure-Python stack receives fewer frames per run (its rate is per second all the same). The sender's",
        "rate is its own clock (first write to the last byte taken by its kernel); the simulator does not report",
        "its rate to kfeed's path (—). The socket drain row is the ceiling for each kind: the sender's copy of the",
        "same frames read by `recv_into` alone, no WebSocket parsing; a kfeed rate well below it means the",
        "receiver, not the source or loopback, set the pace.",
        "",
        "| Stream | Stack | frames/run | frames/s | rows/s | source frames/s | kfeed ÷ Python |",
        "|---|---|---|---|---|---|---|",
    ]
    summary: list[tuple[str, str, str]] = []
    for kind, (kfeed_frames, python_frames) in plan.items():
        k_rates = [r.rate for r, _ in results[(kind, "kfeed")]]
        ratio = statistics.median(k_rates) / statistics.median([r.rate for r, _ in results[(kind, "python")]])
        for stack, count in (("kfeed", kfeed_frames), ("python", python_frames)):
            rs = results[(kind, stack)]
            received, sent = _rates([r for r, _ in rs])
            cell = f"{ratio:.1f}×" if stack == "kfeed" else ""
            row_rate = fmt([n / r.seconds for r, n in rs])
            lines.append(f"| {kind} | {stack} | {count:,} | {received} | {row_rate} | {sent} | {cell} |")
        received, sent = _rates([r for r, _ in results[(kind, "drain")]])
        lines.append(f"| {kind} | socket drain (ceiling) | {kfeed_frames:,} | {received} | — | {sent} | |")
        goal = "≥ 1,000,000 frames/s and ≥ 5× Python" if kind == "tick" else "≥ 5× Python"
        summary.append((f"End-to-end {kind} frames/s (kfeed; × pure Python)", f"{fmt(k_rates)}; {ratio:.1f}×", goal))
    return "\n".join(lines), summary


def _rt_runtime() -> str:
    """The real-time budget per period, as `runtime of period µs` from /proc/sys/kernel."""
    runtime = Path("/proc/sys/kernel/sched_rt_runtime_us").read_text().strip()
    period = Path("/proc/sys/kernel/sched_rt_period_us").read_text().strip()
    return f"{int(runtime):,} of {int(period):,} µs"


def latency_section(runs: int) -> tuple[str, list[tuple[str, str, str]]]:
    """Write-to-visible latency percentiles at each rate, for each process placement, and the cores' stalls."""
    stalls: dict[int, list[Stalls]] = {0: [], 1: []}
    table = [
        "| Placement | Target rate | frames/run | achieved frames/s | frames per read | p50 | p99 | p99.9 | max "
        "| frames > 1 ms (%) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    p99_at_100k: dict[str, tuple[float, str]] = {}
    for setup in LATENCY_SETUPS:
        for cpu, probes in stalls.items():
            probes.append(measure_stalls(cpu, STALL_PROBE_SECONDS))
        with SenderProcess.start(cpu=setup.sender_cpu) as sender:
            measure_latency(sender, 10_000, 10_000, BENCH_DATE, setup)
            for rate, frames in LATENCY_RATES:
                if rate == 0 and setup.spin_ns == 0:
                    continue  # flat out the sender never waits, so "sleeping" changes nothing
                rs = []
                for _ in range(runs):
                    r = measure_latency(sender, rate, frames, BENCH_DATE, setup)
                    rs.append(r)
                    _log(
                        f"latency {setup.name:55} {rate:9,.0f}/s p50 {r.percentile(50):9.1f} "
                        f"p99 {r.percentile(99):9.1f} µs"
                    )
                label = f"{rate:,.0f}/s" if rate else "max (flat out)"
                p99 = fmt([r.percentile(99) for r in rs], 1)
                table.append(
                    f"| {setup.name} | {label} | {frames:,} | {fmt([r.achieved_rate for r in rs])} "
                    f"| {fmt([frames / r.reads for r in rs], 1)} | {fmt([r.percentile(50) for r in rs], 1)} | {p99} "
                    f"| {fmt([r.percentile(99.9) for r in rs], 1)} | {fmt([r.max_us for r in rs], 1)} "
                    f"| {fmt([r.share_over(1000) for r in rs], 2)} |"
                )
                if rate == 100_000:
                    p99_at_100k[setup.name] = (statistics.median([r.percentile(99) for r in rs]), p99)
    lines = [
        "## Latency: sender's write to the row visible in the ring",
        "",
        "The sender process (`benches/e2e/sender.py`) writes single tick frames when due on CLOCK_MONOTONIC and",
        "records `time.monotonic_ns()` before each write. The receiver is kfeed's production path",
        f"({KFEED_PATH}); it stamps the same clock once per socket read, after `FeedStream.received` has",
        "applied the read's frames, and every row the read wrote gets that stamp (`benches/e2e/latency.py`). Every",
        "frame and row is accounted for, and every row's `recv_time` (set once per read by `received`, on the wall",
        "clock, moved to CLOCK_MONOTONIC by the offset sampled around the run) lies within its read's stamps and",
        f"after the sender's stamp, which shows both processes share CLOCK_MONOTONIC. {runs} runs per row; µs.",
        "",
        "Placements (the first is the default: nothing tuned, every process where the scheduler puts it):",
        "",
        "- **default**: no pinning, normal (CFS) scheduling; the sender sleeps until 50 µs before a frame is due and",
        "  spins the rest, so from 20 k frames/s up it holds one of the two cores all the time.",
        "- **pinned**: `sched_setaffinity`: the sender process on core 0, the receiving process on core 1.",
        "- **receiver SCHED_FIFO**: the receiving process at real-time priority 10: it sleeps in epoll between",
        "  reads, and when data arrives no ordinary process on its core can delay it (needs CAP_SYS_NICE).",
        "- **receiver busy_poll**: the receiver's event loop never sleeps (`kfeed.polling.busy_poll`, what",
        "  `SessionOptions(busy_poll=True)` runs, keeps the selector polling with a zero timeout), which saves",
        "  the wake-up from an idle core at the price of that core, all the time.",
        "- **sender sleeps**: the sender only sleeps to each due time (timer slack 1 µs), never spinning, so it",
        "  leaves its core free between frames; a late wake-up delays the write, not its stamp. Flat out a",
        "  sleeping sender changes nothing, so that row is not repeated.",
        "",
        *table,
        "",
        f"The floor on this VM: a busy loop pinned to one core for {STALL_PROBE_SECONDS:.0f} s before each placement",
        "(`measure_stalls`) lost this share of its time in gaps over 50 µs (hypervisor steal, other processes,",
        "interrupts): "
        + "; ".join(
            f"core {cpu}: {fmt([p.lost_share for p in probes], 2)} % in {fmt([p.gaps for p in probes])} gaps "
            f"(longest {fmt([p.max_us for p in probes])} µs)"
            for cpu, probes in stalls.items()
        )
        + ".",
        "Every frame that arrives during such a gap waits for its end (the receiver polling or not), so at",
        "100 k frames/s the share of frames delayed past 50 µs follows the share of time lost in gaps, and when",
        "that nears 1 % the gaps alone put p99 near 50 µs. It changes from minute to minute with the host's load,",
        "which is most of the spread in the p99 column; placement can only keep other processes out of the",
        "receiver's way. Flat out, the sender (one",
        "`os.write` per frame, in Python) sets the rate, not the receiver, and the receiver is busy all the time:",
        "under SCHED_FIFO the kernel's real-time throttling (`kernel.sched_rt_runtime_us` "
        f"{_rt_runtime()}) then stops it for the",
        "rest of each second, which is why a real-time receiver must not run flat out (its flat-out row shows it).",
    ]
    summary = [
        (f"Latency p99 at 100 k frames/s, µs ({setup.name})", p99_at_100k[setup.name][1], "≤ 50 µs")
        for setup in (LATENCY_SETUPS[0], TUNED_SETUP)
    ]
    return "\n".join(lines), summary


def memory_section(runs: int, frames: int) -> tuple[str, list[tuple[str, str, str]]]:
    """RSS across a long run, and the Feed's fixed buffer sizes."""
    memory_runs = []
    with SenderProcess.start() as sender:
        for _ in range(runs):
            run = measure_memory(sender.stream_url("tick", frames), frames)
            memory_runs.append(run)
            _log(f"memory {run.frames:,} frames in {run.seconds:.1f} s: growth {run.growth:,} bytes")
    sizes = buffer_sizes()
    mib = 1024 * 1024
    lines = [
        "## Memory",
        "",
        f"A fresh feed process ({KFEED_PATH} + a default `Feed`) receives {frames:,} tick frames (every one a",
        "new trade row) per run, sampling its RSS every 2^20 frames. Growth is from the sample after the trades ring",
        f"was written round twice (every buffer page touched) to the end. {runs} runs, {runs * frames:,} frames in all",
        "(`--memory-frames`, `--memory-runs`; the sender renders frames this long on the fly, so it sets the pace).",
        "",
        "| frames/run | seconds | RSS warm (MiB) | RSS end (MiB) | growth (bytes) | peak − warm (bytes) |",
        "|---|---|---|---|---|---|",
        f"| {frames:,} | {fmt([r.seconds for r in memory_runs], 1)} | {fmt([r.warm_rss for r in memory_runs], 1, mib)} "
        f"| {fmt([r.samples[-1][1] for r in memory_runs], 1, mib)} | {fmt([r.growth for r in memory_runs])} "
        f"| {fmt([r.peak_growth for r in memory_runs])} |",
        "",
        "Fixed size of a default `Feed`'s preallocated buffers (bytes per row × capacity):",
        "",
        "| Buffer | bytes |",
        "|---|---|",
        *(f"| {name} | {size:,} |" for name, size in sizes.items()),
    ]
    summary = [
        (f"RSS growth over {frames:,} frames, bytes", fmt([r.growth for r in memory_runs]), "flat"),
        ("Feed buffers, fixed size (default capacities)", f"{sizes['total'] / mib:.1f} MiB", ""),
    ]
    return "\n".join(lines), summary


def replay_section(runs: int, capture: Path) -> tuple[str, list[tuple[str, str, str]]]:
    """A recorded full day through Feed.ingest_many."""
    if not capture.exists():
        _log(f"recording the full-day capture to {capture} (minutes) ...")
        recorded = capture_mod.record_day(capture, seed=BENCH_SEED, trading_date=BENCH_DATE)
        _log(f"recorded {recorded.frames:,} frames in {recorded.seconds:.0f} s")
    results = []
    for _ in range(runs):
        result = capture_mod.replay(capture, BENCH_DATE)
        if sum(result.stats["rejects"].values()):
            raise RuntimeError(f"replay rejected frames: {result.stats['rejects']}")
        results.append(result)
        _log(
            f"replay {result.frames:,} frames: ingest {result.ingest_seconds:.2f} s, total {result.total_seconds:.2f} s"
        )
    first = results[0]
    stats = first.stats
    shown = capture.relative_to(REPO) if capture.is_relative_to(REPO) else capture
    lines = [
        "## Full-day replay",
        "",
        f"`{shown}`: the simulator's whole market from 08:30 to 18:00 (seed {BENCH_SEED},",
        f"{BENCH_DATE:%Y-%m-%d}) as length-prefixed raw frames ({capture.stat().st_size:,} bytes): every stock",
        "trade in `/ws_ksp`/`/ws_kdq` arrays, derivative ticks, index values, and every quote10 of 20 stocks spread",
        "over the activity ranks (the busiest included; see `benches/e2e/capture.py` for why not every book).",
        f"Replayed into a fresh `Feed` by one `Feed.ingest_many` call per 64 MiB read, on one core. {runs} runs.",
        "",
        f"Frames {first.frames:,}; trades {stats['trades']:,}; quotes {stats['quotes']:,}; index values "
        f"{stats['index']:,}; bars closed {stats['bars_closed']:,}; rejects 0.",
        "",
        "| Measure | seconds |",
        "|---|---|",
        f"| `ingest_many` only | {fmt([r.ingest_seconds for r in results], 2)} |",
        f"| read + cut into frames + ingest | {fmt([r.total_seconds for r in results], 2)} |",
    ]
    summary = [("Full-day replay, seconds on one core", fmt([r.ingest_seconds for r in results], 2), "≤ 20 s")]
    return "\n".join(lines), summary


def main(argv: list[str] | None = None) -> int:
    """Run the chosen sections and rewrite the results file."""
    parser = argparse.ArgumentParser(description="kfeed end-to-end benchmarks")
    parser.add_argument("--sections", default=",".join(SECTIONS), help=f"comma-separated subset of {SECTIONS}")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--transport-frames", type=int, default=500_000)
    parser.add_argument("--tick-frames", type=int, default=2_000_000)
    parser.add_argument("--memory-frames", type=int, default=10_000_000, help="tick frames per memory run")
    parser.add_argument("--memory-runs", type=int, default=5)
    parser.add_argument("--capture", type=Path, default=CAPTURE)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--readme", type=Path, default=None, help="also rewrite this README's summary table")
    args = parser.parse_args(argv)
    sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {sorted(unknown)}")
    python_transport = "picows"
    runners: dict[str, Callable[[], tuple[str, list[tuple[str, str, str]]]]] = {
        "throughput": lambda: throughput_section(args.runs, args.tick_frames, python_transport),
        "latency": lambda: latency_section(args.runs),
        "memory": lambda: memory_section(args.memory_runs, args.memory_frames),
        "replay": lambda: replay_section(args.runs, args.capture),
    }
    for name in SECTIONS:
        if name not in sections:
            continue
        _log(f"== {name} (load {load_average()})")
        if name == "transport":
            markdown, summary, python_transport = transport_section(args.runs, args.transport_frames)
        else:
            markdown, summary = runners[name]()
        store_section(CACHE, name, markdown, summary, load_average())
        write_results(CACHE, args.out, "python -m benches.e2e.run")
    if args.readme is not None:
        write_readme(CACHE, args.readme)
    _log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
