"""``kfeed watch``: a live terminal view of a session (rich), or plain status lines when stdout is not a TTY."""

from __future__ import annotations

import asyncio
import sys
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TextIO

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from kfeed.kst import kst_clock
from kfeed.session import Session, SessionOptions, connect

__all__ = ["WatchView", "watch"]

_SHOWN_TRADES = 12
_SIDES = {1: "+", -1: "-"}
"""How the trades table shows a trade's side (buy-initiated, sell-initiated; anything else is "?")."""


@dataclass
class WatchView:
    """What the view shows, updated from the session's rings once per refresh."""

    session: Session
    focus: str
    """The symbol whose book and bars are shown."""
    trades: deque[tuple[int, int, float, int, int]] = field(default_factory=lambda: deque(maxlen=_SHOWN_TRADES))
    frames_per_s: float = 0.0
    _last_frames: int = 0
    _last_at: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self._trades_reader = self.session.feed.trades_reader()

    def refresh(self) -> None:
        """Reads new trades and recomputes the frame rate."""
        feed = self.session.feed
        while True:
            rows, _lost = self._trades_reader.read()
            if len(rows) == 0:
                break
            for row in rows[-_SHOWN_TRADES:]:
                self.trades.append(
                    (int(row["time"]), int(row["symbol"]), float(row["price"]), int(row["qty"]), int(row["side"]))
                )
        stats = feed.stats()
        now = time.monotonic()
        elapsed = now - self._last_at
        if elapsed >= 0.5:
            self.frames_per_s = (stats["frames"] - self._last_frames) / elapsed
            self._last_frames, self._last_at = stats["frames"], now

    def status_line(self) -> str:
        """One line: health, rates and counters."""
        s = self.session.stats()
        return (
            f"health={s['health']} frames={s['frames']} ({self.frames_per_s:,.0f}/s) trades={s['trades']} "
            f"quotes={s['quotes']} bars_closed={s['bars_closed']} gaps={s['gaps']} duplicates={s['duplicates']} "
            f"reconnects={s['reconnects']} repairs={s['repairs']} rejects={sum(s['rejects'].values())}"
        )

    def render(self) -> Group:
        """The rich renderable: status, last trades, the focus symbol's book and its current 1-min bar."""
        feed = self.session.feed
        trades = Table(title="last trades", expand=True)
        for column in ("time", "symbol", "price", "qty", "side"):
            trades.add_column(column, justify="right")
        for at, symbol, price, qty, side in reversed(self.trades):
            trades.add_row(kst_clock(at), feed.symbol(symbol), f"{price:,.2f}", f"{qty:,}", _SIDES.get(side, "?"))
        book = feed.book(self.focus)
        book_table = Table(title=f"{self.focus} book ({int(book['updates'])} updates)", expand=True)
        for column in ("bid qty", "bid", "ask", "ask qty"):
            book_table.add_column(column, justify="right")
        for level in range(int(book["levels"]) or 10):
            book_table.add_row(
                f"{int(book['bid_qty'][level]):,}",
                f"{float(book['bid_price'][level]):,.2f}",
                f"{float(book['ask_price'][level]):,.2f}",
                f"{int(book['ask_qty'][level]):,}",
            )
        bars_table = Table(title="current 1-min bars", expand=True)
        for column in ("symbol", "start", "open", "high", "low", "close", "volume", "trades"):
            bars_table.add_column(column, justify="right")
        current = feed.bars("1m").current
        for code in self.session.symbols[:8]:
            bar = current[feed.symbol_id(code)]
            if int(bar["trades"]) == 0:
                continue
            bars_table.add_row(
                code,
                kst_clock(int(bar["start"])),
                *(f"{float(bar[k]):,.2f}" for k in ("open", "high", "low", "close")),
                f"{int(bar['volume']):,}",
                f"{int(bar['trades']):,}",
            )
        return Group(Text(self.status_line(), style="bold"), trades, book_table, bars_table)


async def watch(
    url: str,
    *,
    key: str,
    symbols: Sequence[str],
    presets: Sequence[str] = ("tick", "quote10"),
    markets: Sequence[str] = (),
    seconds: float | None = None,
    refresh: float = 0.5,
    out: TextIO | None = None,
    options: SessionOptions | None = None,
    during: Callable[[Session], Awaitable[None]] | None = None,
) -> Session:
    """Runs a session and shows it until ``seconds`` pass (or forever); returns the closed session.

    ``during`` runs beside the view (the demo uses it to inject a fault and time the recovery), and the view stays
    up until it has finished too, so that what it waits for is never cut short by the clock. The view is rich when
    ``out`` is a TTY and plain status lines otherwise.
    """
    out = out or sys.stdout
    if not symbols:
        raise ValueError("watch needs at least one symbol to focus on")
    async with connect(url, key=key, symbols=symbols, presets=presets, markets=markets, options=options) as session:
        view = WatchView(session, focus=symbols[0])
        side_task = asyncio.ensure_future(during(session)) if during is not None else None
        deadline = None if seconds is None else time.monotonic() + seconds

        def watching() -> bool:
            running = side_task is not None and not side_task.done()
            return deadline is None or time.monotonic() < deadline or running

        console = Console(file=out)
        try:
            if out.isatty():
                with Live(view.render(), console=console, refresh_per_second=4) as live:
                    while watching():
                        await asyncio.sleep(refresh)
                        view.refresh()
                        live.update(view.render())
            else:
                while watching():
                    await asyncio.sleep(max(refresh, 1.0))
                    view.refresh()
                    print(view.status_line(), file=out, flush=True)
        finally:
            if side_task is not None:
                side_task.cancel()
                await asyncio.gather(side_task, return_exceptions=True)
        view.refresh()
    return session
