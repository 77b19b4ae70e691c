"""WebSocketClient and Link over real sockets: a raw asyncio server sending exact bytes, and the simulator.

The raw server answers the upgrade as each test tells it, then runs the test's script: split frames, fragmented
messages, pings, close frames and protocol violations, reading back what the client sends (masked frames).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import ssl
import subprocess
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import orjson
import pytest
import uvloop
from kfeed import Feed
from kfeed._kfeed import FeedStream
from kfeed.channel import Channel, ChannelPolicy
from kfeed.errors import ProtocolError, SessionError
from kfeed.link import Link
from kfeed.wsclient import MAX_RESPONSE_HEADER, HandshakeError, WebSocketClient
from session_support import exchange_ns, wait_until
from ws_frames import frame

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TIMEOUT = 5.0

Script = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
Response = Callable[[bytes], bytes]


def accept(key: bytes) -> bytes:
    return base64.b64encode(hashlib.sha1(key + GUID).digest())


def upgrade(key: bytes) -> bytes:
    """A correct 101 response."""
    return (
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
        b"Sec-WebSocket-Accept: " + accept(key) + b"\r\n\r\n"
    )


async def read_client_frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """The next client frame: (opcode, unmasked payload); fails if the client did not mask it or set FIN."""
    b0, b1 = await asyncio.wait_for(reader.readexactly(2), TIMEOUT)
    assert b0 & 0x80, "client frames are never fragmented"
    assert b1 & 0x80, "client frames must be masked"
    n = b1 & 0x7F
    if n == 126:
        n = int.from_bytes(await reader.readexactly(2), "big")
    elif n == 127:
        n = int.from_bytes(await reader.readexactly(8), "big")
    mask = await reader.readexactly(4)
    data = await reader.readexactly(n)
    return b0 & 0x0F, bytes(b ^ mask[i % 4] for i, b in enumerate(data))


def tick(i: int) -> bytes:
    """A `tick` push for 005930, the i-th trade of the test."""
    params = {
        "preset": "tick",
        "isuSrtCd": "005930",
        "trdPrc": 70_000 + 10 * i,
        "trdvol": i + 1,
        "trdTm": 9_000_000 + i,
        "accTrdvol": 1000 + i * (i + 1) // 2,
        "accTrdval": 1,
    }
    return orjson.dumps({"jsonrpc": "2.0", "method": "push", "params": params})


class RawServer:
    """A one-connection server: answers the upgrade with `response(key)`, then runs `script`; keeps what it saw."""

    def __init__(self, script: Script, response: Response = upgrade) -> None:
        self.script = script
        self.response = response
        self.request = b""
        self.done = asyncio.Event()
        self.failure: BaseException | None = None
        self.url = ""
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> RawServer:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"ws://127.0.0.1:{port}/ws?x=1"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            self.request = await reader.readuntil(b"\r\n\r\n")
            key = next(
                line.split(b":", 1)[1].strip()
                for line in self.request.split(b"\r\n")
                if line.lower().startswith(b"sec-websocket-key:")
            )
            writer.write(self.response(key))
            await self.script(reader, writer)
        except BaseException as exc:
            self.failure = exc
        finally:
            writer.close()
            self.done.set()

    async def finished(self) -> None:
        """Waits for the script to end and re-raises what it failed with."""
        await asyncio.wait_for(self.done.wait(), TIMEOUT)
        if self.failure is not None:
            raise self.failure


class Recorder:
    """The client's hooks, recorded."""

    def __init__(self, feed: Feed) -> None:
        self.feed = feed
        self.events: list[tuple[Any, ...]] = []
        self.binaries = 0
        self.closed = 0

    async def connect(self, url: str, **kwargs: Any) -> WebSocketClient:
        return await WebSocketClient.connect(
            url,
            FeedStream(self.feed),
            timeout=kwargs.pop("timeout", TIMEOUT),
            on_messages=lambda: self.events.extend(self.feed.drain_events()),
            on_binary=self.on_binary,
            on_closed=self.on_closed,
            **kwargs,
        )

    def on_binary(self, count: int) -> None:
        self.binaries += count

    def on_closed(self) -> None:
        self.closed += 1


