"""Vendor-shaped records: field names (protocol §3, §5), envelopes, errors, release-time gates, intraday bars and
history."""

import datetime
from collections import defaultdict

import pytest
from kfeed.sim import krx
from kfeed.sim.history import intraday_bars
from kfeed.sim.market import Market
from kfeed.sim.records import MASTER_ITEMS, SELECTIVE_ITEMS, RecordError, Records

DAY = datetime.date(2026, 11, 26)
D = datetime.date


class NullSink:
    def on_trade(self, issue, trade):
        pass

    def on_quote(self, issue):
        pass

    def on_index(self, index):
        pass

    def on_signal(self, market, value):
        pass


def market_at(hhmmss, start=None, rate=0.05):
    """A market whose engine has processed every step up to `hhmmss` (HH, MM, SS)."""
    start = start or datetime.time(*hhmmss)
    market = Market(seed=7, trading_date=DAY, start=start, rate=rate)
    market.advance_to(krx.cs_to_hhmmssmm(krx.cs_of(*hhmmss)), NullSink())
    return market, Records(market)


@pytest.fixture(scope="module")
def morning():
    return market_at((9, 12, 0), start=datetime.time(8, 59, 58), rate=0.3)


PRICE_KEYS = {"isuSrtCd", "trdPrc", "trdvol", "trdTm", "cmpprevddTpCd", "cmpprevddPrc", "opnprc", "hgprc", "lwprc",
              "accTrdvol", "accTrdval", "lstAskbidTpCd", "askordPrc_1", "bidordPrc_1"}  # fmt: skip
BOOK_KEYS = (
    {"isuSrtCd", "accTrdvol", "askordTotRqty", "bidordTotRqty", "pstoffhrAskTotOrdRqty", "pstoffhrBidTotOrdRqty",
     "deemTrdPrc", "deemTrdvol", "deemAccTrdvol"}
    | {f"{s}Step{n}Bstord{f}" for s in ("ask", "bid") for n in range(1, 11) for f in ("Prc", "Rqty")}
)  # fmt: skip


def error_code(excinfo):
    return excinfo.value.body["error"]["code"]


def test_stock_push_bodies_and_rest_records_have_the_vendor_keys(morning):
    market, records = morning
    issue = market.issue("005930")
    trade = market.trades("005930")[-1]
    assert records.push_tick(issue, trade) == {
        "isuSrtCd": "005930", "trdPrc": trade.price, "trdvol": trade.qty, "trdTm": trade.time,
        "accTrdvol": trade.acc_volume, "accTrdval": trade.acc_value,
    }  # fmt: skip
    assert set(records.push_quote(issue)) == {"isuSrtCd", "accTrdvol", "askStep1BstordPrc", "askStep1BstordRqty",
                                              "bidStep1BstordPrc", "bidStep1BstordRqty"}  # fmt: skip
    price = records.price("kospi", "005930")
    assert set(price) == PRICE_KEYS and price == records.push_tick10(issue)
    assert isinstance(price["trdPrc"], int) and isinstance(price["cmpprevddTpCd"], str)
    assert price["trdTm"] == trade.time and price["accTrdvol"] == trade.acc_volume
    book = records.orderbook("kospi", "005930")
    assert set(book) == BOOK_KEYS and book == records.push_quote10(issue)
    assert book["askStep2BstordPrc"] == book["askStep1BstordPrc"] + 100
    assert set(records.change_items(issue)) == PRICE_KEYS | BOOK_KEYS == records.change_item_names(issue)
    element = records.market_trade(issue, trade)
    assert set(element) == {"isuSrtCd", "trdPrc", "trdVol", "trdTm"}
    assert all(isinstance(v, str) for v in element.values()) and element["trdVol"] == str(trade.qty)


