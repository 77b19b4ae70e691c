"""Vendor-shaped records: every REST result and push body the simulator serves, built from the market's state.

Field names and wire types follow protocol §3 and §5. Stock prices are integer KRW; futures, options and index values
are 2-dp points; index volume is in thousands of shares and index value/market cap in millions of KRW. Enveloped REST
endpoints return the `result` value and bare ones the whole body; vendor errors raise `RecordError`.
"""

from __future__ import annotations

import datetime
import functools
import zlib
from collections.abc import Callable, Iterable

from kfeed.sim import krx
from kfeed.sim.history import (
    INVESTOR_CODES,
    DayRow,
    aggregate,
    daily_rows,
    index_daily_rows,
    intraday_bars,
    investor_split,
    member_ranking,
)
from kfeed.sim.market import Market, Trade
from kfeed.sim.universe import MULTIPLIER, IndexState, Issue

__all__ = ["MASTER_ITEMS", "SELECTIVE_ITEMS", "RecordError", "Records"]

ROW_CAP = 100
"""Rows per history-like call (protocol §1)."""

CLOSING_NOT_YET = {"error": "당일 종가 제공 시간이 아닙니다."}

# Release times of closing data (seed, API summary table).
CLOSEPRICE_RELEASE = krx.cs_of(15, 40)
STOCK_INVESTORS_RELEASE = krx.cs_of(15, 30)
MARKET_INVESTORS_RELEASE = krx.cs_of(15, 40)
CLOSENAV_RELEASE = krx.cs_of(16, 0)
SHORTSELL_RELEASE = krx.cs_of(18, 0)
DERIV_CLOSEPRICE_RELEASE = krx.cs_of(15, 50)
CLOSEINDEX_RELEASE = krx.cs_of(15, 40)

MASTER_ITEMS = (
    "isuSrtCd", "isuCd", "isuKorAbbrv", "trdDd", "secugrpId", "mktWarnTpCd", "haltYn", "basPrc", "prevddClsprc",
    "prevddAccTrdvol", "prevddAccTrdval", "uplmtprc", "lwlmtprc", "parval", "listDd", "listShrs", "regulssQtyUnit",
    "eps", "bps", "per", "pbr", "dps", "divYd", "kospiYn", "kospi100Yn", "kospi50Yn", "krx100IsuYn",
    "isuKorNm", "isuEngNm", "isuEngAbbrv", "mktTpCd", "kospi200IsuYn", "kosdaq150IsuYn", "prfstkYn", "etfYn",
    "idxIndCd", "mfgYn", "mktcapScaleCd", "lstCapitalAmt", "stlmMm", "adminIsuYn", "invstCautnYn", "invstWarnYn",
    "invstRiskYn", "srtsellPsblYn", "crdtTrdPsblYn", "fornLmtRt", "fornLmtQty", "prevddOpnprc", "prevddHgprc",
    "prevddLwprc", "prevddCmpprevddTpCd", "prevddCmpprevddPrc", "prevddMktcap", "basPrcTpCd", "trdUnitQty",
    "substPrc", "vlyIsuYn",
)  # fmt: skip
"""The 58 items of the stock master record."""

SELECTIVE_ITEMS = (
    *MASTER_ITEMS,
    "wk52HgstPrc", "wk52LwstPrc", "wk52HgstPrcDd", "wk52LwstPrcDd", "dd5AvgPrc", "dd20AvgPrc", "dd60AvgPrc",
    "dd120AvgPrc", "dd5AvgTrdVol", "dd20AvgTrdVol", "dd60AvgTrdVol", "dd120AvgTrdVol", "srtsellTrdVol", "lendBalQty",
    "liquShrs", "fornHdQty", "fornExhRt",
)  # fmt: skip
"""The 75 selectivemaster items as of 2019-01-01 (the seed): the master items plus 17 statistics."""

_STOCK_MARKETS = ("kospi", "kosdaq", "konex")
_DERIV_MARKETS = ("kospi200", "mini_kospi200", "kosdaq150", "sector", "vix", "stock", "usd", "yen", "euro", "ktb3",
                  "ktb5", "ktb10", "lean_hogs", "cme_kospi200", "eurostoxx")  # fmt: skip
_CONTINUOUS_FUTURE = "K2FA001"
_MARKET_INDEX = {"kospi": "K1", "kosdaq": "Q1"}


class RecordError(Exception):
    """A vendor error: Server sends `body` as JSON with HTTP `status`."""

    def __init__(self, status: int, body: dict) -> None:
        super().__init__(f"HTTP {status}: {body}")
        self.status = status
        self.body = body


def _vendor_error(code: int, message: str) -> RecordError:
    return RecordError(400, {"jsonrpc": "2.0", "error": {"code": code, "message": message}})


def unknown_code() -> RecordError:
    """Error 10040: no such issue code."""
    return _vendor_error(10040, "종목코드가 존재 하지 않습니다")


def unknown_item(item: str) -> RecordError:
    """Error 10050: an item that is not offered."""
    return _vendor_error(10050, f"요청 항목이 존재하지 않습니다: {item}")


def bad_parameter(detail: str) -> RecordError:
    """Error 10000: a parameter out of its documented domain."""
    return _vendor_error(10000, f"요청 파라미터가 올바르지 않습니다: {detail}")


