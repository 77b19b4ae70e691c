"""The KRX trading calendar: business days (weekdays that are not exchange holidays) and the last session day.

Shared by the REST client (its default trading date) and the simulator (its sessions and history).
"""

from __future__ import annotations

import bisect
import datetime
import functools

__all__ = ["BusinessCalendar", "calendar", "last_session_day"]

_KST = datetime.timezone(datetime.timedelta(hours=9))

# KRX closing days besides weekends: public holidays, substitute and temporary holidays, election days, Labour Day
# (1 May) and the year-end closing day (31 December, or the last weekday before it).
_FIXED_HOLIDAYS = ((1, 1), (3, 1), (5, 1), (5, 5), (6, 6), (8, 15), (10, 3), (10, 9), (12, 25))
_MOVABLE_HOLIDAYS: dict[int, tuple[str, ...]] = {
    2018: ("0215", "0216", "0507", "0522", "0613", "0924", "0925", "0926"),
    2019: ("0204", "0205", "0206", "0506", "0912", "0913"),
    2020: ("0124", "0127", "0415", "0430", "0817", "0930", "1001", "1002"),
    2021: ("0211", "0212", "0519", "0816", "0920", "0921", "0922", "1004", "1011"),
    2022: ("0131", "0201", "0202", "0309", "0601", "0909", "0912", "1010"),
    2023: ("0123", "0124", "0529", "0928", "0929", "1002"),
    2024: ("0209", "0212", "0410", "0506", "0515", "0916", "0917", "0918", "1001"),
    2025: ("0127", "0128", "0129", "0130", "0303", "0506", "0603", "1006", "1007", "1008"),
    2026: ("0216", "0217", "0218", "0302", "0525", "0603", "0817", "0924", "0925", "1005"),
    2027: ("0208", "0209", "0513", "0816", "0914", "0915", "0916", "1004", "1011", "1227"),
}


class BusinessCalendar:
    """KRX business days: weekdays that are not exchange holidays (lunar holidays tabulated for 2018–2027)."""

    def __init__(self, first: datetime.date, last: datetime.date) -> None:
        self.first = first
        self.last = last
        days: list[datetime.date] = []
        day = first
        while day <= last:
            if self._open(day):
                days.append(day)
            day += datetime.timedelta(days=1)
        self.days: list[datetime.date] = days
        self._ordinals = [d.toordinal() for d in days]

    @staticmethod
    def _open(day: datetime.date) -> bool:
        if day.weekday() >= 5 or (day.month, day.day) in _FIXED_HOLIDAYS:
            return False
        if f"{day.month:02d}{day.day:02d}" in _MOVABLE_HOLIDAYS.get(day.year, ()):
            return False
        year_end = datetime.date(day.year, 12, 31)
        while year_end.weekday() >= 5 or (year_end.month, year_end.day) == (12, 25):
            year_end -= datetime.timedelta(days=1)
        return day != year_end

    def is_business_day(self, day: datetime.date) -> bool:
        """Whether the exchange trades on `day`."""
        return self._open(day)

    def previous(self, day: datetime.date) -> datetime.date:
        """The last business day strictly before `day`."""
        index = bisect.bisect_left(self._ordinals, day.toordinal())
        return self.days[index - 1]

    def on_or_before(self, day: datetime.date) -> datetime.date:
        """`day` if it is a business day, else the last business day before it."""
        index = bisect.bisect_right(self._ordinals, day.toordinal())
        return self.days[index - 1]

    def between(self, start: datetime.date, end: datetime.date) -> list[datetime.date]:
        """Business days in [start, end], oldest first."""
        lo = bisect.bisect_left(self._ordinals, start.toordinal())
        hi = bisect.bisect_right(self._ordinals, end.toordinal())
        return self.days[lo:hi]

    def last_n_before(self, day: datetime.date, count: int) -> list[datetime.date]:
        """The `count` business days strictly before `day`, oldest first."""
        hi = bisect.bisect_left(self._ordinals, day.toordinal())
        return self.days[max(0, hi - count) : hi]


@functools.cache
def calendar() -> BusinessCalendar:
    """The shared calendar, 2010-01-01 to 2030-12-31."""
    return BusinessCalendar(datetime.date(2010, 1, 1), datetime.date(2030, 12, 31))


def last_session_day(today: datetime.date | None = None) -> datetime.date:
    """``today`` (default: today in KST) if the exchange trades on it, else the last day before it that it did."""
    day = today or datetime.datetime.now(_KST).date()
    cal = calendar()
    while not cal.is_business_day(day):
        day -= datetime.timedelta(days=1)
    return day