async def wait_for_eof(reader: asyncio.StreamReader) -> bytes:
    """Everything the client sends until it closes the connection (nothing more if it resets it)."""
    try:
        return await asyncio.wait_for(reader.read(), TIMEOUT)
    except ConnectionResetError:
        return b""


async def test_the_upgrade_request_is_well_formed() -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await wait_for_eof(reader)

    async with RawServer(script) as server:
        client = await Recorder(Feed()).connect(server.url)
        assert client.is_open
        client.close()
        await server.finished()
    lines = server.request.decode().split("\r\n")
    port = server.url.split(":")[2].split("/")[0]
    assert lines[0] == "GET /ws?x=1 HTTP/1.1"
    headers = {name.lower(): value for name, value in (line.split(": ", 1) for line in lines[1:] if line)}
    assert headers["host"] == f"127.0.0.1:{port}"
    assert headers["upgrade"] == "websocket"
    assert headers["connection"] == "Upgrade"
    assert headers["sec-websocket-version"] == "13"
    assert len(base64.b64decode(headers["sec-websocket-key"], validate=True)) == 16


async def test_split_and_fragmented_frames_become_rows_and_pings_get_pongs() -> None:
    trades = [tick(i) for i in range(201)]
    fragmented = trades[100]
    wire = b"".join(frame(1, t) for t in trades[:100])
    wire += frame(1, fragmented[:30], fin=False) + frame(9, b"ping-1") + frame(0, fragmented[30:])
    wire += frame(2, b"\x00binary") + b"".join(frame(1, t) for t in trades[101:]) + frame(9, b"ping-2")
    received: list[tuple[int, bytes]] = []

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for start in range(0, len(wire), 997):  # frames cut at arbitrary points, in separate writes
            writer.write(wire[start : start + 997])
            await writer.drain()
        while len(received) < 2:
            received.append(await read_client_frame(reader))
        writer.write(frame(8, (1000).to_bytes(2, "big")))
        received.append(await read_client_frame(reader))

    feed = Feed(trading_date="20261125")
    reader = feed.trades_reader()
    recorder = Recorder(feed)
    async with RawServer(script) as server:
        client = await recorder.connect(server.url)
        await server.finished()
        await asyncio.wait_for(client.wait_closed(), TIMEOUT)
    rows, _ = reader.read()
    np.testing.assert_array_equal(rows["price"], [70_000 + 10 * i for i in range(201)])
    assert received == [(10, b"ping-1"), (10, b"ping-2"), (8, (1000).to_bytes(2, "big"))]
    assert recorder.binaries == 1
    assert recorder.closed == 1
    assert client.close_code == 1000
    assert client.stream.messages == 202  # 201 text, 1 binary


async def test_bytes_in_the_same_read_as_the_upgrade_are_applied() -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await wait_for_eof(reader)

    feed = Feed(trading_date="20261125")
    response: Response = lambda key: upgrade(key) + frame(1, tick(0)) + frame(1, tick(1))  # noqa: E731
    async with RawServer(script, response) as server:
        client = await Recorder(feed).connect(server.url)
        await wait_until(lambda: feed.stats()["trades"] == 2, TIMEOUT, "two trades")
        client.close()
        await server.finished()


async def test_sent_text_is_masked_and_intact() -> None:
    got: list[tuple[int, bytes]] = []

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        got.append(await read_client_frame(reader))
        got.append(await read_client_frame(reader))
        got.append(await read_client_frame(reader))

    async with RawServer(script) as server:
        client = await Recorder(Feed()).connect(server.url)
        client.send_text(b'{"jsonrpc":"2.0","id":1,"method":"init"}')
        client.send_text(b"x" * 70_000)
        client.close(1001, "bye")
        await server.finished()
    assert got == [(1, b'{"jsonrpc":"2.0","id":1,"method":"init"}'), (1, b"x" * 70_000), (8, b"\x03\xe9bye")]
    with pytest.raises(SessionError, match="closed"):
        client.send_text(b"late")