def test_derivative_records_have_five_levels_with_counts(morning):
    market, records = morning
    future = market.universe.futures()[0]
    option = market.universe.options()[0]
    book = records.deriv_orderbook("futures", "kospi200", future.code)
    assert {f"askStep{n}BstordCnt" for n in range(1, 6)} <= set(book)
    assert "askStep6BstordPrc" not in book
    assert {"askTotOrdRqty", "bidTotOrdRqty", "askValidOrdCnt", "bidValidOrdCnt", "ordAcptTm", "deemTrdPrc"} <= set(
        book
    )
    price = records.deriv_price("futures", "kospi200", future.code)
    assert {"isuSrtCd", "trdPrc", "trdvol", "trdTm", "opnprc", "hgprc", "lwprc", "accTrdvol", "accTrdval", "lstTrdTpCd",
            "negoBlkAccTrdvol", "realtmUplmtprc", "realtmLwlmtprc"} <= set(price)  # fmt: skip
    assert isinstance(price["trdPrc"], float)
    assert "isuCd" in records.deriv_price("options", "kospi200", option.code)
    trade = market.trades(future.code)[-1]
    assert set(records.push_tick(future, trade)) == {"isuSrtCd", "trdPrc", "trdvol", "trdTm", "accTrdvol"}
    assert "ordAcptTm" in records.push_quote(future)
    assert trade.acc_value == sum(round(t.price * 100) * t.qty * 2_500 for t in market.trades(future.code))
    master = records.deriv_master("options", "kospi200", option.code)
    assert master["setlmult"] == 250_000 and "exerPrc" in master and "impVolt" in master
    assert records.deriv_lists("futures", "kospi200")["isuLists"][0]["isuSrtCd"] == future.code


def test_lists_are_bare_and_multiquote_uses_isulist(morning):
    _market, records = morning
    lists = records.stock_lists("kospi")
    assert set(lists) == {"trdDd", "mktEndTm", "isuLists"} and len(lists["isuLists"]) == 950
    assert set(lists["isuLists"][0]) == {"isuSrtCd", "isuCd", "isuKorNm", "isuKorAbbr", "map_to"}
    snapshot = records.multiquote_lists("kosdaq")
    assert set(snapshot) == {"trdDd", "trdTm", "isuLists"} and len(snapshot["isuLists"]) == 1_750
    assert set(snapshot["isuLists"][0]) == {"isuSrtCd", "trdPrc", "accTrdvol", "accTrdval"}
    assert set(records.multiquote_ohlclists("kospi")["isuLists"][0]) == {
        "isuSrtCd",
        "opnprc",
        "hgprc",
        "lwprc",
        "trdPrc",
    }
    quotes = records.multiquote_price("kospi", ["005930", "000660"])
    assert [q["isuSrtCd"] for q in quotes["isulist"]] == ["005930", "000660"]
    assert set(records.multiquote_orderbook("kospi", ["005930"])["isulist"][0]) == BOOK_KEYS


def test_master_has_58_items_and_selectivemaster_75(morning):
    _, records = morning
    master = records.master("kospi", "005930")
    assert len(master) == 58 and tuple(master) == MASTER_ITEMS
    assert master["isuCd"] == "KR7005930003" and master["uplmtprc"] > master["basPrc"] > master["lwlmtprc"]
    assert len(records.selectivemaster("kospi", "005930", [])) == len(SELECTIVE_ITEMS) == 75
    asked = records.selectivemaster("kospi", "005930", ["prevddClsprc", "wk52HgstPrc"])
    assert set(asked) == {"prevddClsprc", "wk52HgstPrc"}
    with pytest.raises(RecordError) as excinfo:
        records.selectivemaster("kospi", "005930", ["noSuchItem"])
    assert error_code(excinfo) == 10050


def test_index_records(morning):
    market, records = morning
    value = records.index_index("kospi", "K51")
    assert set(value) == {"isuSrtCd", "trdPrc", "cmpprevddTpCd", "cmpprevddPrc", "accTrdvol", "accTrdval", "trdTm"}
    assert value["trdPrc"] == round(value["trdPrc"], 2) and value == records.push_index(market.index("K51"))
    assert value["accTrdvol"] == market.index("K51").acc_volume // 1_000
    summary = records.market_index("kosdaq")
    assert summary["isuSrtCd"] == "Q1" and {"isuCnt", "mktcap", "listShrs", "opnprc"} <= set(summary)
    assert set(records.marketcap("kospi", "K1")) == {"isuSrtCd", "isuCnt", "listShrs", "mktcap"}
    assert set(records.prospectindex("kospi", "K1")) == {
        "isuSrtCd", "deemTm", "deemTrdPrc", "deemAccTrdvol", "deemcmpprevddPrc", "deemcmpprevddTpCd", "deemAccTrdval",
    }  # fmt: skip
    investors = records.index_investors("kospi", "K1")
    assert [row["invstCd"] for row in investors["invstLists"]] == [f"{n:02d}" for n in range(1, 17)]


def test_unknown_codes_are_error_10040(morning):
    _, records = morning
    for call in (lambda: records.price("kospi", "999999"), lambda: records.price("kosdaq", "005930"),
                 lambda: records.deriv_price("futures", "kospi200", "101A1000"),
                 lambda: records.index_index("kospi", "K999")):  # fmt: skip
        with pytest.raises(RecordError) as excinfo:
            call()
        assert excinfo.value.status == 400 and error_code(excinfo) == 10040
    assert records.price("kospi", "005930*001")["isuSrtCd"] == "005930"


