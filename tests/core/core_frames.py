"""Frame builders for the core tests: vendor-shaped push, market-array and reply frames as bytes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import orjson

DATE = "20261125"
MIDNIGHT_NS = int(dt.datetime(2026, 11, 25, tzinfo=dt.timezone(dt.timedelta(hours=9))).timestamp()) * 10**9


def exchange_ns(hhmmssmm: int) -> int:
    """Exchange time `HHMMSSmm` on DATE (KST) in ns since the epoch, computed independently of the core."""
    hh, rest = divmod(hhmmssmm, 1_000_000)
    mm, rest = divmod(rest, 10_000)
    ss, cs = divmod(rest, 100)
    return MIDNIGHT_NS + ((hh * 60 + mm) * 60 + ss) * 10**9 + cs * 10**7


def push(preset: str | None, **params: Any) -> bytes:
    """A `/ws` push frame; `preset=None` gives a `change` push (no preset key)."""
    body = dict(params) if preset is None else {"preset": preset, **params}
    return orjson.dumps({"jsonrpc": "2.0", "method": "push", "params": body})


def tick(code: str, time: int, price: float, qty: int, acc: int) -> bytes:
    """A stock `tick` push."""
    return push("tick", isuSrtCd=code, trdPrc=price, trdvol=qty, trdTm=time, accTrdvol=acc, accTrdval=int(price * acc))


def book_params(asks: list[tuple[float, int]], bids: list[tuple[float, int]]) -> dict[str, Any]:
    """`askStep{n}BstordPrc`/`...Rqty` keys for the given levels, level 1 first."""
    out: dict[str, Any] = {}
    for side, levels in (("ask", asks), ("bid", bids)):
        for n, (price, qty) in enumerate(levels, start=1):
            out[f"{side}Step{n}BstordPrc"] = price
            out[f"{side}Step{n}BstordRqty"] = qty
    return out


def quote10(code: str, asks: list[tuple[float, int]], bids: list[tuple[float, int]], **extra: Any) -> bytes:
    """A stock `quote10` push with totals."""
    return push(
        "quote10",
        isuSrtCd=code,
        accTrdvol=0,
        **book_params(asks, bids),
        askordTotRqty=sum(q for _, q in asks),
        bidordTotRqty=sum(q for _, q in bids),
        **extra,
    )


def market_array(trades: list[tuple[str, float, int, int]]) -> bytes:
    """A `/ws_ksp` frame: a bare array of all-string objects (code, price, qty, HHMMSSmm)."""
    return orjson.dumps([{"isuSrtCd": c, "trdPrc": str(p), "trdVol": str(q), "trdTm": str(t)} for c, p, q, t in trades])


def snapshot(feed: Any) -> dict[str, Any]:
    """Copies of everything a frame could change, for before/after comparisons."""
    stats = feed.stats()
    return {
        "symbols": list(feed.symbols),
        "books": np.array(feed.books, copy=True),
        "last_update": np.array(feed.last_update, copy=True),
        "bars": [np.array(feed.bars(i).current, copy=True) for i in ("10s", "1m", "10m")],
        "rows": (stats["trades"], stats["quotes"], stats["index"], stats["bars_closed"], stats["gaps"]),
        "events": stats["signals"] + stats["replies"],
    }


def assert_same_state(before: dict[str, Any], after: dict[str, Any]) -> None:
    """Every ring count, book, bar and symbol equal."""
    assert before["symbols"] == after["symbols"]
    assert before["rows"] == after["rows"]
    assert before["events"] == after["events"]
    np.testing.assert_array_equal(before["books"], after["books"])
    np.testing.assert_array_equal(before["last_update"], after["last_update"])
    for b, a in zip(before["bars"], after["bars"], strict=True):
        np.testing.assert_array_equal(b, a)
