"""Shared fixtures: in-process simulators (`sim`, `sim_factory`) and small JSON-RPC/REST helpers over real sockets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import orjson
import pytest
import pytest_asyncio
from kfeed.sim import DEFAULT_KEY, SimConfig, Simulator

SimFactory = Callable[..., Awaitable[Simulator]]


@pytest_asyncio.fixture
async def sim_factory() -> AsyncIterator[SimFactory]:
    """`await sim_factory(**SimConfig overrides)` -> an entered Simulator, stopped after the test."""
    started: list[Simulator] = []

    async def make(**overrides: Any) -> Simulator:
        sim = Simulator(SimConfig(**overrides))
        await sim.start()
        started.append(sim)
        return sim

    yield make
    for sim in reversed(started):
        await sim.stop()


@pytest_asyncio.fixture
async def sim(sim_factory: SimFactory) -> Simulator:
    """A simulator with seed 7 starting at 09:00:00 at real speed."""
    return await sim_factory(seed=7, start="09:00:00", speed=1.0)


@pytest_asyncio.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """An aiohttp client session."""
    async with aiohttp.ClientSession() as session:
        yield session


class RpcClient:
    """A minimal JSON-RPC client over one WebSocket, for tests: numbered requests, frames read with a timeout."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self._next_id = 0

    async def send(self, method: str, params: Any = None) -> int:
        """Send a request and return its id."""
        self._next_id += 1
        body: dict[str, Any] = {"jsonrpc": "2.0", "id": self._next_id, "method": method}
        if params is not None:
            body["params"] = params
        await self.ws.send_str(orjson.dumps(body).decode())
        return self._next_id

    async def recv(self, timeout: float = 5.0) -> Any:
        """The next text frame, parsed."""
        msg = await asyncio.wait_for(self.ws.receive(), timeout)
        assert msg.type == aiohttp.WSMsgType.TEXT, f"expected a text frame, got {msg.type} {msg.data!r}"
        return orjson.loads(msg.data)

    async def reply_to(self, request_id: int, timeout: float = 5.0) -> Any:
        """Read frames until the reply (result or error) carrying `request_id`; pushes read meanwhile are dropped."""
        async with asyncio.timeout(timeout):
            while True:
                frame = await self.recv(timeout)
                if isinstance(frame, dict) and frame.get("id") == request_id and "method" not in frame:
                    return frame

    async def call(self, method: str, params: Any = None, timeout: float = 5.0) -> Any:
        """Send a request and return its reply frame."""
        return await self.reply_to(await self.send(method, params), timeout)

    async def init(self, key: str = DEFAULT_KEY) -> Any:
        """Send `init` with `key` and return the reply."""
        return await self.call("init", {"key": key, "membername": "kfeed tests"})


@pytest_asyncio.fixture
async def ws_connect(http: aiohttp.ClientSession) -> Callable[..., Awaitable[RpcClient]]:
    """`await ws_connect(url, init=True)` -> an RpcClient on a new WebSocket (initialised with the default key)."""

    async def connect(url: str, init: bool = True, **kwargs: Any) -> RpcClient:
        client = RpcClient(await http.ws_connect(url, **kwargs))
        if init:
            answer = await client.init()
            assert answer == {"jsonrpc": "2.0", "id": 1, "result": {"message": "ok"}}
        return client

    return connect


@pytest.fixture
def key() -> str:
    """The simulators' default API key."""
    return DEFAULT_KEY