def test_date_range_errors(morning):
    _, records = morning
    cases = [
        (lambda: records.history("stocks", "kospi", "005930", "D", D(2026, 11, 20), D(2026, 11, 10), 10), 20010),
        (lambda: records.history("stocks", "kospi", "005930", "D", D(2026, 11, 20), D(2026, 12, 1), 10), 20100),
        (lambda: records.history("stocks", "kospi", "005930", "D", D(2026, 11, 21), D(2026, 11, 22), 10), 20110),
        (lambda: records.foreignhistory("kospi", "005930", D(2026, 11, 2), D(2026, 11, 1), 5), 20010),
        (lambda: records.intraday("stocks", "kospi", "005930", 60, D(2026, 11, 27), 90000, 100000, 10), 20100),
        (lambda: records.intraday("stocks", "kospi", "005930", 60, D(2026, 11, 22), 90000, 100000, 10), 20110),
    ]
    for call, code in cases:
        with pytest.raises(RecordError) as excinfo:
            call()
        assert error_code(excinfo) == code


def test_today_is_never_the_future_even_on_a_day_without_a_session():
    market = Market(seed=7, rate=0.05)
    records = Records(market)
    today = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=9))).date()
    assert market.calendar_date == today
    assert market.trading_date == krx.calendar().on_or_before(today)
    rows = records.history("stocks", "kospi", "005930", "D", today - datetime.timedelta(days=20), today, 5)
    assert len(rows["hisLists"]) == 5
    with pytest.raises(RecordError) as excinfo:
        records.history("stocks", "kospi", "005930", "D", today, today + datetime.timedelta(days=1), 5)
    assert error_code(excinfo) == 20100


GATES = [
    ((15, 40), lambda r: r.closeprice("kospi", "005930")),
    ((15, 30), lambda r: r.investors("kospi", "005930")),
    ((15, 40), lambda r: r.market_investors("kospi")),
    ((16, 0), lambda r: r.closenav("kospi", "069500")),
    ((18, 0), lambda r: r.shortsell("kospi", "005930", DAY, DAY)),
    ((15, 50), lambda r: r.deriv_closeprice("futures", "kospi200", r.market.universe.futures()[0].code)),
    ((15, 40), lambda r: r.closeindex("kospi", "K1")),
]


