"""`kfeed rest`, `kfeed watch` and the demo, run against the simulator."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from kfeed.demo import run_demo
from kfeed.session import connect
from kfeed.sim import SimConfig, SimProcess
from kfeed.watch import WatchView, watch
from rich.console import Console
from session_support import CALM, FAST, wait_until


def _run_cli(*args: str, key: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, KFEED_KEY=key, COLUMNS="200")
    return subprocess.run(
        [sys.executable, "-m", "kfeed.cli", *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_rest_command_prints_a_record_and_an_array_as_tables() -> None:
    config = SimConfig(start="10:00:00", speed=10.0)
    with SimProcess.start(config) as sim:
        price = _run_cli("rest", "--url", sim.url, "stocks", "price", "kospi", "005930", key=config.key)
        assert price.returncode == 0, price.stderr
        assert "005930" in price.stdout and "acc_volume" in price.stdout
        history = _run_cli(
            "rest",
            "--url",
            sim.url,
            "stocks",
            "history",
            "kospi",
            "005930",
            "20260101",
            "-o",
            "limit=5",
            key=config.key,
        )
        assert history.returncode == 0, history.stderr
        assert "(5 rows)" in history.stdout
        missing = _run_cli("rest", "--url", sim.url, "stocks", "price", "kospi", "999999", key=config.key)
        assert missing.returncode == 1 and "10040" in missing.stderr
        assert config.key not in price.stdout + history.stdout + missing.stdout + missing.stderr


def test_rest_command_refuses_to_run_without_a_key() -> None:
    env = {k: v for k, v in os.environ.items() if k != "KFEED_KEY"}
    done = subprocess.run(
        [sys.executable, "-m", "kfeed.cli", "rest", "stocks", "price", "kospi", "005930"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2 and "KFEED_KEY" in done.stderr


async def test_watch_prints_plain_status_lines_when_not_a_tty(sim_factory) -> None:
    sim = await sim_factory(**CALM, speed=10.0)
    out = io.StringIO()
    session = await watch(
        sim.url, key=sim.config.key, symbols=["005930", "000660"], seconds=2.5, refresh=0.5, out=out, options=FAST
    )
    lines = [line for line in out.getvalue().splitlines() if line]
    assert len(lines) >= 2
    assert all(line.startswith("health=live frames=") for line in lines)
    assert session.stats()["trades"] > 0


async def test_demo_recovers_from_its_disconnect_and_draws_the_chart(tmp_path: Path) -> None:
    code = await asyncio.wait_for(run_demo(seconds=5.0, out_dir=tmp_path, speed=12.0), 60)
    assert code == 0
    png = tmp_path / "005930-1m.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_sigint_closes_a_watch_cleanly() -> None:
    config = SimConfig(start="10:00:00", speed=5.0)
    with SimProcess.start(config) as sim:
        env = dict(os.environ, KFEED_KEY=config.key)
        # The watcher starts with SIGINT handled, as from a terminal: a test run started in the background without
        # job control ignores SIGINT, and a child would inherit that (and rightly keep ignoring it).
        previous = signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            watcher = subprocess.Popen(
                [sys.executable, "-m", "kfeed.cli", "watch", "--url", sim.url, "--symbols", "005930"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        finally:
            signal.signal(signal.SIGINT, previous)
        assert watcher.stdout is not None
        first = watcher.stdout.readline()
        assert first.startswith("health=live"), first
        watcher.send_signal(signal.SIGINT)
        _out, err = watcher.communicate(timeout=20)
    assert watcher.returncode == 130
    assert "Traceback" not in err


def test_a_session_runs_under_uvloop() -> None:
    script = """
import asyncio, uvloop, kfeed
from kfeed.sim import SimConfig, Simulator

async def main():
    async with Simulator(SimConfig(start="10:00:00", speed=10)) as sim:
        async with kfeed.connect(sim.url, key=sim.config.key, symbols=["005930"]) as session:
            while session.feed.stats()["trades"] < 20:
                await asyncio.sleep(0.05)
            print(type(asyncio.get_running_loop()).__module__, session.health.value)

uvloop.run(main())
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["uvloop", "live"]


async def test_watch_view_renders_trades_book_and_bars(sim_factory) -> None:
    sim = await sim_factory(**CALM, speed=10.0)
    presets = ("tick10", "quote10")  # tick10 carries the side of each trade
    async with connect(sim.url, key=sim.config.key, symbols=["005930"], presets=presets, options=FAST) as session:
        view = WatchView(session, focus="005930")
        await wait_until(lambda: session.feed.stats()["trades"] > 30, 10, "trades")
        view.refresh()
        console = Console(record=True, width=160, file=io.StringIO())
        console.print(view.render())
        text = console.export_text()
    assert "last trades" in text and "005930 book" in text and "current 1-min bars" in text
    trades_table = text[text.index("last trades") : text.index("005930 book")]
    rows = [line for line in trades_table.splitlines() if re.search(r"\d\d:\d\d:\d\d\.\d{3}", line)]
    shown = [[cell.strip() for cell in row.split("│") if cell.strip()][-1] for row in rows]
    expected = ["+" if side == 1 else "-" if side == -1 else "?" for *_, side in reversed(view.trades)]
    assert shown == expected and len(shown) > 0
    assert set(shown) <= {"+", "-"}


async def test_a_busy_polling_session_streams_keeps_other_tasks_running_and_stops_polling_on_close(sim_factory) -> None:
    sim = await sim_factory(**CALM, speed=10.0)
    options = dataclasses.replace(FAST, busy_poll=True)
    async with connect(sim.url, key=sim.config.key, symbols=["005930"], options=options) as session:
        pollers = [task for task in asyncio.all_tasks() if task.get_name() == "kfeed-poll"]
        assert len(pollers) == 1 and not pollers[0].done()
        await wait_until(lambda: session.feed.stats()["trades"] > 20, 10, "trades")
        loop = asyncio.get_running_loop()
        started = loop.time()
        await asyncio.sleep(0.05)
        assert loop.time() - started < 1.0, "timers still fire while the loop polls"
    assert pollers[0].done()
    assert not [task for task in asyncio.all_tasks() if task.get_name() == "kfeed-poll"]
