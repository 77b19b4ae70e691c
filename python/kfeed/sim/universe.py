"""The simulator's instruments: about 950 KOSPI and 1,750 KOSDAQ issues, KOSPI200 futures and options, and indices.

Everything is deterministic from (seed, trading date). The best-known issues keep their real codes, names and
approximate sizes so that the vendor's own examples run verbatim; the rest get generated codes and names.
Prices are integers in *units*: KRW for stocks and ETFs, hundredths of a point for derivatives (`Issue.scale`).
"""

from __future__ import annotations

import datetime
import math
import random
from array import array
from collections.abc import Callable

from kfeed.sim import krx, names

__all__ = ["MULTIPLIER", "IndexState", "Issue", "Universe"]

MULTIPLIER = 250_000
"""KOSPI200 futures and options multiplier, KRW per point."""

KOSPI_TARGET = 950
KOSDAQ_TARGET = 1_750
KOSPI_ETFS = 150
KOSPI_PREFERRED = 70
KOSDAQ_PREFERRED = 6
NEW_STYLE_CODES = 12
ZIPF_EXPONENT = 1.0
TYPICAL_DAY_TRADES = 8_000_000
"""Stock trades in a whole day at rate 1 (history volumes are sized from it)."""
TYPICAL_TRADE_NOTIONAL = 3_000_000
"""Mean stock trade size, KRW."""


class Issue:
    """One instrument and its live state for the trading day (prices in integer units, see module docstring)."""

    __slots__ = (
        "acc_value",
        "acc_volume",
        "after_hours_ask",
        "after_hours_bid",
        "ask_counts",
        "ask_prices",
        "ask_qtys",
        "base",
        "bid_counts",
        "bid_prices",
        "bid_qtys",
        "close",
        "code",
        "depth",
        "expected",
        "expected_volume",
        "expiry",
        "high",
        "index_ids",
        "isin",
        "kind",
        "last",
        "last_qty",
        "last_side",
        "last_time",
        "levels",
        "list_date",
        "low",
        "lower",
        "market",
        "name_en",
        "name_kr",
        "open",
        "par",
        "quote_time",
        "reference",
        "scale",
        "shares",
        "strike",
        "tick",
        "trade_log",
        "typical_volume",
        "uid",
        "upper",
        "value_mult",
    )

    def __init__(
        self,
        uid: int,
        code: str,
        isin: str,
        market: str,
        kind: str,
        name_kr: str,
        name_en: str,
        base: int,
        shares: int,
    ) -> None:
        self.uid = uid
        self.code = code
        self.isin = isin
        self.market = market
        self.kind = kind
        self.name_kr = name_kr
        self.name_en = name_en
        derivative = kind in ("future", "call", "put")
        self.levels = 5 if derivative else 10
        self.scale = 100 if derivative else 1
        self.value_mult = MULTIPLIER // 100 if derivative else 1
        self.tick: Callable[[int], int] = _tick_rule(kind)
        self.base = base
        if kind in ("call", "put"):
            self.upper, self.lower = base, 1
        else:
            self.upper, self.lower = krx.price_limits(base, self.tick, 8 if derivative else 30)
        self.shares = shares
        self.par = 100 if kind == "etf" or derivative else 500
        self.list_date = datetime.date(2000, 1, 4)
        self.expiry: datetime.date | None = None
        self.strike = 0
        self.index_ids: list[int] = []
        self.depth = 1
        self.typical_volume = 0
        self.reference = float(base)
        self.reset()

    def reset(self) -> None:
        """Start-of-day state: no trades, the book built around the base price."""
        self.last = 0
        self.close = 0
        self.open = 0
        self.high = 0
        self.low = 0
        self.acc_volume = 0
        self.acc_value = 0
        self.last_qty = 0
        self.last_side = 0
        self.last_time = 0
        self.quote_time = 0
        self.expected = 0
        self.expected_volume = 0
        self.after_hours_ask = 0
        self.after_hours_bid = 0
        n = self.levels
        self.ask_prices = [0] * n
        self.ask_qtys = [0] * n
        self.bid_prices = [0] * n
        self.bid_qtys = [0] * n
        self.ask_counts = [0] * n
        self.bid_counts = [0] * n
        self.trade_log = TradeLog()

    @property
    def derivative(self) -> bool:
        """Whether this is a future or an option."""
        return self.scale != 1

    @property
    def official_close(self) -> int:
        """The regular-session close (set at the 15:30 uncross), else the current price."""
        return self.close or self.last or self.base

    @property
    def price(self) -> int:
        """Current price in units: the last trade, else the base (previous close)."""
        return self.last or self.base

    def display(self, units: int) -> float | int:
        """A price in wire form: int KRW for stocks, 2-dp points for derivatives."""
        return units if self.scale == 1 else round(units / 100, 2)

    def __repr__(self) -> str:
        return f"Issue({self.code} {self.name_en!r} {self.market}/{self.kind})"