@pytest.mark.parametrize(("release", "call"), GATES)
def test_closing_data_is_gated_by_its_release_time(release, call):
    minute_before = release[0] * 60 + release[1] - 1
    _, early = market_at((minute_before // 60, minute_before % 60, 59))
    with pytest.raises(RecordError) as excinfo:
        call(early)
    assert (excinfo.value.status, excinfo.value.body) == (400, {"error": "당일 종가 제공 시간이 아닙니다."})
    _, late = market_at((*release, 0))
    assert call(late)


def test_investors_add_up_after_the_close():
    market, records = market_at((15, 31, 0), start=datetime.time(15, 29, 59), rate=0.1)
    rows = {row["invstCd"]: row for row in records.investors("kospi", "005930")["invstLists"]}
    assert list(rows) == [f"{n:02d}" for n in range(1, 17)]
    total = market.issue("005930").acc_volume
    assert total > 0 and rows["12"]["askTrdvol"] == rows["12"]["bidTrdvol"] == total
    institutions = ("01", "02", "03", "04", "05", "06", "07", "13")
    assert rows["08"]["bidTrdvol"] == sum(rows[c]["bidTrdvol"] for c in institutions)
    assert (
        rows["08"]["bidTrdvol"] + rows["09"]["bidTrdvol"] + rows["10"]["bidTrdvol"] + rows["11"]["bidTrdvol"] == total
    )


def test_history_rows_are_business_days_newest_first():
    _, records = market_at((9, 0, 0))
    daily = records.history("stocks", "kospi", "005930", "D", D(2026, 1, 1), DAY, 100)["hisLists"]
    days = [datetime.datetime.strptime(str(r["BzDd"]), "%Y%m%d").date() for r in daily]
    assert len(days) == 100 and days == sorted(days, reverse=True)
    assert days[0] == D(2026, 11, 25) and all(krx.calendar().is_business_day(d) for d in days)
    assert days == krx.calendar().between(days[-1], days[0])[::-1]
    assert daily[0]["trdPrc"] == records.market.issue("005930").base
    assert len(records.history("stocks", "kospi", "005930", "D", D(2026, 1, 1), DAY, 500)["hisLists"]) == 100
    weekly = records.history("stocks", "kospi", "005930", "W", D(2026, 9, 1), DAY, 100)["hisLists"]
    week_days = [datetime.datetime.strptime(str(r["BzDd"]), "%Y%m%d").date() for r in weekly]
    assert D(2026, 10, 2) in week_days  # the Chuseok week ends on Friday 2 October
    assert all(d.weekday() == 4 or d == D(2026, 11, 25) or not krx.calendar().is_business_day(d + datetime.timedelta(1))
               for d in week_days)  # fmt: skip
    monthly = records.history("stocks", "kospi", "005930", "M", D(2026, 1, 1), DAY, 100)["hisLists"]
    assert [r["BzDd"] for r in monthly][:3] == [20261125, 20261030, 20260930]
    assert set(daily[0]) == {"BzDd", "trdPrc", "cmpprevddTpCd", "cmpprevddPrc", "opnprc", "hgprc", "lwprc",
                             "accTrdvol", "accTrdval"}  # fmt: skip
    future = records.history("futures", "kospi200", "K2FA001", "D", D(2026, 11, 1), DAY, 5)["hisLists"]
    assert "opnintQty" in future[0] and isinstance(future[0]["trdPrc"], float)
    assert records.history("index", "kospi", "K1", "D", D(2026, 11, 1), DAY, 5)["hisLists"][0]["trdPrc"] == 2600.0


def test_history_is_the_same_for_the_same_seed():
    _, a = market_at((9, 0, 0))
    _, b = market_at((9, 0, 0))
    window = ("stocks", "kosdaq", "247540", "D", D(2025, 1, 1), DAY, 100)
    assert a.history(*window) == b.history(*window)


def test_bar_rule_on_hand_made_points():
    cs = krx.cs_of
    points = [(cs(9, 0, 0), 100, 10, 1_000), (cs(9, 0, 30), 110, 15, 1_550), (cs(9, 0, 59, 99), 90, 16, 1_640),
              (cs(9, 2, 5), 95, 20, 2_020), (cs(9, 3, 1), 97, 21, 2_117)]  # fmt: skip
    bars = intraday_bars(points, 6_000, cs(9, 3, 40), cs(9, 0), cs(15, 30))
    assert [krx.cs_to_hhmmssmm(b.label) for b in bars] == [9_030_100, 9_030_000, 9_010_000]
    assert bars[2][1:] == (100, 110, 90, 90, 16, 1_640, 16, 1_640)
    assert bars[1][1:] == (95, 95, 95, 95, 4, 380, 20, 2_020)
    assert intraday_bars(points, 6_000, cs(9, 3, 40), cs(9, 1), cs(9, 3))[0].label == cs(9, 3)
    assert intraday_bars(points, 6_000, cs(9, 4), cs(9, 0), cs(15, 30))[0].label == cs(9, 4)


def test_rest_intraday_bars_equal_an_independent_recomputation(morning):
    market, records = morning
    for cycle in (10, 60, 600):
        rows = records.intraday("stocks", "kospi", "000660", cycle, DAY, 90000, 153000, 100)["hisLists"]
        buckets = defaultdict(list)
        for trade in market.trades("000660"):
            seconds = trade.time // 1_000_000 * 3600 + trade.time // 10_000 % 100 * 60 + trade.time // 100 % 100
            buckets[seconds // cycle].append(trade)
        expected = []
        for bucket, trades in sorted(buckets.items(), reverse=True):
            end = (bucket + 1) * cycle
            closed = krx.cs_of(0, 0, end) <= market.now_cs
            label = f"{end // 3600:d}{end // 60 % 60:02d}{end % 60:02d}00" if closed else str(trades[-1].time)
            expected.append({
                "inddTm": label, "inddOpnprc": trades[0].price, "inddHgprc": max(t.price for t in trades),
                "inddLwprc": min(t.price for t in trades), "inddClsprc": trades[-1].price,
                "inddTrdvol": sum(t.qty for t in trades), "inddTrdval": sum(int(t.price) * t.qty for t in trades),
                "inddAccTrdvol": trades[-1].acc_volume, "inddAccTrdval": trades[-1].acc_value,
            })  # fmt: skip
        assert rows == expected[:100], cycle
    assert len(records.intraday("stocks", "kospi", "000660", 10, DAY, 90000, 153000, 7)["hisLists"]) == 7
