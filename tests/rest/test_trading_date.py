"""The REST client's default trading date: today in KST, or on a day without a session the last day with one."""

from __future__ import annotations

import datetime

import numpy as np
import pytest
from kfeed.krx_calendar import last_session_day
from kfeed.rest import RestClient

D = datetime.date


@pytest.mark.parametrize(
    ("today", "session"),
    [
        (D(2026, 12, 7), D(2026, 12, 7)),  # a Monday
        (D(2026, 12, 6), D(2026, 12, 4)),  # a Sunday: the Friday before
        (D(2026, 12, 25), D(2026, 12, 24)),  # Christmas
        (D(2026, 12, 31), D(2026, 12, 30)),  # the year-end closing day
        (D(2027, 1, 1), D(2026, 12, 30)),  # New Year's Day after it
        (D(2026, 9, 25), D(2026, 9, 23)),  # Chuseok
    ],
)
def test_last_session_day(today: datetime.date, session: datetime.date) -> None:
    assert last_session_day(today) == session


async def test_a_client_dates_records_on_the_last_session_by_default(sim_factory, key) -> None:
    sim = await sim_factory(start="10:00:00")
    async with RestClient(sim.url, key=key) as client:
        assert client.trading_date == last_session_day() == sim.market.trading_date
        price = await client.stocks.price("kospi", "005930")
    day = np.datetime64(price.time + 9 * 3600 * 10**9, "ns").astype("datetime64[D]")
    assert day == np.datetime64(sim.market.trading_date)
