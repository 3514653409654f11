"""The Python client (clients/python) against real `tickhub --demo` hubs: installed offline into a virtual
environment, run as a library (typed quotes, subscribing and unsubscribing while running, the pnl channel,
reconnects as events) and as the `tickhub-client` / `tickhub_client.py` command."""
import asyncio
import dataclasses
import json
import queue
import re
import subprocess
import sys
import threading
import time
import typing

import pytest

from conftest import ROOT, start_hub
from tickhub_e2e import ready_hub

PACKAGE = ROOT / "clients" / "python"
SHIM = PACKAGE / "tickhub_client.py"
sys.path.insert(0, str(PACKAGE))
import tickhub  # noqa: E402  (from the folder: the same sources the venv installs)

OPTION = "SPY 271217C00600000"    # held in the demo portfolio (config/sim-portfolio.json)


def run(coroutine, timeout=60):
    return asyncio.run(asyncio.wait_for(coroutine, timeout))


async def until(stream, predicate, what, timeout=10.0, seen=None):
    """The next item of `stream` that satisfies `predicate`, within `timeout` s; every item read goes to `seen`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise AssertionError(f"no {what} within {timeout} s")
        try:
            item = await asyncio.wait_for(stream.__anext__(), remaining)
        except asyncio.TimeoutError:
            raise AssertionError(f"no {what} within {timeout} s") from None
        if seen is not None:
            seen.append(item)
        if predicate(item):
            return item


def is_quote(symbol):
    return lambda e: isinstance(e, tickhub.Quote) and e.symbol == symbol


def float_fields(cls):
    hints = typing.get_type_hints(cls)
    return [f.name for f in dataclasses.fields(cls) if hints[f.name] == typing.Optional[float]]


def assert_typed(value):
    """Every figure is a float or None, whatever JSON wrote (`100`, not `100.0`), and agrees with the message."""
    for name in float_fields(type(value)):
        got = getattr(value, name)
        assert got is None or type(got) is float, (name, got)


# ----- Installed

@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    """A virtual environment that sees the system's websockets, with the package installed from the folder
    with --no-index: nothing may come from the network."""
    path = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(path)], check=True, timeout=120)
    result = subprocess.run([str(path / "bin" / "pip"), "install", "--no-index", str(PACKAGE)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return path


def test_installs_offline_and_its_command_prints_quotes(venv, hub, tmp_path):
    # Imported from the environment, not from the source folder (run from elsewhere).
    where = subprocess.run([str(venv / "bin" / "python"), "-c",
                            "import tickhub, tickhub_client; print(tickhub.__file__); print(tickhub_client.__file__)"],
                           capture_output=True, text=True, timeout=30, cwd=tmp_path)
    assert where.returncode == 0, where.stderr
    assert all(line.startswith(str(venv)) for line in where.stdout.split()), where.stdout

    result = subprocess.run([str(venv / "bin" / "tickhub-client"), "--url", f"ws://127.0.0.1:{hub.fields['port']}/stream",
                             "--json", "--count", "5", "--no-status", "AAPL"],
                            capture_output=True, text=True, timeout=30, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    quotes = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(quotes) == 5 and all(q["type"] == "quote" and q["symbol"] == "AAPL" for q in quotes), result.stdout


# ----- As a library

def test_typed_quotes_subscriptions_while_running_and_pnl(fresh_hub):
    async def scenario():
        seen = []
        client = tickhub.Client(fresh_hub.ws_url(), ["AAPL", "eur.usd"], channels=["pnl"], min_backoff=0.1, max_backoff=0.5)
        async with client:
            stream = aiter(client)
            first = await until(stream, lambda e: True, "a first event")
            assert type(first) is tickhub.Connected and first.connections == 1, first
            assert client.symbols == ("AAPL", "EUR.USD")

            # Typed quotes: floats or None, ints for the stamps, flags as booleans, the hub's values.
            aapl = await until(stream, is_quote("AAPL"), "an AAPL quote", seen=seen)
            eurusd = await until(stream, is_quote("EUR.USD"), "a EUR.USD quote", seen=seen)
            for q in (aapl, eurusd):
                assert_typed(q)
                assert q.source == "ibkr" and q.stale is False and type(q.timestamp) is int and type(q.t) is int
                assert type(q.bid) is float and type(q.ask) is float and q.bid < q.ask
                assert q.bid == q.raw["bid"] and q.seq == q.raw["seq"]
                assert q.marketOpen == q.raw.get("marketOpen")   # None only from a hub that does not say
                assert abs(q.time.timestamp() - time.time()) < 60
            assert type(aapl.last) is float and type(aapl.volume) is float
            assert eurusd.last is None and eurusd.price == pytest.approx((eurusd.bid + eurusd.ask) / 2)

            # The pnl channel: the demo account's five positions, valued (the first push may come as the positions
            # arrive, before their quotes).
            pnl = await until(stream, lambda e: isinstance(e, tickhub.PnL) and len(e.positions) == 5 and e.staleCount == 0,
                              "a pnl message with the five positions valued", seen=seen)
            assert len(pnl.positions) == 5 and pnl.totals.positions == 5 and pnl.staleCount == 0
            assert {p.symbol.split(" ")[0] for p in pnl.positions} == {"AAPL", "MSFT", "SPY", "EUR.USD", "BTC"}
            for p in pnl.positions:
                assert isinstance(p, tickhub.ValuedPosition)
                assert_typed(p)
                assert type(p.marketPrice) is float and p.marketPrice == p.raw.get("marketPrice", p.raw.get("mark"))
                assert p.broker == "ibkr" and p.secType in ("STK", "CASH", "CRYPTO", "OPT") and p.stale is False
            option_position = next(p for p in pnl.positions if p.secType == "OPT")
            if option_position.raw.get("delta") is not None:   # a hub that values options' delta
                assert option_position.deltaExposure == pytest.approx(
                    option_position.delta * option_position.quantity * option_position.multiplier, abs=0.01)
            assert type(pnl.totals.marketValue) is float and set(pnl.byBroker) == {"ibkr"}
            assert type(pnl.t) is int and type(pnl.quoteT) is int

            # Subscribing while running: an option, with its greeks when the hub sends them.
            await client.subscribe(OPTION)
            option = await until(stream, is_quote(OPTION), "a quote for the option", seen=seen)
            assert_typed(option)
            if "delta" in option.raw:
                assert option.hasGreeks and -1 <= option.delta <= 1 and option.delta == option.raw["delta"]
            if option.raw.get("impliedVolatility") is not None:
                assert option.impliedVolatility > 0

            # Unsubscribing while running: EUR.USD stops, AAPL goes on, and the hub holds two subscriptions.
            await client.unsubscribe("EUR.USD")
            after = []
            for _ in range(20):
                await until(stream, is_quote("AAPL"), "AAPL quotes after the unsubscribe", seen=after)
            assert not [e for e in after if isinstance(e, tickhub.Quote) and e.symbol == "EUR.USD"]
            assert client.symbols == ("AAPL", OPTION)
            deadline = time.monotonic() + 5
            while (count := fresh_hub.get("/api/health").json()["subscriptions"]) != 2:
                assert time.monotonic() < deadline, f"the hub still holds {count} subscriptions"
                await asyncio.sleep(0.05)
        return seen

    seen = run(scenario())
    assert not [e for e in seen if isinstance(e, tickhub.HubError)], seen


def test_reconnects_as_events_when_the_hub_restarts():
    first = start_hub()
    port = first.fields["port"]
    second = None

    async def scenario():
        nonlocal second
        client = tickhub.Client(f"ws://127.0.0.1:{port}/stream", ["AAPL"], channels=["status"], min_backoff=0.2, max_backoff=1.0)
        async with client:
            stream = aiter(client)
            await until(stream, lambda e: isinstance(e, tickhub.Connected), "Connected")
            # Far enough into the first hub's numbering that the second hub's restart of it shows.
            before = await until(stream, lambda e: is_quote("AAPL")(e) and not e.stale and e.seq >= 20, "a live AAPL quote")

            await asyncio.to_thread(first.stop)
            lost = await until(stream, lambda e: isinstance(e, tickhub.Disconnected), "Disconnected")
            assert lost.code == 1001 and "server shutting down" in lost.reason and lost.attempt == 1, lost
            assert 0 < lost.retryIn <= 1.0

            second = await asyncio.to_thread(start_hub, listen=f"127.0.0.1:{port}")
            back = await until(stream, lambda e: isinstance(e, tickhub.Reconnected), "Reconnected", timeout=20)
            assert back.connections == 2 and isinstance(back, tickhub.Connected)
            # Subscribed again by itself: the new hub's quotes, numbered from its own start.
            status = await until(stream, lambda e: isinstance(e, tickhub.IBKRStatus), "the status channel again")
            assert isinstance(status.state, str)
            after = await until(stream, lambda e: is_quote("AAPL")(e) and not e.stale, "a live AAPL quote after", timeout=15)
            assert after.seq < before.seq, (before.seq, after.seq)

    try:
        run(scenario())
    finally:
        first.stop()
        if second:
            second.stop()


def test_one_loop_reads_a_client(hub):
    async def scenario():
        client = tickhub.Client(f"ws://127.0.0.1:{hub.fields['port']}/stream", ["AAPL"])
        async with client:
            stream = aiter(client)
            await until(stream, lambda e: isinstance(e, tickhub.Connected), "Connected")
            with pytest.raises(RuntimeError, match="one loop at a time"):
                await client.raw().__anext__()
    run(scenario())
    with pytest.raises(ValueError, match="ws://"):
        tickhub.Client("http://127.0.0.1:8080/stream")


def test_reads_the_older_spellings_and_tolerates_odd_values():
    # A hub from before the ib_async vocabulary: `mark`, `averageCost`, `securityType`; no quoteTimestamp.
    old = tickhub.decode({"type": "pnl", "t": 1, "quoteT": 2, "positions": [
        {"symbol": "AAPL", "mark": 230, "averageCost": 190.25, "securityType": "STK", "quantity": 100, "stale": False}],
        "totals": {"positions": 1, "marketValue": 23000}})
    position = old.positions[0]
    assert (position.marketPrice, position.avgCost, position.secType) == (230.0, 190.25, "STK")
    assert type(position.marketPrice) is float and position.quoteTimestamp is None and old.totals.positions == 1
    # The new spelling wins where both are present.
    assert tickhub.ValuedPosition.from_message({"marketPrice": 1.5, "mark": 9}).marketPrice == 1.5
    # Values of the wrong type are None, never an exception; a missing flag is not a claim.
    q = tickhub.decode({"type": "quote", "symbol": "X", "bid": True, "ask": "1.2", "last": float("nan"), "seq": 3.0})
    assert (q.bid, q.ask, q.last, q.seq, q.stale, q.marketOpen) == (None, None, None, 3, False, None)
    assert tickhub.decode({"type": "authenticated"}) is None and tickhub.decode(["not", "a", "message"]) is None


# ----- The earlier single-file client, now a shim over the package

def run_shim(port, *args, timeout=30):
    return subprocess.run(
        [sys.executable, str(SHIM), "--url", f"ws://127.0.0.1:{port}/stream", *args],
        capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def test_shim_prints_quotes(hub):
    result = run_shim(hub.fields["port"], "--duration", "2", "AAPL", "EUR.USD")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith("status     ibkr ready") for line in lines), result.stdout[:2000]
    aapl = [line for line in lines if line.startswith("AAPL ")]
    eurusd = [line for line in lines if line.startswith("EUR.USD ")]
    assert len(aapl) >= 3 and len(eurusd) >= 3, result.stdout[:2000]
    assert re.search(r"bid\s+\d+\.\d{2}\s+ask\s+\d+\.\d{2}\s+last\s+\d+\.\d{2}", aapl[-1])
    assert re.search(r"bid\s+\d\.\d{5}\s+ask\s+\d\.\d{5}", eurusd[-1])

    # --json --count: raw messages, one per line; stops by itself.
    result = run_shim(hub.fields["port"], "--json", "--count", "5", "--no-status", "BTC")
    assert result.returncode == 0, result.stderr
    quotes = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(quotes) == 5 and all(q["type"] == "quote" and q["symbol"] == "BTC" for q in quotes)
    assert [q["seq"] for q in quotes] == sorted(q["seq"] for q in quotes)
    assert {"bid", "ask", "last", "source", "stale", "delayed", "timestamp", "t"} <= quotes[0].keys()

    # The old library call still yields the hub's messages as dicts.
    sys_path = str(PACKAGE)
    code = ("import asyncio, sys; sys.path.insert(0, %r)\n"
            "from tickhub_client import TickhubClient\n"
            "async def main():\n"
            "    async for m in TickhubClient('ws://127.0.0.1:%s/stream', ['AAPL']).messages():\n"
            "        if m.get('type') == 'quote': print(m['symbol'], type(m).__name__); return\n"
            "asyncio.run(asyncio.wait_for(main(), 10))\n") % (sys_path, hub.fields["port"])
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0 and result.stdout.strip() == "AAPL dict", result.stdout + result.stderr


def test_shim_reconnects_after_a_hub_restart():
    first = start_hub()
    port = first.fields["port"]
    client = subprocess.Popen(
        [sys.executable, str(SHIM), "--url", f"ws://127.0.0.1:{port}/stream", "--duration", "12", "--max-backoff", "1.5", "AAPL"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    lines = queue.Queue()
    out = []

    def read():
        for line in iter(client.stdout.readline, ""):
            out.append(line)
            lines.put(line)
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    second = None
    try:
        # The first hub's quotes are flowing before it goes, far enough into its numbering that the second
        # hub's restart of it shows.
        deadline = time.monotonic() + 10
        while not re.match(r"AAPL .* seq ([2-9]\d|\d{3,})\b", lines.get(timeout=max(0.01, deadline - time.monotonic()))):
            assert time.monotonic() < deadline, "no AAPL quote numbered 20 or more from the first hub"
        first.stop()
        second = start_hub(listen=f"127.0.0.1:{port}")
        client.wait(timeout=30)
        reader.join(timeout=5)
        err = client.stderr.read()
    finally:
        client.kill() if client.poll() is None else None
        first.stop()
        if second:
            second.stop()
    assert client.returncode == 0, err
    assert err.count("connected to") >= 2, err
    assert "closed by the hub: 1001 server shutting down" in err, err
    # Quotes after the restart: the new hub's sequence numbers start again from 1.
    seqs = [int(m) for m in re.findall(r"^AAPL .* seq (\d+)", "".join(out), re.M)]
    assert any(later < earlier for earlier, later in zip(seqs, seqs[1:])), "".join(out)[-2000:]
