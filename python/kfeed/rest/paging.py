"""Backward paging of the history-like endpoints past the vendor's 100-row cap.

The vendor returns the newest rows first, at most 100 per call. Paging asks again with the end of the window moved
back to the oldest row received (inclusive, so no row can fall between two pages), drops the rows already seen,
and stops on an empty page, a short page, a page with nothing new, a cursor that no longer moves back, or when the
caller's limit is reached. The result is one array in **oldest-first** order with no duplicate keys.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import numpy as np

__all__ = ["PAGE_SIZE", "page_backwards"]

PAGE_SIZE = 100
"""The vendor's row cap per call for history, intraday and foreignhistory."""

Cursor = TypeVar("Cursor", bound=Any)


async def page_backwards(
    fetch: Callable[[Cursor, int], Awaitable[np.ndarray]],
    *,
    end: Cursor,
    key: str,
    cursor_for: Callable[[Any], Cursor | None],
    limit: int | None = None,
    empty: np.ndarray,
) -> np.ndarray:
    """Collect pages from ``fetch(cursor, count)`` and return them as one array, oldest first.

    ``end`` is the first cursor; ``cursor_for(oldest_key)`` gives the cursor that ends the next page (it must
    include that key), or None when the window's start is reached; cursors must be comparable and decrease from
    page to page. ``key`` is the field that orders and identifies rows. ``limit`` keeps only the newest ``limit``
    rows; ``empty`` is returned when there are none (it fixes the dtype).
    """
    if limit is not None and limit < 1:
        raise ValueError("limit must be at least 1")
    pages: list[np.ndarray] = []
    collected = 0
    oldest: Any = None
    cursor = end
    while True:
        wanted = PAGE_SIZE if limit is None else min(PAGE_SIZE, limit - collected + (oldest is not None))
        page = await fetch(cursor, wanted)
        received = len(page)
        if received == 0:
            break
        page = _newest_first_unique(page, key)
        if oldest is not None:
            page = page[page[key] < oldest]
        if len(page) == 0:
            break
        pages.append(page)
        collected += len(page)
        oldest = page[key][-1]
        if (limit is not None and collected >= limit) or received < wanted:
            break
        following = cursor_for(oldest)
        if following is None or not following < cursor:
            break
        cursor = following
    if not pages:
        return empty
    rows = np.concatenate(pages)[::-1]
    return np.ascontiguousarray(rows[-limit:] if limit is not None else rows)


def _newest_first_unique(page: np.ndarray, key: str) -> np.ndarray:
    """``page`` sorted by ``key`` descending, keeping the first row of any run of equal keys."""
    ordered = page[np.argsort(page[key], kind="stable")[::-1]]
    keys = ordered[key]
    keep = np.ones(len(ordered), dtype=bool)
    keep[1:] = keys[1:] != keys[:-1]
    return ordered[keep]