def no_route() -> RecordError:
    """The gateway's 404 for a path it does not serve (e.g. an unknown market)."""
    return RecordError(404, {"message": "no Route matched with those values"})


def _compare(price: int, base: int, upper: int, lower: int) -> str:
    """`cmpprevddTpCd`: 1 upper limit, 2 up, 3 unchanged, 4 lower limit, 5 down."""
    if price == base:
        return "3"
    if price > base:
        return "1" if price >= upper else "2"
    return "4" if price <= lower else "5"


def _ymd(day: datetime.date) -> str:
    return f"{day:%Y%m%d}"


class Records:
    """Builds every vendor record from one Market's state."""

    def __init__(self, market: Market) -> None:
        self.market = market
        self.seed = market.seed
        self.trading_date = market.trading_date

    # ------------------------------------------------------------------------------------------------ lookup
    def _stock(self, mkt: str, code: str) -> Issue:
        if mkt not in _STOCK_MARKETS:
            raise no_route()
        issue = self.market.issue(code)
        if issue is None or issue.market != mkt:
            raise unknown_code()
        return issue

    def _deriv(self, kind: str, mkt: str, code: str) -> Issue:
        if kind not in ("futures", "options") or mkt not in _DERIV_MARKETS:
            raise no_route()
        if code.split("*", 1)[0] == _CONTINUOUS_FUTURE and kind == "futures" and mkt == "kospi200":
            return self.market.universe.futures()[0]
        issue = self.market.issue(code)
        if issue is None or issue.market != kind or mkt != "kospi200":
            raise unknown_code()
        return issue

    def _index(self, code: str) -> IndexState:
        index = self.market.index(code.split("*", 1)[0])
        if index is None:
            raise unknown_code()
        return index

    def _gate(self, release_cs: int) -> None:
        if self.market.now_cs < release_cs:
            raise RecordError(400, dict(CLOSING_NOT_YET))

    # ------------------------------------------------------------------------------------------------ push bodies
    def push_tick(self, issue: Issue, trade: Trade) -> dict:
        """`tick` params (without "preset") for one trade."""
        if issue.derivative:
            return {"isuSrtCd": issue.code, "trdPrc": trade.price, "trdvol": trade.qty, "trdTm": trade.time,
                    "accTrdvol": trade.acc_volume}  # fmt: skip
        return {"isuSrtCd": issue.code, "trdPrc": trade.price, "trdvol": trade.qty, "trdTm": trade.time,
                "accTrdvol": trade.acc_volume, "accTrdval": trade.acc_value}  # fmt: skip

    def push_quote(self, issue: Issue) -> dict:
        """`quote` params: the best level of the book."""
        d = issue.display
        body = {"isuSrtCd": issue.code, "accTrdvol": issue.acc_volume,
                "askStep1BstordPrc": d(issue.ask_prices[0]), "askStep1BstordRqty": issue.ask_qtys[0],
                "bidStep1BstordPrc": d(issue.bid_prices[0]), "bidStep1BstordRqty": issue.bid_qtys[0]}  # fmt: skip
        if issue.derivative:
            del body["accTrdvol"]
            body["ordAcptTm"] = krx.cs_to_hhmmssmm(issue.quote_time)
        return body

    def push_tick10(self, issue: Issue) -> dict:
        """`tick10` params: identical to the REST price record."""
        return self._price(issue)

    def push_quote10(self, issue: Issue) -> dict:
        """`quote10` params: identical to the REST orderbook record."""
        return self._orderbook(issue)

    def push_index(self, index: IndexState) -> dict:
        """`index` params for an index's last published value."""
        return self._index_value(index)

    def change_items(self, issue: Issue) -> dict:
        """Every tick10 ∪ quote10 item with its current value (Server diffs per subscription)."""
        return {**self._price(issue), **self._orderbook(issue)}

    def change_item_names(self, issue: Issue) -> frozenset[str]:
        """The items a `change` subscription may ask for on this issue."""
        return _item_names(issue.kind)

    def market_trade(self, issue: Issue, trade: Trade) -> dict[str, str]:
        """One element of a `/ws_ksp`/`/ws_kdq` array: every value a string."""
        return {"isuSrtCd": issue.code, "trdPrc": str(trade.price), "trdVol": str(trade.qty),
                "trdTm": f"{trade.time:08d}"}  # fmt: skip

    # ------------------------------------------------------------------------------------------------ stock records
    def _price(self, issue: Issue) -> dict:
        d = issue.display
        price = issue.price
        if issue.derivative:
            body = {"isuSrtCd": issue.code, "trdPrc": d(price), "trdvol": issue.last_qty,
                    "trdTm": krx.cs_to_hhmmssmm(issue.last_time) if issue.last_time else 0,
                    "opnprc": d(issue.open), "hgprc": d(issue.high), "lwprc": d(issue.low),
                    "accTrdvol": issue.acc_volume, "accTrdval": issue.acc_value,
                    "lstTrdTpCd": 2 if issue.last_side > 0 else 1 if issue.last_side < 0 else 0,
                    "negoBlkAccTrdvol": 0, "realtmUplmtprc": d(issue.upper),
                    "realtmLwlmtprc": d(issue.lower)}  # fmt: skip
            if issue.kind == "future":
                body["nearmmLegPrc"] = d(price)
                body["farmmLegPrc"] = d(self._next_future_price(issue))
            else:
                body["isuCd"] = issue.isin
            return body
        return {"isuSrtCd": issue.code, "trdPrc": price, "trdvol": issue.last_qty,
                "trdTm": krx.cs_to_hhmmssmm(issue.last_time) if issue.last_time else 0,
                "cmpprevddTpCd": _compare(price, issue.base, issue.upper, issue.lower),
                "cmpprevddPrc": abs(price - issue.base), "opnprc": issue.open, "hgprc": issue.high,
                "lwprc": issue.low, "accTrdvol": issue.acc_volume, "accTrdval": issue.acc_value,
                "lstAskbidTpCd": 2 if issue.last_side > 0 else 1 if issue.last_side < 0 else 0,
                "askordPrc_1": issue.ask_prices[0], "bidordPrc_1": issue.bid_prices[0]}  # fmt: skip

    def _next_future_price(self, issue: Issue) -> int:
        futures = self.market.universe.futures()
        position = futures.index(issue)
        return futures[position + 1].price if position + 1 < len(futures) else issue.price

    def _orderbook(self, issue: Issue) -> dict:
        d = issue.display
        body: dict = {"isuSrtCd": issue.code}
        if not issue.derivative:
            body["accTrdvol"] = issue.acc_volume
        for n in range(issue.levels):
            body[f"askStep{n + 1}BstordPrc"] = d(issue.ask_prices[n])
            body[f"askStep{n + 1}BstordRqty"] = issue.ask_qtys[n]
            if issue.derivative:
                body[f"askStep{n + 1}BstordCnt"] = issue.ask_counts[n]
        for n in range(issue.levels):
            body[f"bidStep{n + 1}BstordPrc"] = d(issue.bid_prices[n])
            body[f"bidStep{n + 1}BstordRqty"] = issue.bid_qtys[n]
            if issue.derivative:
                body[f"bidStep{n + 1}BstordCnt"] = issue.bid_counts[n]
        if issue.derivative:
            body.update(askTotOrdRqty=sum(issue.ask_qtys), bidTotOrdRqty=sum(issue.bid_qtys),
                        askValidOrdCnt=sum(issue.ask_counts), bidValidOrdCnt=sum(issue.bid_counts),
                        ordAcptTm=krx.cs_to_hhmmssmm(issue.quote_time), deemTrdPrc=d(issue.expected))  # fmt: skip
        else:
            body.update(askordTotRqty=sum(issue.ask_qtys), bidordTotRqty=sum(issue.bid_qtys),
                        pstoffhrAskTotOrdRqty=issue.after_hours_ask, pstoffhrBidTotOrdRqty=issue.after_hours_bid,
                        deemTrdPrc=issue.expected, deemTrdvol=issue.expected_volume if issue.expected else 0,
                        deemAccTrdvol=issue.acc_volume + (issue.expected_volume if issue.expected else 0))  # fmt: skip
        return body

    def _close(self, issue: Issue) -> dict:
        d = issue.display
        price = issue.official_close
        return {"isuSrtCd": issue.code, "trdPrc": d(price),
                "cmpprevddTpCd": _compare(price, issue.base, issue.upper, issue.lower),
                "cmpprevddPrc": d(abs(price - issue.base)), "opnprc": d(issue.open), "hgprc": d(issue.high),
                "lwprc": d(issue.low), "accTrdvol": issue.acc_volume, "accTrdval": issue.acc_value}  # fmt: skip

    def stock_lists(self, mkt: str) -> dict:
        """Bare `stocks/{mkt}/lists`."""
        if mkt not in _STOCK_MARKETS:
            raise no_route()
        return {"trdDd": _ymd(self.trading_date), "mktEndTm": "1530",
                "isuLists": [{"isuSrtCd": i.code, "isuCd": i.isin, "isuKorNm": i.name_kr, "isuKorAbbr": i.name_kr,
                              "map_to": i.code} for i in self.market.universe.stocks(mkt)]}  # fmt: skip

    def master(self, mkt: str, code: str) -> dict:
        """The 58-item master record."""
        return self._master_values(self._stock(mkt, code), MASTER_ITEMS)

    def selectivemaster(self, mkt: str, code: str, items: list[str]) -> dict:
        """Only the asked items (all 75 when none is asked); an unknown item is error 10050."""
        issue = self._stock(mkt, code)
        for item in items:
            if item not in _SELECTIVE_SET:
                raise unknown_item(item)
        return self._master_values(issue, tuple(items) or SELECTIVE_ITEMS)

    def _master_values(self, issue: Issue, items: tuple[str, ...]) -> dict:
        rows = daily_rows(self.seed, issue, self.trading_date)
        values = _master_source(self, issue, rows)
        return {item: values[item]() for item in items}

    def closeprice(self, mkt: str, code: str) -> dict:
        """Today's close (after 15:40)."""
        issue = self._stock(mkt, code)
        self._gate(CLOSEPRICE_RELEASE)
        return self._close(issue)

    def price(self, mkt: str, code: str) -> dict:
        """The 14-item price record (= tick10)."""
        return self._price(self._stock(mkt, code))

    def orderbook(self, mkt: str, code: str) -> dict:
        """The 10-level orderbook record (= quote10)."""
        return self._orderbook(self._stock(mkt, code))

    def investors(self, mkt: str, code: str) -> dict:
        """Per-issue investor flows of the day (after 15:30)."""
        issue = self._stock(mkt, code)
        self._gate(STOCK_INVESTORS_RELEASE)
        split = investor_split(self.seed, issue.code, issue.acc_volume, issue.acc_value)
        return {"isuCd": issue.isin, "isuSrtCd": issue.code, "invstLists": _investor_rows(split)}

    def market_investors(self, mkt: str) -> dict:
        """Market-wide investor flows (after 15:40), volume in thousands and value in millions."""
        if mkt not in _MARKET_INDEX:
            raise no_route()
        self._gate(MARKET_INVESTORS_RELEASE)
        return self._index_investors(self._index(_MARKET_INDEX[mkt]), "154000")

    def market_index(self, mkt: str) -> dict:
        """`stocks/{mkt}/index`: K1 or Q1 now."""
        if mkt not in _MARKET_INDEX:
            raise no_route()
        return self._index_summary(self._index(_MARKET_INDEX[mkt]))

    def closenav(self, mkt: str, code: str) -> dict:
        """An ETF's NAV after the close (after 16:00)."""
        issue = self._stock(mkt, code)
        if issue.kind != "etf":
            raise unknown_code()
        self._gate(CLOSENAV_RELEASE)
        nav = round(issue.price * (1 + (hash_fraction(self.seed, issue.code) - 0.5) * 0.002), 2)
        previous = round(issue.base * (1 + (hash_fraction(self.seed + 1, issue.code) - 0.5) * 0.002), 2)
        return {"isuSrtCd": issue.code, "nav": nav, "cmpprevddNav": round(nav - previous, 2)}

    def shortsell(self, mkt: str, code: str, start: datetime.date, end: datetime.date) -> dict:
        """Daily short selling in [start, end], newest first; today's row appears after 18:00."""
        issue = self._stock(mkt, code)
        self._check_range(start, end)
        today = self.trading_date
        if start == end == today:
            self._gate(SHORTSELL_RELEASE)
        rows = [(r.day, r.short_volume, r.short_volume * r.close, r.lending_balance, r.lending_balance * r.close)
                for r in daily_rows(self.seed, issue, today) if start <= r.day <= end]  # fmt: skip
        if end >= today and self.market.now_cs >= SHORTSELL_RELEASE:
            volume = issue.acc_volume * 3 // 100
            lending = int(issue.shares * 0.01)
            rows.append((today, volume, volume * issue.price, lending, lending * issue.price))
        self._check_rows(rows, start, end)
        return {"isuSrtCd": issue.code,
                "hisLists": [{"BzDd": int(_ymd(day)), "srtsellTrdVol": vol, "srtsellTrdAmt": amt, "lendBalQty": lend,
                              "lendBalAmt": lend_amt} for day, vol, amt, lend, lend_amt in reversed(rows)]}  # fmt: skip

    def traderanking(self, mkt: str, code: str) -> dict:
        """Top five buying and selling members so far today."""
        issue = self._stock(mkt, code)
        ranking = member_ranking(self.seed, issue.code, issue.acc_volume, issue.acc_value)
        body: dict = {}
        volume = max(issue.acc_volume, 1)
        for k, (bid_m, bid_vol, bid_val, ask_m, ask_vol, ask_val) in enumerate(ranking, start=1):
            body.update({
                f"bidTrdMbr{k}": bid_m, f"askTrdMbr{k}": ask_m, f"bidTrdVolMbr{k}": bid_vol,
                f"askTrdVolMbr{k}": ask_vol, f"bidTrdAmtMbr{k}": bid_val, f"askTrdAmtMbr{k}": ask_val,
                f"bidTrdPrcMbr{k}": bid_val // bid_vol if bid_vol else 0,
                f"askTrdPrcMbr{k}": ask_val // ask_vol if ask_vol else 0,
                f"bidTrdWtMbr{k}": round(100 * bid_vol / volume, 2),
                f"askTrdWtMbr{k}": round(100 * ask_vol / volume, 2),
            })  # fmt: skip
        return body

    def foreignhistory(self, mkt: str, code: str, start: datetime.date, end: datetime.date, count: int) -> dict:
        """Foreign holdings per business day in [start, end], newest first, at most `count` rows."""
        issue = self._stock(mkt, code)
        self._check_range(start, end)
        rows = daily_rows(self.seed, issue, self.trading_date)
        out = []
        for n, row in enumerate(rows):
            if start <= row.day <= end:
                previous = rows[n - 1].foreign_held if n else row.foreign_held
                out.append({"BzDd": int(_ymd(row.day)), "FornHdVol": row.foreign_held,
                            "cmpprevddFornHdVol": row.foreign_held - previous,
                            "FornHdVolRt": round(100 * row.foreign_held / max(issue.shares, 1), 2)})  # fmt: skip
        self._check_rows(out, start, end)
        out.reverse()
        return {"isuSrtCd": issue.code, "hisLists": out[: _cap(count)]}

    def history(self, kind: str, mkt: str, code: str, cycle: str, start: datetime.date, end: datetime.date,
                count: int) -> dict:  # fmt: skip
        """Daily/weekly/monthly rows in [start, end], newest first, at most `count`; kind 'stocks'|'futures'|
        'options'|'index'."""
        if cycle not in ("D", "W", "M"):
            raise bad_parameter("trnsmCycleTpCd")
        if kind == "index":
            index = self._index(code)
            rows = list(index_daily_rows(self.seed, index, self.trading_date))
            scale, code_out = 100, index.code
        else:
            issue = self._stock(mkt, code) if kind == "stocks" else self._deriv(kind, mkt, code)
            rows = list(daily_rows(self.seed, issue, self.trading_date))
            scale, code_out = issue.scale, issue.code
        self._check_range(start, end)
        periods = aggregate([r for r in rows if r.day <= end], cycle)
        out = []
        for n, row in enumerate(periods):
            if row.day < start:
                continue
            out.append(_history_row(row, periods[n - 1].close if n else row.open, scale, kind == "futures"))
        self._check_rows(out, start, end)
        out.reverse()
        return {"isuSrtCd": code_out, "hisLists": out[: _cap(count)]}

    def intraday(self, kind: str, mkt: str, code: str, cycle: int, day: datetime.date, start: int, end: int,
                 count: int) -> dict:  # fmt: skip
        """Intraday bars of `cycle` seconds in the window [start, end] (HHMMSS), newest first (see
        history.intraday_bars for the bar rule); only the trading date has bars."""
        if cycle not in (10, 60, 600):
            raise bad_parameter("inddCycleTpCd")
        try:
            start_cs, end_cs = krx.hhmmssmm_to_cs(start * 100), krx.hhmmssmm_to_cs(end * 100)
        except ValueError as exc:
            raise bad_parameter("strtTm/endTm") from exc
        if start_cs > end_cs:
            raise _vendor_error(20010, "조회 시작시간이 종료시간보다 큽니다")
        if day > self.market.calendar_date:
            raise _vendor_error(20100, "미래 일자는 조회할 수 없습니다")
        if not krx.calendar().is_business_day(day):
            raise _vendor_error(20110, "휴장일에는 데이터가 없습니다")
        if kind == "index":
            index = self._index(code)
            points: Iterable[tuple[int, float, int, int]] = (
                (cs, value, volume // 1_000, value_krw // 1_000_000) for cs, value, volume, value_krw in index.history
            )
            code_out, name = index.code, index.name_kr
        else:
            issue = self._stock(mkt, code) if kind == "stocks" else self._deriv(kind, mkt, code)
            log, display = issue.trade_log, issue.display
            points = zip(log.time, map(display, log.price), log.acc_volume, log.acc_value, strict=True)
            code_out, name = issue.code, issue.name_kr
        bars = (
            intraday_bars(points, cycle * 100, self.market.now_cs, start_cs, end_cs) if day == self.trading_date else []
        )
        return {"isuSrtCd": code_out, "isuKorNm": name,
                "hisLists": [{"inddTm": str(krx.cs_to_hhmmssmm(b.label)), "inddOpnprc": b.open, "inddHgprc": b.high,
                              "inddLwprc": b.low, "inddClsprc": b.close, "inddTrdvol": b.volume,
                              "inddTrdval": b.value, "inddAccTrdvol": b.acc_volume, "inddAccTrdval": b.acc_value}
                             for b in bars[: _cap(count)]]}  # fmt: skip

    # ------------------------------------------------------------------------------------------------ multiquote
    def multiquote_lists(self, mkt: str) -> dict:
        """Bare snapshot of every issue's price and cumulative volume/value."""
        issues = self._market_stocks(mkt)
        now = krx.cs_to_hhmmssmm(max(self.market.now_cs, 0)) // 100
        return {"trdDd": _ymd(self.trading_date), "trdTm": f"{now:06d}",
                "isuLists": [{"isuSrtCd": i.code, "trdPrc": i.price, "accTrdvol": i.acc_volume,
                              "accTrdval": i.acc_value} for i in issues]}  # fmt: skip

    def multiquote_ohlclists(self, mkt: str) -> dict:
        """Bare snapshot of every issue's open/high/low/last."""
        return {"isuLists": [{"isuSrtCd": i.code, "opnprc": i.open, "hgprc": i.high, "lwprc": i.low,
                              "trdPrc": i.price} for i in self._market_stocks(mkt)]}  # fmt: skip

    def multiquote_price(self, mkt: str, codes: list[str]) -> dict:
        """Price records of up to 20 codes under `isulist`."""
        return {"isulist": [self._price(self._stock(mkt, code)) for code in codes]}

    def multiquote_orderbook(self, mkt: str, codes: list[str]) -> dict:
        """Orderbook records of up to 20 codes under `isulist`."""
        return {"isulist": [self._orderbook(self._stock(mkt, code)) for code in codes]}

    def _market_stocks(self, mkt: str) -> list[Issue]:
        if mkt not in _STOCK_MARKETS:
            raise no_route()
        return self.market.universe.stocks(mkt)

    # ------------------------------------------------------------------------------------------------ derivatives
    def deriv_lists(self, kind: str, mkt: str) -> dict:
        """Bare futures/options list (KOSPI200 products only; other products are empty)."""
        if kind not in ("futures", "options") or mkt not in _DERIV_MARKETS:
            raise no_route()
        universe = self.market.universe
        issues = (universe.futures() if kind == "futures" else universe.options()) if mkt == "kospi200" else []
        return {"trdDd": _ymd(self.trading_date), "mktEndTm": "1545",
                "isuLists": [{"isuSrtCd": i.code, "isuCd": i.isin, "isuKorNm": i.name_kr, "isuKorAbbr": i.name_kr,
                              "map_to": i.code} for i in issues]}  # fmt: skip

    def deriv_master(self, kind: str, mkt: str, code: str) -> dict:
        """A future's or option's master record."""
        issue = self._deriv(kind, mkt, code)
        expiry = issue.expiry or self.trading_date
        rows = daily_rows(self.seed, issue, self.trading_date)
        d = issue.display
        body = {"isuSrtCd": issue.code, "isuCd": issue.isin, "isuKorNm": issue.name_kr,
                "isuKorAbbrv": issue.name_kr, "BzDd": _ymd(self.trading_date), "listDd": _ymd(issue.list_date),
                "lsttrdDd": _ymd(expiry), "expDd": _ymd(expiry), "remainDys": (expiry - self.trading_date).days,
                "ulyId": "K2I", "setlmult": MULTIPLIER, "basPrc": d(issue.base),
                "prevddClsprc": d(rows[-1].close if rows else issue.base),
                "prevddOpnintQty": rows[-1].open_interest if rows else 0,
                "prcLmtStep1Uplmtprc": d(issue.upper), "prcLmtStep1Lwlmtprc": d(issue.lower)}  # fmt: skip
        if issue.kind != "future":
            body["exerPrc"] = d(issue.strike)
            body["impVolt"] = 18.0
        return body

    def deriv_closeprice(self, kind: str, mkt: str, code: str) -> dict:
        """A derivative's close (after 15:50)."""
        issue = self._deriv(kind, mkt, code)
        self._gate(DERIV_CLOSEPRICE_RELEASE)
        return self._close(issue)

    def deriv_price(self, kind: str, mkt: str, code: str) -> dict:
        """A derivative's price record (= its tick10)."""
        return self._price(self._deriv(kind, mkt, code))

    def deriv_orderbook(self, kind: str, mkt: str, code: str) -> dict:
        """A derivative's 5-level orderbook with order counts (= its quote10)."""
        return self._orderbook(self._deriv(kind, mkt, code))

    # ------------------------------------------------------------------------------------------------ indices
    def _index_value(self, index: IndexState) -> dict:
        diff = round(index.value - index.base, 2)
        return {"isuSrtCd": index.code,
                "trdTm": krx.cs_to_hhmmssmm(index.history[-1][0]) if index.history else 0,
                "trdPrc": index.value, "cmpprevddTpCd": "2" if diff > 0 else "5" if diff < 0 else "3",
                "cmpprevddPrc": abs(diff), "accTrdvol": index.acc_volume // 1_000,
                "accTrdval": index.acc_value // 1_000_000}  # fmt: skip

    def _index_summary(self, index: IndexState) -> dict:
        diff = round(index.value - index.base, 2)
        return {"isuSrtCd": index.code, "isuCnt": len(index.constituents), "trdPrc": index.value,
                "cmpprevddTpCd": "2" if diff > 0 else "5" if diff < 0 else "3", "cmpprevddPrc": abs(diff),
                "opnprc": index.open, "hgprc": index.high, "lwprc": index.low,
                "accTrdvol": index.acc_volume // 1_000, "accTrdval": index.acc_value // 1_000_000,
                "mktcap": index.cap // 1_000_000,
                "listShrs": sum(i.shares for i in index.constituents) // 1_000}  # fmt: skip

    def _index_investors(self, index: IndexState, time: str) -> dict:
        split = investor_split(self.seed, index.code, index.acc_volume // 1_000, index.acc_value // 1_000_000)
        return {"Tm": time, "isuSrtCd": index.code, "invstLists": _investor_rows(split)}

    def closeindex(self, mkt: str, code: str) -> dict:
        """An index's close (after 15:40)."""
        index = self._index(code)
        self._gate(CLOSEINDEX_RELEASE)
        return self._index_summary(index)

    def index_index(self, mkt: str, code: str) -> dict:
        """An index's current value."""
        return self._index_value(self._index(code))

    def prospectindex(self, mkt: str, code: str) -> dict:
        """The expected index from the constituents' expected prices (current prices outside call auctions)."""
        index = self._index(code)
        cap = sum((i.expected or i.price) * i.shares for i in index.constituents)
        value = round(cap / index.divisor, 2)
        diff = round(value - index.base, 2)
        volume = sum(i.acc_volume + (i.expected_volume if i.expected else 0) for i in index.constituents)
        value_krw = sum(i.acc_value + (i.expected_volume * i.expected) for i in index.constituents)
        return {"isuSrtCd": index.code, "deemTm": krx.cs_to_hhmmssmm(max(self.market.now_cs, 0)),
                "deemTrdPrc": value, "deemAccTrdvol": volume // 1_000, "deemcmpprevddPrc": abs(diff),
                "deemcmpprevddTpCd": "2" if diff > 0 else "5" if diff < 0 else "3",
                "deemAccTrdval": value_krw // 1_000_000}  # fmt: skip

    def marketcap(self, mkt: str, code: str) -> dict:
        """An index's constituent count, listed shares (thousands) and market cap (millions of KRW)."""
        index = self._index(code)
        return {"isuSrtCd": index.code, "isuCnt": len(index.constituents),
                "listShrs": sum(i.shares for i in index.constituents) // 1_000,
                "mktcap": index.cap // 1_000_000}  # fmt: skip

    def index_investors(self, mkt: str, code: str) -> dict:
        """An index's investor flows so far (volume in thousands, value in millions)."""
        index = self._index(code)
        return self._index_investors(index, f"{krx.cs_to_hhmmssmm(max(self.market.now_cs, 0)) // 100:06d}")

    # ------------------------------------------------------------------------------------------------ checks
    def _check_range(self, start: datetime.date, end: datetime.date) -> None:
        if start > end:
            raise _vendor_error(20010, "조회 시작일이 종료일보다 큽니다")
        if end > self.market.calendar_date:
            raise _vendor_error(20100, "미래 일자는 조회할 수 없습니다")

    @staticmethod
    def _check_rows(rows: list, start: datetime.date, end: datetime.date) -> None:
        if not rows and not krx.calendar().between(start, end):
            raise _vendor_error(20110, "휴장일에는 데이터가 없습니다")


def _cap(count: int) -> int:
    return max(0, min(count, ROW_CAP))


def hash_fraction(seed: int, code: str) -> float:
    """A deterministic number in [0, 1) per (seed, code)."""
    return zlib.crc32(f"{seed}:{code}".encode()) / 2**32


def _investor_rows(split: dict[str, tuple[int, int, int, int]]) -> list[dict]:
    return [{"invstCd": code, "askTrdvol": split[code][0], "askTrdval": split[code][1], "bidTrdvol": split[code][2],
             "bidTrdval": split[code][3]} for code in INVESTOR_CODES]  # fmt: skip


def _history_row(row: DayRow, previous: int, scale: int, futures: bool) -> dict:
    def d(units: int) -> float | int:
        return units if scale == 1 else round(units / scale, 2)

    diff = row.close - previous
    body = {"BzDd": int(_ymd(row.day)), "trdPrc": d(row.close),
            "cmpprevddTpCd": "2" if diff > 0 else "5" if diff < 0 else "3", "cmpprevddPrc": d(abs(diff)),
            "opnprc": d(row.open), "hgprc": d(row.high), "lwprc": d(row.low), "accTrdvol": row.volume,
            "accTrdval": row.value}  # fmt: skip
    if futures:
        body["opnintQty"] = row.open_interest
    return body


_SELECTIVE_SET = frozenset(SELECTIVE_ITEMS)


@functools.cache
def _item_names(kind: str) -> frozenset[str]:
    levels = 5 if kind in ("future", "call", "put") else 10
    if kind in ("future", "call", "put"):
        names = {"isuSrtCd", "trdPrc", "trdvol", "trdTm", "opnprc", "hgprc", "lwprc", "accTrdvol", "accTrdval",
                 "lstTrdTpCd", "negoBlkAccTrdvol", "realtmUplmtprc", "realtmLwlmtprc", "askTotOrdRqty",
                 "bidTotOrdRqty", "askValidOrdCnt", "bidValidOrdCnt", "ordAcptTm", "deemTrdPrc"}  # fmt: skip
        names |= {"nearmmLegPrc", "farmmLegPrc"} if kind == "future" else {"isuCd"}
        for side in ("ask", "bid"):
            for n in range(1, levels + 1):
                names |= {f"{side}Step{n}BstordPrc", f"{side}Step{n}BstordRqty", f"{side}Step{n}BstordCnt"}
        return frozenset(names)
    names = {"isuSrtCd", "trdPrc", "trdvol", "trdTm", "cmpprevddTpCd", "cmpprevddPrc", "opnprc", "hgprc", "lwprc",
             "accTrdvol", "accTrdval", "lstAskbidTpCd", "askordPrc_1", "bidordPrc_1", "askordTotRqty",
             "bidordTotRqty", "pstoffhrAskTotOrdRqty", "pstoffhrBidTotOrdRqty", "deemTrdPrc", "deemTrdvol",
             "deemAccTrdvol"}  # fmt: skip
    for side in ("ask", "bid"):
        for n in range(1, levels + 1):
            names |= {f"{side}Step{n}BstordPrc", f"{side}Step{n}BstordRqty"}
    return frozenset(names)


def _average(rows: tuple[DayRow, ...], days: int, field: str) -> int:
    window = rows[-days:]
    return sum(getattr(r, field) for r in window) // len(window) if window else 0


def _master_source(records: Records, issue: Issue, rows: tuple[DayRow, ...]) -> dict[str, Callable[[], object]]:
    """Lazy value of every selectivemaster item for one issue."""
    market = records.market
    universe = market.universe
    member = {index.code for index in universe.indices() if issue.uid in {i.uid for i in index.constituents}}
    prev = rows[-1] if rows else None
    before = rows[-2] if len(rows) > 1 else prev
    year = rows[-250:]
    eps = max(1, issue.base // (5 + int(hash_fraction(records.seed, issue.code) * 25)))
    bps = issue.base * 10 // (5 + int(hash_fraction(records.seed + 2, issue.code) * 20))
    dps = eps // 4
    yes = {True: "Y", False: "N"}
    high52 = max(year, key=lambda r: r.high) if year else None
    low52 = min(year, key=lambda r: r.low) if year else None
    kind = issue.kind
    return {
        "isuSrtCd": lambda: issue.code,
        "isuCd": lambda: issue.isin,
        "isuKorAbbrv": lambda: issue.name_kr,
        "trdDd": lambda: _ymd(records.trading_date),
        "secugrpId": lambda: "EF" if kind == "etf" else "ST",
        "mktWarnTpCd": lambda: "00",
        "haltYn": lambda: "N",
        "basPrc": lambda: issue.base,
        "prevddClsprc": lambda: prev.close if prev else issue.base,
        "prevddAccTrdvol": lambda: prev.volume if prev else 0,
        "prevddAccTrdval": lambda: prev.value if prev else 0,
        "uplmtprc": lambda: issue.upper,
        "lwlmtprc": lambda: issue.lower,
        "parval": lambda: issue.par,
        "listDd": lambda: _ymd(issue.list_date),
        "listShrs": lambda: issue.shares,
        "regulssQtyUnit": lambda: 1,
        "eps": lambda: eps,
        "bps": lambda: bps,
        "per": lambda: round(issue.base / eps, 2),
        "pbr": lambda: round(issue.base / max(bps, 1), 2),
        "dps": lambda: dps,
        "divYd": lambda: round(100 * dps / issue.base, 2),
        "kospiYn": lambda: yes["K1" in member],
        "kospi100Yn": lambda: yes["K61" in member],
        "kospi50Yn": lambda: yes["K62" in member],
        "krx100IsuYn": lambda: yes["S50" in member],
        "isuKorNm": lambda: issue.name_kr,
        "isuEngNm": lambda: issue.name_en,
        "isuEngAbbrv": lambda: issue.name_en,
        "mktTpCd": lambda: "1" if issue.market == "kospi" else "2",
        "kospi200IsuYn": lambda: yes["K51" in member],
        "kosdaq150IsuYn": lambda: yes["Q203" in member],
        "prfstkYn": lambda: yes[kind == "preferred"],
        "etfYn": lambda: yes[kind == "etf"],
        "idxIndCd": lambda: f"{13 + int(hash_fraction(records.seed + 3, issue.code) * 20):03d}",
        "mfgYn": lambda: yes[hash_fraction(records.seed + 4, issue.code) < 0.6],
        "mktcapScaleCd": lambda: "1" if "K61" in member else "2" if "K1" in member and "K51" in member else "3",
        "lstCapitalAmt": lambda: issue.shares * issue.par,
        "stlmMm": lambda: "12",
        "adminIsuYn": lambda: "N",
        "invstCautnYn": lambda: "N",
        "invstWarnYn": lambda: "N",
        "invstRiskYn": lambda: "N",
        "srtsellPsblYn": lambda: yes["K51" in member or "Q203" in member],
        "crdtTrdPsblYn": lambda: "Y",
        "fornLmtRt": lambda: 100.0,
        "fornLmtQty": lambda: issue.shares,
        "prevddOpnprc": lambda: prev.open if prev else 0,
        "prevddHgprc": lambda: prev.high if prev else 0,
        "prevddLwprc": lambda: prev.low if prev else 0,
        "prevddCmpprevddTpCd": lambda: (
            "3" if not prev or not before or prev.close == before.close else "2" if prev.close > before.close else "5"
        ),
        "prevddCmpprevddPrc": lambda: abs(prev.close - before.close) if prev and before else 0,
        "prevddMktcap": lambda: issue.base * issue.shares,
        "basPrcTpCd": lambda: "1",
        "trdUnitQty": lambda: 1,
        "substPrc": lambda: issue.base * 7 // 10,
        "vlyIsuYn": lambda: "N",
        "wk52HgstPrc": lambda: high52.high if high52 else issue.base,
        "wk52LwstPrc": lambda: low52.low if low52 else issue.base,
        "wk52HgstPrcDd": lambda: _ymd(high52.day) if high52 else "",
        "wk52LwstPrcDd": lambda: _ymd(low52.day) if low52 else "",
        "dd5AvgPrc": lambda: _average(rows, 5, "close"),
        "dd20AvgPrc": lambda: _average(rows, 20, "close"),
        "dd60AvgPrc": lambda: _average(rows, 60, "close"),
        "dd120AvgPrc": lambda: _average(rows, 120, "close"),
        "dd5AvgTrdVol": lambda: _average(rows, 5, "volume"),
        "dd20AvgTrdVol": lambda: _average(rows, 20, "volume"),
        "dd60AvgTrdVol": lambda: _average(rows, 60, "volume"),
        "dd120AvgTrdVol": lambda: _average(rows, 120, "volume"),
        "srtsellTrdVol": lambda: prev.short_volume if prev else 0,
        "lendBalQty": lambda: prev.lending_balance if prev else 0,
        "liquShrs": lambda: issue.shares * 7 // 10,
        "fornHdQty": lambda: prev.foreign_held if prev else 0,
        "fornExhRt": lambda: round(100 * (prev.foreign_held if prev else 0) / max(issue.shares, 1), 2),
    }
