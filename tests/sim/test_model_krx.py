"""KRX rules of the simulator: ISIN check digits, tick table, price limits, sessions, times, calendar."""

import datetime

import pytest
from kfeed.sim import krx


@pytest.mark.parametrize(
    ("code", "preferred", "isin"),
    [("005930", False, "KR7005930003"), ("005935", True, "KR7005931001"), ("000660", False, "KR7000660001"),
     ("069500", False, "KR7069500007"), ("035420", False, "KR7035420009")],
)  # fmt: skip
def test_known_isins(code, preferred, isin):
    assert krx.stock_isin(code, preferred) == isin
    assert krx.isin_check_digit(isin[:11]) == int(isin[11])


def test_derivative_isin_has_kr4_prefix_and_valid_check_digit():
    isin = krx.derivative_isin("101N6000")
    assert isin.startswith("KR4101N6000") and len(isin) == 12
    assert krx.isin_check_digit(isin[:11]) == int(isin[11])


def test_check_digit_detects_a_changed_character():
    assert krx.isin_check_digit("KR700593000") != krx.isin_check_digit("KR700593100")


@pytest.mark.parametrize(
    ("price", "tick"),
    [(1, 1), (1_999, 1), (2_000, 5), (4_995, 5), (5_000, 10), (19_990, 10), (20_000, 50), (49_950, 50),
     (50_000, 100), (199_900, 100), (200_000, 500), (499_500, 500), (500_000, 1_000), (2_000_000, 1_000)],
)  # fmt: skip
def test_stock_tick_table(price, tick):
    assert krx.stock_tick(price) == tick


def test_option_tick_changes_at_ten_points():
    assert krx.option_tick(999) == 1
    assert krx.option_tick(1_000) == 5


def test_ticks_step_across_table_boundaries():
    assert krx.tick_up(1_999, krx.stock_tick) == 2_000
    assert krx.tick_down(2_000, krx.stock_tick) == 1_999
    assert krx.tick_down(2_005, krx.stock_tick) == 2_000
    assert krx.tick_up(49_950, krx.stock_tick) == 50_000


def test_limits_of_the_protocol_example():
    assert krx.price_limits(53_000, krx.stock_tick) == (68_900, 37_100)


@pytest.mark.parametrize("base", [777, 1_999, 4_321, 19_995, 123_456 - 56, 700_000])
def test_limits_are_on_the_grid_and_within_thirty_percent(base):
    upper, lower = krx.price_limits(base, krx.stock_tick)
    assert upper % krx.stock_tick(upper) == 0 and lower % krx.stock_tick(lower) == 0
    assert lower >= base * 0.7 and upper <= base * 1.3
    assert krx.tick_up(upper, krx.stock_tick) > base * 1.3


def test_hhmmssmm_round_trip():
    assert krx.cs_to_hhmmssmm(krx.cs_of(9, 0)) == 9_000_000
    assert krx.cs_to_hhmmssmm(krx.cs_of(14, 41, 20)) == 14_412_000
    assert krx.hhmmssmm_to_cs(9_544_500) == krx.cs_of(9, 54, 45)
    with pytest.raises(ValueError):
        krx.hhmmssmm_to_cs(9_606_000)


@pytest.mark.parametrize(
    ("hhmm", "stock", "derivative"),
    [((8, 0), 0, 0), ((8, 30), 1, 1), ((8, 45), 1, 2), ((9, 0), 2, 2), ((15, 20), 4, 2), ((15, 30), 0, 2),
     ((15, 35), 0, 4), ((15, 40), 5, 4), ((15, 45), 5, 9), ((16, 0), 6, 9), ((18, 1), 9, 9)],
)  # fmt: skip
def test_session_states(hhmm, stock, derivative):
    cs = krx.cs_of(*hhmm)
    assert krx.stock_state(cs) == stock
    assert krx.derivative_state(cs) == derivative


def test_calendar_skips_weekends_and_holidays():
    cal = krx.calendar()
    assert not cal.is_business_day(datetime.date(2026, 11, 28))  # Saturday
    assert not cal.is_business_day(datetime.date(2026, 9, 24))  # Chuseok
    assert not cal.is_business_day(datetime.date(2026, 12, 31))  # year-end closing
    assert not cal.is_business_day(datetime.date(2026, 5, 1))  # Labour Day
    assert cal.is_business_day(datetime.date(2026, 11, 26))
    assert cal.previous(datetime.date(2026, 11, 30)) == datetime.date(2026, 11, 27)
    days = cal.between(datetime.date(2026, 9, 21), datetime.date(2026, 10, 2))
    assert [d.day for d in days] == [21, 22, 23, 28, 29, 30, 1, 2]


def test_derivative_code_letters():
    assert krx.derivative_year_letter(2018) == "N"
    assert krx.derivative_year_letter(2024) == "V"
    assert krx.derivative_month_letter(6) == "6" and krx.derivative_month_letter(12) == "C"
