"""Run the end-to-end benchmarks and (re)write `benches/RESULTS.md`.

    python -m benches.e2e.run                       # every section, 5 runs each
    python -m benches.e2e.run --sections latency    # one section; the others keep their stored results
    python -m benches.e2e.run --readme README.md    # also rewrite the README's summary table

Sections (see each module's docstring for the method):
- transport: picows vs websockets vs aiohttp receiving the same tick stream from the sender process, each handing
  every frame to `Feed.ingest`, and to a no-op handler (the transport alone).
- throughput: kfeed (picows + `Feed.ingest`) against the pure-Python stack (the fastest transport + msgspec +
  numpy) on tick frames (sender process: the simulator's ticks, duplicate-free), quote10 frames and `/ws_ksp`
  arrays (the simulator in benchmark mode), with zero loss checked by frame and row counts.
- latency: write-to-visible latency at 10 k and 100 k frames/s and flat out.
- memory: RSS of a feed process across `--memory-frames` tick frames, and the Feed's fixed buffer sizes.
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
from benches.e2e.clients import TRANSPORTS, StreamRun, noop, receive
from benches.e2e.frames import BENCH_DATE, BENCH_SEED, expected_rows
from benches.e2e.latency import measure_latency
from benches.e2e.memory import buffer_sizes, measure_memory
from benches.e2e.procs import REPO, SenderProcess, sim_source
from benches.e2e.report import SECTIONS, fmt, load_average, store_section, write_readme, write_results

__all__ = ["main"]

CACHE = REPO / "target" / "bench" / "e2e.json"
RESULTS = REPO / "benches" / "RESULTS.md"
CAPTURE = REPO / "target" / "capture" / f"day_seed{BENCH_SEED}_{BENCH_DATE:%Y%m%d}_q20.cap"
LATENCY_RATES = ((10_000.0, 30_000), (100_000.0, 300_000), (0.0, 500_000))
"""(target frames/s, frames per run); 0 = as fast as the sender writes single frames."""


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _kfeed_rows(feed: Feed) -> int:
    stats = feed.stats()
    rejects = sum(stats["rejects"].values())
    if rejects:
        raise RuntimeError(f"kfeed rejected {rejects} frames: {stats['rejects']}")
    return int(stats["trades"]) + int(stats["quotes"])


def transport_section(runs: int, frames: int) -> tuple[str, list[tuple[str, str, str]], str]:
    """picows vs websockets vs aiohttp, with Feed.ingest and with a no-op handler."""
    results: dict[tuple[str, str], list[StreamRun]] = {}
    with SenderProcess.start() as sender:
        url = sender.stream_url("tick", frames)
        receive("picows", url, noop, frames)  # warm the sender's frame cache
        for _ in range(runs):
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
        f"The same {frames:,} tick frames (the simulator's, from `benches/e2e/sender.py` over loopback, written in",
        f"64 KiB batches) received {runs} times per row; the clock runs from the first data frame to `bench_done`.",
        "Every frame arrived (counted) and, with `Feed.ingest`, wrote its row. (The simulator's own `/bench` tick",
        "stream repeats its 20,000 frames, and a feed rejects a repeated tick as a duplicate, so `Feed.ingest` would",
        "be timed on its reject path; the sender advances each cycle's cumulative volumes instead.)",
        "",
        "| Transport | Handler | frames/s | µs/frame |",
        "|---|---|---|---|",
    ]
    for (name, handler), rs in results.items():
        lines.append(f"| {name} | {handler} | {fmt([r.rate for r in rs])} | {fmt([r.us_per_frame for r in rs], 3)} |")
    best = min(TRANSPORTS, key=lambda n: statistics.median([r.us_per_frame for r in results[(n, "no-op")]]))
    summary = [
        (
            f"Transport alone, µs/frame ({name})",
            fmt([r.us_per_frame for r in results[(name, "no-op")]], 3),
            "picows fastest" if name == "picows" else "",
        )
        for name in TRANSPORTS
    ]
    noop_us = {n: statistics.median([r.us_per_frame for r in results[(n, "no-op")]]) for n in TRANSPORTS}
    ingest_us = {n: statistics.median([r.us_per_frame for r in results[(n, "Feed.ingest")]]) for n in TRANSPORTS}
    lines += [
        "",
        f"Fastest transport alone: **{best}** ({noop_us[best]:.3f} µs/frame). With `Feed.ingest` the receive path is "
        + ", ".join(f"{n} {ingest_us[n]:.3f}" for n in TRANSPORTS)
        + " µs/frame (medians); `kfeed.link` uses picows, which hands the payload to `Feed.ingest` as a memoryview of",
        "its own buffer (no bytes object, no str decode).",
    ]
    return "\n".join(lines), summary, best


def _stack_run(transport: str, url: str, kind: str, frames: int, stack: str) -> tuple[StreamRun, int]:
    if stack == "kfeed":
        feed = Feed(trading_date=BENCH_DATE)
        run = receive(transport, url, feed.ingest, frames)
        return run, _kfeed_rows(feed)
    py = PyFeed(BENCH_DATE)
    run = receive(transport, url, py.handler(kind), frames)
    if py.rejects or py.duplicates:
        raise RuntimeError(f"pure-Python stack rejected {py.rejects} and dropped {py.duplicates} duplicates")
    return run, py.trade_count + py.quote_count


def throughput_section(runs: int, tick_frames: int, python_transport: str) -> tuple[str, list[tuple[str, str, str]]]:
    """kfeed vs the pure-Python stack on tick, quote10 and /ws_ksp streams."""
    plan = {"tick": (tick_frames, tick_frames // 4), "quote10": (500_000, 100_000), "ksp": (40_000, 4_000)}
    rates: dict[tuple[str, str], list[tuple[float, float]]] = {}
    sim, sim_src = sim_source()
    try:
        with SenderProcess.start() as sender:
            for kind, (kfeed_frames, python_frames) in plan.items():
                for stack, count in (("kfeed", kfeed_frames), ("python", python_frames)):
                    url = sender.stream_url(kind, count) if kind == "tick" else sim_src.url(kind, count)
                    transport = "picows" if stack == "kfeed" else python_transport
                    expected = expected_rows(kind, count)
                    _stack_run(transport, url, kind, count, stack)  # warm-up: the source renders its frames
                    for _ in range(runs):
                        run, rows = _stack_run(transport, url, kind, count, stack)
                        if rows != expected:
                            raise RuntimeError(f"{stack} {kind}: {rows} rows, expected {expected}")
                        rates.setdefault((kind, stack), []).append((run.rate, rows / run.seconds))
                        _log(f"throughput {kind} {stack}: {run.rate:,.0f} frames/s, {rows / run.seconds:,.0f} rows/s")
    finally:
        sim.stop()
    lines = [
        "## Sustained end-to-end throughput",
        "",
        "kfeed: picows + `Feed.ingest` (trades/quotes rings, books, 10 s/1 min/10 min bars). Pure Python:",
        f"{python_transport} (the fastest transport alone) + msgspec typed decoding + numpy rings, books and bars",
        "(`benches/e2e/baseline.py`). Tick frames come from `benches/e2e/sender.py` (the simulator's ticks with the",
        "cumulative volume advanced per cycle, so none is a duplicate); quote10 frames and `/ws_ksp` arrays (50 trades",
        "each) from the simulator in benchmark mode (`kfeed sim --bench`), each in its own process over loopback.",
        f"Zero loss on every run: frames received == frames the source sent, and rows written == rows expected. {runs}",
        "runs per row; the pure-Python stack receives a quarter as many frames (its rate is per second all the same).",
        "",
        "| Stream | Stack | frames/run | frames/s | rows/s | kfeed ÷ Python |",
        "|---|---|---|---|---|---|",
    ]
    summary: list[tuple[str, str, str]] = []
    for kind, (kfeed_frames, python_frames) in plan.items():
        k_rates = [r for r, _ in rates[(kind, "kfeed")]]
        p_rates = [r for r, _ in rates[(kind, "python")]]
        ratio = statistics.median(k_rates) / statistics.median(p_rates)
        for stack, count in (("kfeed", kfeed_frames), ("python", python_frames)):
            rs = rates[(kind, stack)]
            cell = f"{ratio:.1f}×" if stack == "kfeed" else ""
            lines.append(
                f"| {kind} | {stack} | {count:,} | {fmt([r for r, _ in rs])} | {fmt([w for _, w in rs])} | {cell} |"
            )
        goal = "≥ 1,000,000 frames/s and ≥ 5× Python" if kind == "tick" else "≥ 5× Python"
        summary.append((f"End-to-end {kind} frames/s (kfeed; × pure Python)", f"{fmt(k_rates)}; {ratio:.1f}×", goal))
    return "\n".join(lines), summary


def latency_section(runs: int) -> tuple[str, list[tuple[str, str, str]]]:
    """Write-to-visible latency percentiles at each rate."""
    lines = [
        "## Latency: sender's write to the row visible in the ring",
        "",
        "The sender process (`benches/e2e/sender.py`) writes single tick frames when due on CLOCK_MONOTONIC (it",
        "sleeps until 50 µs before, then spins) and records `time.monotonic_ns()` before each write; the receiver",
        "(picows + `Feed.ingest`) stamps the same clock once `ingest` has returned. Every frame and row is",
        "accounted for, and the ring's `recv_time` lies between the two stamps for every row. "
        f"{runs} runs per rate; µs.",
        "At 100 k/s and flat out the sender holds one of the two cores. Whenever the receiver is descheduled (a",
        "4 ms scheduler tick here), the frames queued meanwhile all see that delay; on a shared machine that sets",
        "p99 and beyond (and the p50 too when it happens often). The last column shows how many frames it hit.",
        "",
        "| Target rate | frames/run | achieved frames/s | p50 | p99 | p99.9 | max | frames > 1 ms (%) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    summary: list[tuple[str, str, str]] = []
    with SenderProcess.start() as sender:
        measure_latency(sender, 10_000, 10_000, BENCH_DATE)
        for rate, frames in LATENCY_RATES:
            rs = []
            for _ in range(runs):
                r = measure_latency(sender, rate, frames, BENCH_DATE)
                rs.append(r)
                _log(f"latency {rate:9,.0f}/s p50 {r.percentile(50):9.1f} p99 {r.percentile(99):9.1f} µs")
            label = f"{rate:,.0f}/s" if rate else "max (flat out)"
            p99 = fmt([r.percentile(99) for r in rs], 1)
            p50 = fmt([r.percentile(50) for r in rs], 1)
            p999 = fmt([r.percentile(99.9) for r in rs], 1)
            worst = fmt([r.max_us for r in rs], 1)
            slow = fmt([r.share_over(1000) for r in rs], 2)
            lines.append(
                f"| {label} | {frames:,} | {fmt([r.achieved_rate for r in rs])} | {p50} | {p99} | {p999} | {worst} "
                f"| {slow} |"
            )
            if rate == 100_000:
                summary.append(("Latency p99 at 100 k frames/s, µs", p99, "≤ 50 µs"))
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
        f"A fresh feed process (picows + a default `Feed`) receives {frames:,} tick frames (every one a new trade",
        "row) per run, sampling its RSS every 2^20 frames. Growth is from the sample after the trades ring was",
        f"written round twice (every buffer page touched) to the end. {runs} runs, {runs * frames:,} frames in all",
        "(`--memory-frames`, `--memory-runs`; the sender renders frames this long on the fly, so it sets the pace).",
        "",
        "| frames/run | seconds | RSS warm (MiB) | RSS end (MiB) | growth (bytes) | peak − warm (bytes) |",
        "|---|---|---|---|---|---|",
        f"| {frames:,} | {fmt([r.seconds for r in memory_runs], 1)} | {fmt([r.warm_rss for r in memory_runs], 1, mib)} "
        f"| {fmt([r.samples[-1][1] for r in memory_runs], 1, mib)} | {fmt([r.growth for r in memory_runs])} "
        f"| {fmt([r.peak_growth for r in memory_runs])} |",
        "",
        "Fixed size of a default `Feed`'s preallocated buffers (dtype itemsize × capacity):",
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