async def test_a_server_close_is_echoed_and_reported() -> None:
    echoed: list[tuple[int, bytes]] = []

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(frame(1, tick(0)) + frame(8, (1008).to_bytes(2, "big") + b"policy") + frame(1, tick(1)))
        echoed.append(await read_client_frame(reader))
        assert await wait_for_eof(reader) == b""

    feed = Feed(trading_date="20261125")
    recorder = Recorder(feed)
    async with RawServer(script) as server:
        client = await recorder.connect(server.url)
        await server.finished()
        await asyncio.wait_for(client.wait_closed(), TIMEOUT)
    assert echoed == [(8, (1008).to_bytes(2, "big"))]
    assert client.close_code == 1008
    assert client.error is None
    assert feed.stats()["trades"] == 1  # the frame after the close is ignored
    assert recorder.closed == 1
    assert not client.is_open


async def test_a_close_the_client_starts_ends_when_the_server_answers_and_late_data_is_not_applied() -> None:
    seen: list[tuple[int, bytes]] = []

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(frame(1, tick(0)))
        seen.append(await read_client_frame(reader))
        writer.write(frame(1, tick(1)) + frame(8, (1000).to_bytes(2, "big")))
        assert await wait_for_eof(reader) == b""

    feed = Feed(trading_date="20261125")
    recorder = Recorder(feed)
    async with RawServer(script) as server:
        client = await recorder.connect(server.url)
        client.close_timeout = 60.0  # only the server's answer can end it within the test's timeout
        await wait_until(lambda: feed.stats()["trades"] == 1, TIMEOUT, "the first trade")
        client.close(1001, "done")
        assert not client.is_open
        await server.finished()
        await asyncio.wait_for(client.wait_closed(), TIMEOUT)
    assert seen == [(8, (1001).to_bytes(2, "big") + b"done")]
    assert client.close_code == 1000
    assert feed.stats()["trades"] == 1, "the trade sent after the client's close is not applied"
    assert client.stream.stats()["discarded"] == 1
    assert recorder.closed == 1


async def test_a_server_that_never_answers_a_close_is_dropped_after_the_close_timeout() -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        assert (await read_client_frame(reader))[0] == 8
        assert await wait_for_eof(reader) == b""

    async with RawServer(script) as server:
        client = await Recorder(Feed()).connect(server.url)
        client.close_timeout = 0.2
        loop = asyncio.get_running_loop()
        started = loop.time()
        client.close()
        await asyncio.wait_for(client.wait_closed(), TIMEOUT)
        assert loop.time() - started >= 0.2
        await server.finished()
    assert client.close_code is None


@pytest.mark.parametrize(
    ("bad", "code", "message"),
    [
        (frame(1, b"{}", mask=b"\x01\x02\x03\x04"), 1002, "masked"),
        (frame(1, b"{}", rsv=2), 1002, "reserved bits"),
        (frame(7, b""), 1002, "unknown opcode"),
        (frame(10, b"p" * 126), 1002, "control frame of 126 bytes"),
        (bytes([0x81, 127]) + (1 << 21).to_bytes(8, "big"), 1009, "too large"),
    ],
    ids=["masked", "rsv", "opcode", "long-control", "oversize"],
)
async def test_protocol_errors_close_with_their_code(bad: bytes, code: int, message: str) -> None:
    closing: list[tuple[int, bytes]] = []

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(frame(1, tick(0)) + bad + frame(1, tick(1)))
        closing.append(await read_client_frame(reader))

    feed = Feed(trading_date="20261125")
    recorder = Recorder(feed)
    async with RawServer(script) as server:
        client = await recorder.connect(server.url)
        await server.finished()
        await asyncio.wait_for(client.wait_closed(), TIMEOUT)
    assert closing == [(8, code.to_bytes(2, "big"))]
    assert isinstance(client.error, ProtocolError)
    assert message in str(client.error)
    assert feed.stats()["trades"] == 1
    assert recorder.closed == 1