class TradeLog:
    """The day's trades of one issue in compact parallel arrays (time cs, price units, qty, side)."""

    __slots__ = ("acc_value", "acc_volume", "price", "qty", "side", "time")

    def __init__(self) -> None:
        self.time = array("i")
        self.price = array("q")
        self.qty = array("q")
        self.side = array("b")
        self.acc_volume = array("q")
        self.acc_value = array("q")

    def append(self, cs: int, price: int, qty: int, side: int, acc_volume: int, acc_value: int) -> None:
        """Record one trade."""
        self.time.append(cs)
        self.price.append(price)
        self.qty.append(qty)
        self.side.append(side)
        self.acc_volume.append(acc_volume)
        self.acc_value.append(acc_value)

    def __len__(self) -> int:
        return len(self.time)


class IndexState:
    """An index computed from its constituents' prices: value = Σ price·shares / divisor (2 dp)."""

    __slots__ = (
        "acc_value",
        "acc_volume",
        "base",
        "cap",
        "code",
        "constituents",
        "divisor",
        "high",
        "history",
        "low",
        "market",
        "name_en",
        "name_kr",
        "open",
        "uid",
        "value",
    )

    def __init__(
        self, uid: int, code: str, market: str, name_kr: str, name_en: str, constituents: list[Issue], base_value: float
    ) -> None:
        self.uid = uid
        self.code = code
        self.market = market
        self.name_kr = name_kr
        self.name_en = name_en
        self.constituents = constituents
        cap = sum(issue.base * issue.shares for issue in constituents)
        self.divisor = cap / base_value
        self.base = round(cap / self.divisor, 2)
        self.cap = cap
        self.reset()

    def reset(self) -> None:
        """Start-of-day state: the previous close, no volume, no published values."""
        self.cap = sum(issue.base * issue.shares for issue in self.constituents)
        self.value = self.base
        self.open = 0.0
        self.high = 0.0
        self.low = 0.0
        self.acc_volume = 0
        self.acc_value = 0
        self.history: list[tuple[int, float, int, int]] = []  # (cs, value, acc volume, acc value) as published

    def current(self) -> float:
        """The value implied by the constituents' current prices (2 dp)."""
        return round(self.cap / self.divisor, 2)

    def __repr__(self) -> str:
        return f"IndexState({self.code} {self.name_en!r})"


def _tick_rule(kind: str) -> Callable[[int], int]:
    if kind == "etf":
        return krx.etf_tick
    if kind == "future":
        return krx.future_tick
    if kind in ("call", "put"):
        return krx.option_tick
    return krx.stock_tick


# (code, market, Korean name, English name, previous close)
_INDICES = (
    ("K1", "kospi", "코스피", "KOSPI", 2_600.00),
    ("K51", "kospi", "코스피 200", "KOSPI 200", 350.00),
    ("K61", "kospi", "코스피 100", "KOSPI 100", 2_450.00),
    ("K62", "kospi", "코스피 50", "KOSPI 50", 2_300.00),
    ("Q1", "kosdaq", "코스닥", "KOSDAQ", 850.00),
    ("Q203", "kosdaq", "코스닥 150", "KOSDAQ 150", 1_400.00),
    ("S50", "krx", "KRX 100", "KRX 100", 5_400.00),
)


