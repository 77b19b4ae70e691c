"""Retries, typed errors and key redaction against the simulator's real HTTP server and its fault injection."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
import traceback
from dataclasses import dataclass, field

import pytest
import pytest_asyncio
from aiohttp import web
from kfeed.errors import AuthError, RateLimitError, RestError
from kfeed.rest import RestClient, RetryPolicy
from kfeed.rest.retry import quota_exhausted, retry_after
from kfeed.sim import DEFAULT_KEY

FAST = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05)
PRICE = "/v2/market/stocks/kospi/005930/price"


@pytest_asyncio.fixture
async def client(sim, key):
    async with RestClient(sim.url, key=key, retry=FAST, trading_date=sim.market.trading_date) as rest:
        yield rest


async def test_5xx_is_retried_until_it_succeeds(sim, client):
    served = sim.quota.remaining
    sim.faults.rest_error(503, 2)
    price = await client.stocks.price("kospi", "005930")
    assert price.symbol == "005930"
    assert client.requests_sent == 3
    assert served - sim.quota.remaining == 3


async def test_429_with_quota_left_is_retried(sim, client):
    sim.faults.rest_error(429, 1)
    assert (await client.stocks.orderbook("kospi", "005930")).levels == 10
    assert client.requests_sent == 2


async def test_persistent_5xx_gives_up_after_the_policy_attempts(sim, client):
    served = sim.quota.remaining
    sim.faults.rest_error(502, 10)
    with pytest.raises(RestError) as caught:
        await client.stocks.price("kospi", "005930")
    assert caught.value.status == 502 and not isinstance(caught.value, AuthError)
    assert client.requests_sent == FAST.attempts
    assert served - sim.quota.remaining == FAST.attempts


async def test_exhausted_daily_quota_raises_at_once(sim_factory, key):
    sim = await sim_factory(daily_quota=2)
    async with RestClient(sim.url, key=key, retry=FAST) as client:
        await client.raw(PRICE)
        await client.raw(PRICE)
        with pytest.raises(RateLimitError) as caught:
            await client.raw(PRICE)
        assert caught.value.status == 429
        assert client.requests_sent == 3


async def test_bad_key_is_an_auth_error_with_no_retry(sim, key):
    wrong = "l7xx" + "f" * 32
    async with RestClient(sim.url, key=wrong, retry=FAST) as client:
        for _ in range(3):
            with pytest.raises(AuthError) as caught:
                await client.stocks.price("kospi", "005930")
            assert caught.value.status == 401
            assert "Invalid authentication credentials" in str(caught.value)
        assert client.requests_sent == 3


async def test_vendor_error_carries_code_message_and_status(client):
    with pytest.raises(RestError) as caught:
        await client.stocks.price("kospi", "999990")
    assert (caught.value.status, caught.value.code) == (400, 10040)
    assert "종목코드가 존재 하지 않습니다" in str(caught.value)
    assert client.requests_sent == 1


async def test_closing_data_asked_too_early(client):
    with pytest.raises(RestError) as caught:
        await client.stocks.close_price("kospi", "005930")
    assert caught.value.status == 400 and caught.value.code is None
    assert "당일 종가 제공 시간이 아닙니다." in str(caught.value)


async def test_unknown_route_and_bad_arguments(client):
    with pytest.raises(RestError) as caught:
        await client.raw("/v2/market/stocks/kospi/005930/nothing")
    assert caught.value.status == 404 and "no Route matched" in str(caught.value)
    with pytest.raises(ValueError):
        await client.raw(PRICE, apikey="x")
    with pytest.raises(ValueError):
        await client.stocks.price("kospi", "../../x")
    with pytest.raises(ValueError):
        await client.stocks.history("kospi", "005930", "2024-01-01", period="Q")  # type: ignore[arg-type]
    assert client.requests_sent == 1


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_key_never_appears_in_logs_reprs_or_exceptions(sim, key, caplog):
    caplog.set_level(logging.DEBUG)
    errors: list[BaseException] = []
    async with RestClient(sim.url, key=key, retry=FAST) as good:
        sim.faults.rest_error(503, 1)
        await good.stocks.price("kospi", "005930")
        sim.faults.rest_error(500, 10)
        for call in (good.stocks.price("kospi", "005930"), good.raw("/v2/market/none"), good.raw(PRICE[:-1])):
            with pytest.raises(RestError) as caught:
                await call
            errors.append(caught.value)
        texts = [repr(good), repr(good.stocks), repr(good.futures)]
    async with RestClient(sim.url, key=key + "0", retry=FAST) as wrong:
        with pytest.raises(AuthError) as caught:
            await wrong.raw(PRICE)
        errors.append(caught.value)
        texts.append(repr(wrong))
    async with RestClient(f"http://127.0.0.1:{free_port()}", key=key, retry=FAST) as nowhere:
        with pytest.raises(RestError) as caught:
            await nowhere.raw(PRICE)
        errors.append(caught.value)
    assert len(caplog.records) >= 5
    texts += [caplog.text, *(r.getMessage() for r in caplog.records)]
    for error in errors:
        texts += [str(error), repr(error), "".join(traceback.format_exception(error))]
    assert all(key not in text for text in texts)
    assert any("<redacted>" in text for text in texts)


def test_retry_policy_reads_rate_limit_headers():
    policy = RetryPolicy(base_delay=1.0, max_delay=4.0, max_retry_after=10.0)
    assert all(0.0 <= policy.backoff(n) <= min(4.0, 2.0**n) for n in range(8) for _ in range(50))
    assert policy.wait(0, {"Retry-After": "3"}) == 3.0
    assert policy.wait(0, {"Retry-After": "30"}) is None
    assert 0.0 <= policy.wait(2, {"Retry-After": "soon"}) <= 4.0
    assert retry_after({}) is None
    assert quota_exhausted({"X-RateLimit-Remaining-Day": "0"})
    assert not quota_exhausted({"X-RateLimit-Remaining-Day": "12"})
    assert not quota_exhausted({})
    with pytest.raises(ValueError):
        RetryPolicy(attempts=0)


@dataclass
class Script:
    """A tiny HTTP server's script and record: each request takes the next (status, headers, delay) step."""

    url: str = ""
    steps: list[tuple[int, dict[str, str], float]] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)