def _status(status: bytes) -> Response:
    return lambda key: b"HTTP/1.1 " + status + b"\r\nContent-Length: 0\r\n\r\n"


@pytest.mark.parametrize(
    ("response", "message", "status"),
    [
        (_status(b"403 Forbidden"), "HTTP 403 Forbidden", 403),
        (_status(b"200 OK"), "HTTP 200 OK", 200),
        (lambda key: upgrade(key).replace(accept(key), base64.b64encode(b"0" * 20)), "Sec-WebSocket-Accept", 101),
        (lambda key: upgrade(key).replace(b"Upgrade: websocket\r\n", b""), "Upgrade: websocket", 101),
        (lambda key: upgrade(key).replace(b"keep-alive, Upgrade", b"keep-alive"), "Connection: upgrade", 101),
        (
            lambda key: upgrade(key).replace(b"\r\n\r\n", b"\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n"),
            "sec-websocket-extensions",
            101,
        ),
        (lambda key: b"SSH-2.0-OpenSSH\r\n\r\n", "not an HTTP response", None),
    ],
    ids=["403", "200", "wrong-accept", "no-upgrade", "no-connection", "extension", "not-http"],
)
async def test_a_bad_handshake_raises_a_typed_error(response: Response, message: str, status: int | None) -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await wait_for_eof(reader)

    recorder = Recorder(Feed())
    async with RawServer(script, response) as server:
        with pytest.raises(HandshakeError, match=message) as caught:
            await recorder.connect(server.url)
        await server.finished()
    assert caught.value.status == status
    assert isinstance(caught.value, SessionError)
    assert recorder.closed == 0


async def test_an_oversized_response_header_is_refused() -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await wait_for_eof(reader)

    huge: Response = lambda key: b"HTTP/1.1 101 OK\r\nX-Pad: " + b"a" * MAX_RESPONSE_HEADER  # noqa: E731
    async with RawServer(script, huge) as server:
        with pytest.raises(HandshakeError, match="over 16384 bytes"):
            await Recorder(Feed()).connect(server.url)
        await server.finished()


async def test_a_silent_server_times_the_handshake_out() -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await wait_for_eof(reader)

    async with RawServer(script, lambda key: b"") as server:
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(HandshakeError, match=r"no WebSocket handshake within 0.3 s"):
            await Recorder(Feed()).connect(server.url, timeout=0.3)
        assert loop.time() - started < 2.0
        await server.finished()


async def test_a_refused_connection_and_a_bad_url_fail_clearly() -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    with pytest.raises(OSError):
        await Recorder(Feed()).connect(f"ws://127.0.0.1:{port}/ws")
    with pytest.raises(ValueError, match="not a ws:// or wss:// URL"):
        await Recorder(Feed()).connect("http://127.0.0.1/ws")


