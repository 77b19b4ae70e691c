"""The simulator's universe: size, codes, ISINs, famous issues, derivatives and index membership."""

import datetime
import itertools
import re
import time

import pytest
from kfeed.sim import krx
from kfeed.sim.market import Market
from kfeed.sim.universe import Universe

DAY = datetime.date(2026, 11, 26)


@pytest.fixture(scope="module")
def universe():
    return Universe(7, DAY)


def test_size_is_about_950_kospi_and_1750_kosdaq(universe):
    assert len(universe.stocks("kospi")) == 950
    assert len(universe.stocks("kosdaq")) == 1_750
    kinds = {i.kind for i in universe.stocks()}
    assert kinds == {"stock", "preferred", "etf"}
    assert sum(i.kind == "etf" for i in universe.stocks("kospi")) >= 100
    assert sum(i.kind == "preferred" for i in universe.stocks()) >= 50


@pytest.mark.parametrize(
    ("code", "name_kr", "name_en", "market"),
    [("005930", "삼성전자", "Samsung Electronics", "kospi"), ("000660", "SK하이닉스", "SK hynix", "kospi"),
     ("005380", "현대차", "Hyundai Motor", "kospi"), ("035420", "NAVER", "NAVER", "kospi"),
     ("035720", "카카오", "Kakao", "kospi"), ("051910", "LG화학", "LG Chem", "kospi"),
     ("005935", "삼성전자우", "Samsung Electronics Pref", "kospi"), ("068270", "셀트리온", "Celltrion", "kospi"),
     ("207940", "삼성바이오로직스", "Samsung Biologics", "kospi"),
     ("373220", "LG에너지솔루션", "LG Energy Solution", "kospi"),
     ("247540", "에코프로비엠", "EcoPro BM", "kosdaq"), ("086520", "에코프로", "EcoPro", "kosdaq"),
     ("069500", "KODEX 200", "KODEX 200", "kospi")],
)  # fmt: skip
def test_famous_issues_keep_their_real_codes(universe, code, name_kr, name_en, market):
    issue = universe.get(code)
    assert (issue.name_kr, issue.name_en, issue.market) == (name_kr, name_en, market)


def test_every_code_and_isin_is_valid(universe):
    codes = [i.code for i in universe.all()]
    assert len(codes) == len(set(codes))
    for issue in universe.stocks():
        assert re.fullmatch(r"[0-9A-Z]{6}", issue.code), issue
        assert re.fullmatch(r"KR7[0-9A-Z]{9}", issue.isin), issue
        assert krx.isin_check_digit(issue.isin[:11]) == int(issue.isin[11])
        if issue.kind != "preferred":
            assert issue.isin[3:9] == issue.code
    assert universe.get("005935").isin == "KR7005931001"
    assert any(not i.code.isdigit() for i in universe.stocks()), "new-style alphanumeric codes exist"
    assert all(i.name_kr and i.name_en for i in universe.all())


def test_etfs_trade_on_five_won_ticks(universe):
    etf = universe.get("069500")
    assert etf.tick(35_000) == 5 and etf.tick(1_000) == 5


def test_derivative_codes_follow_the_krx_scheme(universe):
    futures, options = universe.futures(), universe.options()
    assert len(futures) == 4 and len(options) >= 40
    year = krx.derivative_year_letter(DAY.year)
    assert futures[0].code == f"101{year}C000"  # December 2026, the nearest quarterly
    assert all(f.expiry.month % 3 == 0 for f in futures)
    for issue in futures + options:
        assert re.fullmatch(r"[123]01[A-Z][1-9A-C]\d{3}", issue.code), issue
        assert issue.isin.startswith("KR4" + issue.code) and krx.isin_check_digit(issue.isin[:11]) == int(
            issue.isin[11]
        )
        assert issue.levels == 5
    strikes = sorted({o.strike for o in options if o.expiry == options[0].expiry})
    assert {b - a for a, b in itertools.pairwise(strikes)} == {250}
    assert {o.kind for o in options} == {"call", "put"}


def test_kospi200_is_the_top_200_kospi_stocks_by_cap(universe):
    kospi = sorted((i for i in universe.stocks("kospi") if i.kind == "stock"), key=lambda i: -i.base * i.shares)
    k200 = universe.index("K51")
    assert {i.code for i in k200.constituents} == {i.code for i in kospi[:200]}
    assert {i.code for i in universe.index("K62").constituents} <= {i.code for i in universe.index("K61").constituents}
    assert "005930" in {i.code for i in k200.constituents}
    assert {ix.code for ix in universe.indices()} == {"K1", "Q1", "K51", "K61", "K62", "Q203", "S50"}


def test_universe_is_deterministic_per_seed():
    a, b, c = Universe(11, DAY), Universe(11, DAY), Universe(12, DAY)
    assert [(i.code, i.base, i.shares) for i in a.all()] == [(i.code, i.base, i.shares) for i in b.all()]
    assert [(i.code, i.base) for i in a.all()] != [(i.code, i.base) for i in c.all()]


def test_market_construction_is_fast():
    began = time.perf_counter()
    Market(seed=3, trading_date=DAY)
    assert time.perf_counter() - began < 1.0
