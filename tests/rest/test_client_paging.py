"""Backward paging past the 100-row cap: order, no duplicates, no gaps, limits and termination."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from kfeed.rest import dtypes
from kfeed.rest.paging import PAGE_SIZE, page_backwards

FIRST = dt.date(2023, 1, 2)
DAYS = [FIRST + dt.timedelta(days=i) for i in range(0, 700) if (FIRST + dt.timedelta(days=i)).weekday() < 5]


class DailyServer:
    """Serves DAYS like the vendor: rows up to the cursor (inclusive), newest first, at most min(count, 100)."""

    def __init__(self, days: list[dt.date]) -> None:
        self.days = days
        self.calls: list[tuple[dt.date, int]] = []

    async def fetch(self, cursor: dt.date, count: int) -> np.ndarray:
        self.calls.append((cursor, count))
        chosen = [d for d in reversed(self.days) if d <= cursor][: min(count, PAGE_SIZE)]
        rows = [{"BzDd": d.strftime("%Y%m%d"), "trdPrc": i} for i, d in enumerate(chosen)]
        return dtypes.HISTORY.array(rows, FIRST)


def cursor_for(oldest: np.datetime64) -> dt.date | None:
    day = oldest.item()
    return day if day > FIRST else None


async def collect(server: DailyServer, end: dt.date, limit: int | None = None) -> np.ndarray:
    return await page_backwards(
        server.fetch,
        end=end,
        key="date",
        cursor_for=cursor_for,
        limit=limit,
        empty=np.zeros(0, dtypes.HISTORY.dtype),
    )


async def test_pages_everything_oldest_first_without_duplicates():
    server = DailyServer(DAYS)
    rows = await collect(server, DAYS[-1])
    assert len(DAYS) > 3 * PAGE_SIZE
    assert rows["date"].tolist() == DAYS
    assert len(server.calls) >= len(DAYS) // PAGE_SIZE
    cursors = [cursor for cursor, _ in server.calls]
    assert cursors == sorted(cursors, reverse=True) and len(set(cursors)) == len(cursors)


@pytest.mark.parametrize("limit", [1, 99, 100, 101, 250])
async def test_limit_keeps_the_newest_rows(limit):
    server = DailyServer(DAYS)
    rows = await collect(server, DAYS[-1], limit)
    assert rows["date"].tolist() == DAYS[-limit:]
    assert all(count <= PAGE_SIZE for _, count in server.calls)


async def test_short_and_empty_pages_stop():
    server = DailyServer(DAYS[:5])
    assert (await collect(server, DAYS[-1]))["date"].tolist() == DAYS[:5]
    assert len(server.calls) == 1
    empty = DailyServer([])
    rows = await collect(empty, DAYS[-1])
    assert len(rows) == 0 and rows.dtype == dtypes.HISTORY.dtype


async def test_a_server_that_ignores_the_cursor_cannot_loop_forever():
    calls = 0

    async def stubborn(cursor: dt.date, count: int) -> np.ndarray:
        nonlocal calls
        calls += 1
        days = list(reversed(DAYS))[:PAGE_SIZE]
        return dtypes.HISTORY.array([{"BzDd": d.strftime("%Y%m%d")} for d in days], FIRST)

    rows = await page_backwards(
        stubborn, end=DAYS[-1], key="date", cursor_for=cursor_for, empty=np.zeros(0, dtypes.HISTORY.dtype)
    )
    assert rows["date"].tolist() == DAYS[-PAGE_SIZE:]
    assert calls == 2


async def test_duplicate_rows_inside_a_page_are_dropped():
    async def doubled(cursor: dt.date, count: int) -> np.ndarray:
        day = {"BzDd": "20240102", "trdPrc": 1}
        return dtypes.HISTORY.array([day, day, {"BzDd": "20240101"}], FIRST)

    rows = await page_backwards(
        doubled, end=dt.date(2024, 1, 2), key="date", cursor_for=cursor_for, empty=np.zeros(0, dtypes.HISTORY.dtype)
    )
    assert rows["date"].tolist() == [dt.date(2024, 1, 1), dt.date(2024, 1, 2)]