class Universe:
    """Every instrument of the simulated day, in a fixed order (uid = position)."""

    def __init__(self, seed: int, trading_date: datetime.date) -> None:
        self.seed = seed
        self.trading_date = trading_date
        rng = random.Random(f"universe:{seed}")
        self._issues: list[Issue] = []
        self._by_code: dict[str, Issue] = {}
        self._build_stocks(rng)
        self._indices: list[IndexState] = []
        self._index_by_code: dict[str, IndexState] = {}
        self._build_indices()
        self._build_derivatives()
        self.popularity = self._popularity(rng)
        stock_weight = sum(self.popularity[i.uid] for i in self._issues if not i.derivative)
        for issue in self._issues:
            share = self.popularity[issue.uid] / stock_weight
            notional = TYPICAL_DAY_TRADES * share * TYPICAL_TRADE_NOTIONAL
            issue.typical_volume = max(100, int(notional / issue.base)) if not issue.derivative else 0

    # ----------------------------------------------------------------------------------------------- queries
    def stocks(self, market: str | None = None) -> list[Issue]:
        """Stocks, preferred shares and ETFs, of one market ('kospi'|'kosdaq') or both."""
        return [i for i in self._issues if i.market == market or (market is None and not i.derivative)]

    def futures(self) -> list[Issue]:
        """KOSPI200 futures, nearest expiry first."""
        return [i for i in self._issues if i.kind == "future"]

    def options(self) -> list[Issue]:
        """KOSPI200 options (calls and puts), by expiry then strike."""
        return [i for i in self._issues if i.kind in ("call", "put")]

    def indices(self) -> list[IndexState]:
        """The computed indices (K1, K51, K61, K62, Q1, Q203, S50)."""
        return list(self._indices)

    def all(self) -> list[Issue]:
        """Every instrument, uid order."""
        return self._issues

    def get(self, code: str) -> Issue | None:
        """Any instrument by short code."""
        return self._by_code.get(code)

    def index(self, code: str) -> IndexState | None:
        """An index by code."""
        return self._index_by_code.get(code)

    @property
    def kospi200(self) -> IndexState:
        """K51, the index the derivatives follow."""
        return self._index_by_code["K51"]

    # ----------------------------------------------------------------------------------------------- building
    def _add(
        self,
        code: str,
        market: str,
        kind: str,
        name_kr: str,
        name_en: str,
        base: int,
        shares: int,
        isin: str | None = None,
    ) -> Issue:
        issue = Issue(
            len(self._issues),
            code,
            isin or krx.stock_isin(code, kind == "preferred"),
            market,
            kind,
            name_kr,
            name_en,
            base,
            shares,
        )
        self._issues.append(issue)
        self._by_code[code] = issue
        return issue

    def _build_stocks(self, rng: random.Random) -> None:
        used = {row[0] for row in names.FAMOUS}
        for code, name_kr, name_en, market, kind, base, shares in names.FAMOUS:
            issue = self._add(
                code, market, kind, name_kr, name_en, krx.round_down_to_tick(base, _tick_rule(kind)), shares
            )
            issue.list_date = datetime.date(1975 + rng.randrange(45), 1 + rng.randrange(12), 1 + rng.randrange(28))
        combos = [(p, s) for p in names.PREFIXES for s in names.SUFFIXES]
        rng.shuffle(combos)
        famous_counts = {m: sum(1 for r in names.FAMOUS if r[3] == m) for m in ("kospi", "kosdaq")}
        famous_etfs = sum(1 for r in names.FAMOUS if r[4] == "etf")
        famous_pref = sum(1 for r in names.FAMOUS if r[4] == "preferred")
        plan = (
            (
                "kospi",
                KOSPI_TARGET - famous_counts["kospi"] - (KOSPI_ETFS - famous_etfs) - (KOSPI_PREFERRED - famous_pref),
                KOSPI_PREFERRED - famous_pref,
                9.6,
            ),
            ("kosdaq", KOSDAQ_TARGET - famous_counts["kosdaq"] - KOSDAQ_PREFERRED, KOSDAQ_PREFERRED, 9.0),
        )
        new_style = NEW_STYLE_CODES
        for market, commons, preferred, cap_log10 in plan:
            created: list[Issue] = []
            for _ in range(commons):
                (pk, pe), (sk, se) = combos.pop()
                while True:
                    if new_style and market == "kosdaq" and rng.random() < 0.02:
                        code = f"{rng.randrange(1, 600):04d}{chr(65 + rng.randrange(11))}0"
                    else:
                        code = f"{rng.randrange(1, 50_000) * 10:06d}"
                    if code not in used and code[:5] + "5" not in used:
                        break
                if not code.isdigit():
                    new_style -= 1
                used.add(code)
                name_kr, name_en = pk + sk, f"{pe} {se}"
                price = int(math.exp(rng.gauss(math.log(9_000), 1.05)))
                price = krx.round_down_to_tick(min(max(price, 300), 900_000), krx.stock_tick)
                cap = 10 ** rng.gauss(cap_log10 + 1.6, 0.55) * 1_000
                shares = max(500_000, int(cap / price))
                issue = self._add(code, market, "stock", name_kr, name_en, price, shares)
                issue.list_date = _list_date(rng)
                created.append(issue)
            for parent in rng.sample(created, preferred):
                code = parent.code[:5] + "5"
                used.add(code)
                base = krx.round_down_to_tick(int(parent.base * rng.uniform(0.55, 0.9)), krx.stock_tick)
                issue = self._add(
                    code,
                    market,
                    "preferred",
                    parent.name_kr + "우",
                    parent.name_en + " Pref",
                    max(base, 100),
                    max(100_000, parent.shares // rng.randrange(5, 30)),
                )
                issue.list_date = parent.list_date
        themes = [(b, t) for b in names.ETF_BRANDS for t in names.ETF_THEMES]
        rng.shuffle(themes)
        for _ in range(KOSPI_ETFS - famous_etfs):
            brand, (tk, te) = themes.pop()
            while True:
                code = f"{rng.randrange(10_000, 50_000) * 10:06d}"
                if code not in used:
                    break
            used.add(code)
            base = krx.round_down_to_tick(int(math.exp(rng.gauss(math.log(12_000), 0.8))), krx.etf_tick)
            issue = self._add(
                code,
                "kospi",
                "etf",
                f"{brand} {tk}",
                f"{brand} {te}",
                max(base, 1_000),
                rng.randrange(1, 200) * 1_000_000,
            )
            issue.list_date = datetime.date(2008 + rng.randrange(18), 1 + rng.randrange(12), 1 + rng.randrange(28))

    def _build_indices(self) -> None:
        stocks = [i for i in self._issues if i.kind == "stock"]
        kospi = sorted((i for i in stocks if i.market == "kospi"), key=lambda i: -i.base * i.shares)
        kosdaq = sorted((i for i in stocks if i.market == "kosdaq"), key=lambda i: -i.base * i.shares)
        both = sorted(stocks, key=lambda i: -i.base * i.shares)
        members = {
            "K1": kospi,
            "K51": kospi[:200],
            "K61": kospi[:100],
            "K62": kospi[:50],
            "Q1": kosdaq,
            "Q203": kosdaq[:150],
            "S50": both[:100],
        }
        for code, market, name_kr, name_en, level in _INDICES:
            index = IndexState(len(self._indices), code, market, name_kr, name_en, members[code], level)
            for issue in members[code]:
                issue.index_ids.append(index.uid)
            self._indices.append(index)
            self._index_by_code[code] = index

    def _build_derivatives(self) -> None:
        cal = krx.calendar()
        k200 = self._index_by_code["K51"].base
        quarter_expiries = [d for d in _expiries(self.trading_date, cal, 12) if d.month % 3 == 0][:4]
        for n, expiry in enumerate(quarter_expiries):
            code = "101" + krx.derivative_year_letter(expiry.year) + krx.derivative_month_letter(expiry.month) + "000"
            basis = 0.4 + 0.9 * n
            base = krx.round_down_to_tick(round((k200 + basis) * 100), krx.future_tick)
            issue = self._add(
                code,
                "futures",
                "future",
                f"코스피200 F {expiry:%Y%m}",
                f"KOSPI200 F {expiry:%Y%m}",
                base,
                0,
                krx.derivative_isin(code),
            )
            issue.expiry = expiry
            issue.list_date = expiry - datetime.timedelta(days=364 * 3)
        atm = round(k200 / 2.5) * 2.5
        for expiry in _expiries(self.trading_date, cal, 2):
            years = max((expiry - self.trading_date).days, 1) / 365
            for kind, digit in (("call", "2"), ("put", "3")):
                for step in range(-10, 11):
                    strike = atm + 2.5 * step
                    code = (
                        digit
                        + "01"
                        + krx.derivative_year_letter(expiry.year)
                        + krx.derivative_month_letter(expiry.month)
                        + f"{int(strike):03d}"
                    )
                    value = option_value(kind, k200, strike, years)
                    base = krx.round_down_to_tick(max(1, round(value * 100)), krx.option_tick)
                    upper = krx.round_down_to_tick(base + round(k200 * 15), krx.option_tick)
                    label = "C" if kind == "call" else "P"
                    issue = self._add(
                        code,
                        "options",
                        kind,
                        f"코스피200 {label} {expiry:%Y%m} {strike:g}",
                        f"KOSPI200 {label} {expiry:%Y%m} {strike:g}",
                        base,
                        0,
                        krx.derivative_isin(code),
                    )
                    issue.upper = upper
                    issue.expiry = expiry
                    issue.strike = round(strike * 100)
                    issue.list_date = expiry - datetime.timedelta(days=63)

    def _popularity(self, rng: random.Random) -> list[float]:
        """Zipf weights by a seeded activity rank (famous names first), per instrument uid."""
        famous_rank = {row[0]: n for n, row in enumerate(names.FAMOUS)}
        scores = []
        for issue in self._issues:
            if issue.code in famous_rank:
                score = 1e30 / (1 + famous_rank[issue.code])
            else:
                score = (issue.base * max(issue.shares, 1)) ** 0.35 * math.exp(rng.gauss(0, 1.0))
            scores.append(score)
        order = sorted(range(len(self._issues)), key=lambda uid: -scores[uid])
        weights = [0.0] * len(self._issues)
        for rank, uid in enumerate(order):
            weights[uid] = 1.0 / (rank + 1) ** ZIPF_EXPONENT
        return weights


def option_value(kind: str, underlying: float, strike: float, years: float, vol: float = 0.18) -> float:
    """Bachelier (normal-model) option value in points; good enough to keep premia and parity plausible."""
    sigma = underlying * vol * math.sqrt(years)
    d = (underlying - strike) / sigma
    cdf = 0.5 * (1 + math.erf(d / math.sqrt(2)))
    pdf = math.exp(-0.5 * d * d) / math.sqrt(2 * math.pi)
    call = (underlying - strike) * cdf + sigma * pdf
    return call if kind == "call" else call - (underlying - strike)


def _expiries(after: datetime.date, cal: krx.BusinessCalendar, count: int) -> list[datetime.date]:
    """The next `count` monthly expiries (second Thursday, or the business day before) on or after `after`."""
    found: list[datetime.date] = []
    year, month = after.year, after.month
    while len(found) < count:
        first = datetime.date(year, month, 1)
        second_thursday = first + datetime.timedelta(days=(3 - first.weekday()) % 7 + 7)
        expiry = cal.on_or_before(second_thursday)
        if expiry >= after:
            found.append(expiry)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


def _list_date(rng: random.Random) -> datetime.date:
    return datetime.date(1976 + rng.randrange(49), 1 + rng.randrange(12), 1 + rng.randrange(28))