def test_the_client_runs_under_uvloop() -> None:
    async def scenario() -> tuple[int, list[tuple[int, bytes]]]:
        pongs: list[tuple[int, bytes]] = []

        async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.write(b"".join(frame(1, tick(i)) for i in range(50)) + frame(9, b"uv"))
            pongs.append(await read_client_frame(reader))

        feed = Feed(trading_date="20261125")
        async with RawServer(script) as server:
            client = await Recorder(feed).connect(server.url)
            await server.finished()
            await wait_until(lambda: feed.stats()["trades"] == 50, TIMEOUT, "50 trades")
            client.close()
        return feed.stats()["trades"], pongs

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        trades, pongs = runner.run(scenario())
    assert trades == 50
    assert pongs == [(10, b"uv")]


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"),
            *("-addext", "subjectAltName=DNS:localhost", "-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


async def test_wss_carries_frames_over_tls(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    client_tls = ssl.create_default_context(cafile=str(cert))
    done, ended = asyncio.Event(), asyncio.Event()
    pongs: list[tuple[int, bytes]] = []
    closing: list[tuple[int, bytes]] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await reader.readuntil(b"\r\n\r\n")
        key_line = next(line for line in request.split(b"\r\n") if line.lower().startswith(b"sec-websocket-key"))
        writer.write(upgrade(key_line.split(b":", 1)[1].strip()))
        writer.write(b"".join(frame(1, tick(i)) for i in range(30)) + frame(9, b"tls"))
        pongs.append(await read_client_frame(reader))
        done.set()
        closing.append(await read_client_frame(reader))
        await wait_for_eof(reader)
        writer.close()
        ended.set()

    server = await asyncio.start_server(handle, "localhost", 0, ssl=server_tls)
    port = server.sockets[0].getsockname()[1]
    feed = Feed(trading_date="20261125")
    client = await Recorder(feed).connect(f"wss://localhost:{port}/ws", ssl_context=client_tls)
    await asyncio.wait_for(done.wait(), TIMEOUT)
    await wait_until(lambda: feed.stats()["trades"] == 30, TIMEOUT, "30 trades over TLS")
    assert pongs == [(10, b"tls")]
    client.close()
    await asyncio.wait_for(ended.wait(), TIMEOUT)
    assert closing == [(8, (1000).to_bytes(2, "big"))]
    server.close()
    await server.wait_closed()


async def test_a_link_on_the_simulator_gets_every_trade_in_order(sim_factory: Any) -> None:
    sim = await sim_factory(start="10:00:00", speed=20.0)
    feed = Feed(trading_date=sim.market.clock.trading_date)
    reader = feed.trades_reader()
    link = await Link.open(feed, sim.ws_url + "/ws", key=sim.config.key, member="test")
    try:
        await link.subscribe("tick", "005930")
        await wait_until(lambda: feed.stats()["trades"] >= 30, 15, "30 trades")
        sim.pause()
        await link.request("heartbeat")  # replies follow every frame sent before them
        rows, lost = reader.read()
        assert lost == 0
        first = int(rows["time"][0])
        truth = [t for t in sim.market.trades("005930") if exchange_ns(SimpleNamespace(feed=feed), t.time) >= first]
        assert [(float(t.price), int(t.qty)) for t in truth] == list(
            zip(rows["price"].tolist(), rows["qty"].tolist(), strict=True)
        )
        assert link.replies >= 3  # init, subscribe, heartbeat
        assert link.data_frames == link.frames - link.replies > 0
        assert link.unexpected_frames == 0
    finally:
        link.close()
    assert not link.is_open
    with pytest.raises(SessionError):
        await link.request("heartbeat")


async def test_a_channel_sends_every_subscription_before_awaiting_any_reply() -> None:
    pairs = [("tick", f"00{n}930") for n in range(5)]
    requests: list[dict[str, Any]] = []

    def reply(request: dict[str, Any]) -> bytes:
        return frame(1, orjson.dumps({"jsonrpc": "2.0", "id": request["id"], "result": {}}))

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        init = orjson.loads((await read_client_frame(reader))[1])
        writer.write(reply(init))
        # No reply until every subscription has arrived: a client awaiting each reply in turn would stall here.
        while len(requests) < len(pairs):
            requests.append(orjson.loads((await read_client_frame(reader))[1]))
        writer.write(b"".join(reply(r) for r in requests))
        await wait_for_eof(reader)

    states: list[str] = []
    async with RawServer(script) as server:
        base, path = server.url.rsplit("/", 1)
        channel = Channel(
            Feed(),
            base,
            "/" + path,
            pairs,
            key="l7xx" + "0" * 32,
            member="test",
            policy=ChannelPolicy(),
            ssl_context=None,
            on_state=lambda _channel, state, _reason: states.append(state),
            on_outage=lambda _outage, _subs: asyncio.sleep(0),
            on_event=lambda _event: None,
        )
        channel.start()
        await channel.wait_ready(TIMEOUT)
        await channel.stop()
        await server.finished()
    assert [(r["method"], r["params"]["isuSrtCd"]) for r in requests] == [("subscribe", c) for _, c in pairs]
    assert states == ["live"]