@pytest_asyncio.fixture
async def scripted():
    script = Script()

    async def handler(request: web.Request) -> web.Response:
        script.times.append(time.monotonic())
        script.paths.append(request.path)
        if request.headers.get("apikey") != DEFAULT_KEY or "apikey" in request.query:
            return web.Response(status=401, body=b'{"message":"No API key found in request"}')
        status, headers, delay = script.steps.pop(0) if script.steps else (200, {}, 0.0)
        await asyncio.sleep(delay)
        body = b'{"jsonrpc":"2.0","result":{"isuSrtCd":"005930","trdPrc":"100"}}' if status == 200 else b"{}"
        return web.Response(status=status, body=body, headers=headers, content_type="application/json")

    app = web.Application()
    app.router.add_get("/{tail:.*}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    script.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    yield script
    await runner.cleanup()


async def test_key_goes_in_the_header_and_retry_after_is_honoured(scripted):
    scripted.steps.append((503, {"Retry-After": "0.3"}, 0.0))
    async with RestClient(scripted.url, key=DEFAULT_KEY, retry=FAST) as client:
        assert (await client.stocks.price("kospi", "005930")).price == 100.0
    assert len(scripted.times) == 2 and scripted.times[1] - scripted.times[0] >= 0.3


async def test_timeouts_are_retried_then_raised(scripted):
    scripted.steps.extend([(200, {}, 1.0), (200, {}, 1.0)])
    retry = RetryPolicy(attempts=2, base_delay=0.01)
    async with RestClient(scripted.url, key=DEFAULT_KEY, timeout=0.2, retry=retry) as client:
        with pytest.raises(RestError, match="TimeoutError"):
            await client.raw(PRICE)
        assert client.requests_sent == 2
        assert (await client.stocks.price("kospi", "005930")).price == 100.0
    assert len(scripted.times) == 3


async def test_trade_ranking_falls_back_to_the_vendor_table_spelling(scripted):
    scripted.steps.append((404, {}, 0.0))
    async with RestClient(scripted.url, key=DEFAULT_KEY, retry=FAST) as client:
        assert (await client.stocks.trade_ranking("kospi", "005930")).symbol == "005930"
    assert [p.rsplit("/", 1)[1] for p in scripted.paths] == ["traderanking", "traderaking"]
