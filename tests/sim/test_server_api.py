"""The Python API: Simulator in-process, SimProcess as a subprocess, TLS, config validation, benchmark streams."""

from __future__ import annotations

import asyncio
import ssl
import subprocess
import time

import aiohttp
import orjson
import pytest
from kfeed.sim import DEFAULT_KEY, SimConfig, SimProcess, Simulator

PRICE = "/v2/market/stocks/kospi/005930/price"


async def test_simulator_context_manager_serves_and_releases_the_port(http):
    async with Simulator(SimConfig(seed=3, start="10:00:00")) as sim:
        assert sim.url.startswith("http://127.0.0.1:") and sim.ws_url == sim.url.replace("http", "ws", 1)
        assert sim.market.issue("005930") is not None and sim.records is not None
        assert "l7xx" not in repr(sim) and "l7xx" not in repr(sim.config)
        async with http.get(sim.url + PRICE, headers={"apikey": DEFAULT_KEY}) as r:
            assert r.status == 200
        url = sim.url
    with pytest.raises(aiohttp.ClientConnectionError):
        async with aiohttp.ClientSession() as fresh, fresh.get(url + PRICE):
            pass


@pytest.mark.parametrize(
    "overrides",
    [{"start": "25:00:00"}, {"date": "2024-01-01"}, {"speed": 0}, {"max_subscriptions": 0},
     {"tls_cert": "cert.pem"}, {"faults": ("explode@1",)}],
)  # fmt: skip
def test_bad_config_is_rejected(overrides):
    with pytest.raises(ValueError):
        SimConfig(**overrides).validate()


def test_simprocess_start_and_stop():
    started = time.monotonic()
    with SimProcess.start(SimConfig(seed=7, start="09:30:00", key="l7xx" + "a" * 32)) as proc:
        ready = time.monotonic() - started
        assert proc.url.startswith("http://127.0.0.1:") and proc.ws_url.startswith("ws://")

        async def check() -> tuple[int, int]:
            async with aiohttp.ClientSession() as http:
                async with http.get(proc.url + PRICE, headers={"apikey": "l7xx" + "a" * 32}) as good:
                    pass
                async with http.get(proc.url + PRICE, headers={"apikey": DEFAULT_KEY}) as bad:
                    pass
                return good.status, bad.status

        assert asyncio.run(check()) == (200, 401)
        assert ready < 10
    assert proc.process.returncode == 0


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1, made with `openssl req`."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return str(cert), str(key)


async def test_tls_serves_https_and_wss(sim_factory, tls_files, ws_connect):
    cert, key = tls_files
    sim = await sim_factory(tls_cert=cert, tls_key=key)
    assert sim.url.startswith("https://") and sim.ws_url.startswith("wss://")
    context = ssl.create_default_context(cafile=cert)
    async with aiohttp.ClientSession() as http:
        async with http.get(sim.url + PRICE, headers={"apikey": DEFAULT_KEY}, ssl=context) as r:
            assert r.status == 200 and (await r.json())["result"]["isuSrtCd"] == "005930"
        with pytest.raises(aiohttp.ClientConnectorCertificateError):
            async with http.get(sim.url + PRICE, headers={"apikey": DEFAULT_KEY}):
                pass
    client = await ws_connect(sim.ws_url + "/ws", ssl=context)
    assert (await client.call("heartbeat"))["result"] == {"message": "ok"}


@pytest.mark.parametrize("kind", ["tick", "quote10", "ksp"])
async def test_bench_stream(sim, ws_connect, kind):
    client = await ws_connect(f"{sim.ws_url}/bench?kind={kind}&frames=3000")
    frames = 0
    async with asyncio.timeout(60):
        while True:
            msg = await client.ws.receive()
            assert msg.type == aiohttp.WSMsgType.TEXT
            frame = orjson.loads(msg.data)
            if isinstance(frame, dict) and frame.get("method") == "bench_done":
                break
            frames += 1
            if kind == "ksp":
                assert isinstance(frame, list) and 1 <= len(frame) <= 50
            else:
                assert frame["method"] == "push" and frame["params"]["preset"] == kind
    assert frames == 3000
    done = frame["params"]
    assert done["frames"] == 3000 and done["seconds"] > 0 and done["rate"] == pytest.approx(3000 / done["seconds"])


async def test_bench_mode_streams_on_the_usual_paths(sim_factory, ws_connect):
    sim = await sim_factory(bench=True)
    client = await ws_connect(sim.ws_url + "/ws_ksp?frames=500")
    count = 0
    async with asyncio.timeout(60):
        while True:
            frame = await client.recv(60)
            if isinstance(frame, dict):
                assert frame["method"] == "bench_done" and frame["params"]["frames"] == 500
                break
            count += 1
    assert count == 500
    bad = await ws_connect(sim.ws_url + "/bench?kind=nope", init=False)
    assert (await bad.init())["error"]["code"] == 47
