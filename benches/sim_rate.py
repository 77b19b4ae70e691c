"""The simulator's message rate at normal speed: `python -m benches.sim_rate`.

Runs `kfeed sim` at speed 1 in its own process, subscribes tick and quote on 100 KOSPI codes (200 subscriptions,
one `/ws`) plus `/ws_ksp` and `/ws_kdq`, and prints the data frames/s each stream delivered over 10 s, at the
open (09:00) and mid-session (11:00).
"""

from __future__ import annotations

import asyncio
import time

import kfeed
from kfeed.rest import SyncRestClient
from kfeed.sim import SimConfig, SimProcess

SECONDS = 10.0


async def stream_rates(start: str) -> dict[str, float]:
    """Data frames per second per stream path, for a simulator started at ``start``."""
    config = SimConfig(start=start, speed=1.0)
    with SimProcess.start(config) as sim:
        with SyncRestClient(sim.url, key=config.key) as rest:
            codes = [str(code) for code in rest.stocks.lists("kospi").rows["symbol"][:100]]
        async with kfeed.connect(
            sim.url, key=config.key, symbols=codes, presets=("tick", "quote"), markets=("kospi", "kosdaq")
        ) as session:
            links = {c.path: c.link for c in session.channels if c.link is not None}
            before = {path: link.data_frames for path, link in links.items()}
            started = time.monotonic()
            await asyncio.sleep(SECONDS)
            elapsed = time.monotonic() - started
            return {path: (link.data_frames - before[path]) / elapsed for path, link in links.items()}


def main() -> None:
    """Prints one line per start time."""
    for start in ("09:00:00", "11:00:00"):
        rates = asyncio.run(stream_rates(start))
        print(start, "  ".join(f"{path} {rate:,.0f} frames/s" for path, rate in sorted(rates.items())))


if __name__ == "__main__":
    main()
