"""``make demo``: the embedded simulator, a live ``kfeed watch`` against it, one injected disconnect, a summary.

Runs for a bounded time, writes a candlestick PNG of one symbol's 1-min bars, and exits 0 by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

import numpy as np

from kfeed import RingReader
from kfeed.channel import ChannelPolicy
from kfeed.health import Health
from kfeed.kst import kst_clock
from kfeed.session import Session, SessionOptions
from kfeed.sim import SimConfig, SimProcess
from kfeed.sim.faults import fault_log_over_http, inject_over_http
from kfeed.watch import watch

__all__ = ["main", "run_demo", "write_candles"]

DEMO_SYMBOLS = ("005930", "000660", "005380", "035420", "035720", "051910", "247540", "086520")


def write_candles(bars: np.ndarray, title: str, path: Path) -> None:
    """Draws OHLC candles (one per row of a BAR_DTYPE array) to a PNG at ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 4.5), dpi=100)
    for i, bar in enumerate(bars):
        up = bar["close"] >= bar["open"]
        color = "#d62728" if up else "#1f77b4"
        ax.vlines(i, bar["low"], bar["high"], color=color, linewidth=1)
        body_low, body_high = sorted((float(bar["open"]), float(bar["close"])))
        ax.add_patch(plt.Rectangle((i - 0.3, body_low), 0.6, max(body_high - body_low, 1e-9), color=color, zorder=2))
    ax.set_xticks(range(len(bars)), [kst_clock(int(t))[:5] for t in bars["start"]], rotation=45)
    ax.set_xlim(-1, max(len(bars), 1))
    ax.set_title(title)
    ax.set_ylabel("KRW")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


async def run_demo(seconds: float, out_dir: Path, speed: float) -> int:
    """Runs the whole demo; returns the process exit code."""
    config = SimConfig(seed=7, speed=speed, start="09:00:00")
    recovery: dict[str, float] = {}
    bar_readers: list[RingReader] = []
    faults: list[dict[str, object]] = []
    with SimProcess.start(config) as sim:
        print(f"simulator serving {sim.url} (its own process; speed {speed}×, start 09:00:00 KST)", flush=True)

        async def inject_disconnect(session: Session) -> None:
            bar_readers.append(session.feed.bars("1m").reader())
            await asyncio.sleep(seconds / 2)
            print(">>> injecting a disconnect of every stream", flush=True)
            dropped_at = time.monotonic()
            await asyncio.to_thread(inject_over_http, sim.url, "drop")
            faults.extend((await asyncio.to_thread(fault_log_over_http, sim.url))[1])
            await session.monitor.wait_for(Health.RECOVERING, timeout=10)
            await session.monitor.wait_for(Health.LIVE, timeout=30)
            recovery["seconds"] = time.monotonic() - dropped_at
            print(f">>> recovered: live again {recovery['seconds'] * 1000:.0f} ms after the drop", flush=True)

        options = SessionOptions(policy=ChannelPolicy(heartbeat_interval=1.0, stall_timeout=5.0))
        session = await watch(
            sim.url,
            key=config.key,
            symbols=DEMO_SYMBOLS,
            presets=("tick", "quote10"),
            markets=("kospi",),
            seconds=seconds,
            options=options,
            during=inject_disconnect,
        )
        stats = session.stats()
        feed = session.feed
        focus = DEMO_SYMBOLS[0]
        focus_id = feed.symbol_id(focus)
        closed = []
        while bar_readers:
            rows, _lost = bar_readers[0].read()
            if len(rows) == 0:
                break
            closed.append(rows[rows["symbol"] == focus_id].copy())
        bars = np.concatenate([*closed, feed.bars("1m").current[focus_id : focus_id + 1]])
        bars = bars[bars["trades"] > 0]
        png = out_dir / f"{focus}-1m.png"
        write_candles(bars, f"{focus} 1-min bars (kfeed demo, simulated KRX)", png)
        print("\nsummary")
        print(f"  frames {stats['frames']:,}  trades {stats['trades']:,}  quotes {stats['quotes']:,}")
        print(f"  bars closed {stats['bars_closed']:,}  gaps {stats['gaps']}  duplicates {stats['duplicates']}")
        print(f"  reconnects {stats['reconnects']}  repairs {stats['repairs']}  outages {stats['outages']}")
        print(f"  rejects {sum(stats['rejects'].values())}  recovery {recovery.get('seconds', float('nan')):.3f} s")
        print(f"  faults injected: {[record['kind'] for record in faults]}")
        print(f"  candlestick chart: {png}")
    ok = stats["reconnects"] >= 1 and stats["trades"] > 0 and "seconds" in recovery
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m kfeed.demo``."""
    parser = argparse.ArgumentParser(prog="kfeed-demo", description=__doc__)
    parser.add_argument("--seconds", type=float, default=30.0, help="how long to watch (wall seconds)")
    parser.add_argument("--speed", type=float, default=12.0, help="simulated exchange clock speed")
    parser.add_argument("--out", type=Path, default=Path("demo-out"), help="where the PNG goes")
    args = parser.parse_args(argv)
    return asyncio.run(run_demo(args.seconds, args.out, args.speed))


if __name__ == "__main__":
    sys.exit(main())
