"""Per-symbol failover end to end, with real processes over loopback: `tickhub` (no --demo) pointed at a TWS port
with nothing listening, the fake Yahoo + Alpha Vantage server (fake_providers.py, recorded responses only) as its
HTTP fallbacks, and `tickhub-sim` started and killed on that TWS port to bring IBKR up and down.

One WebSocket client per test stays connected throughout; each test checks at the end that it was never closed
or replaced. Every wait is bounded. The whole file takes well under two minutes.

`test_failover_and_failback_times` prints (run with -s to see them) the medians of: the switch (IBKR killed →
first quote carrying a fallback source), the failover (IBKR killed → first quote from fresh fallback data) and
the failback (simulator listening → first IBKR quote).

Contract details that later steps do not depend on are soft checks: they are collected and reported together
at the end of the test, so one of them does not hide the rest of the scenario."""
import asyncio
import contextlib
import json
import random
import socket
import statistics
import threading
import time

import pathlib
import pytest

EMPTY_PORTFOLIO = pathlib.Path(__file__).resolve().parent / "sim-portfolio-empty.json"

from conftest import BIN, Process
from fake_providers import FakeProviders
from tickhub_e2e import Hub, decode, environment

SYMBOLS = ("AAPL", "MSFT")
FALLBACKS = ("yahoo", "alphavantage")
API_KEY = "testkey"
# regularMarketPrice in yahoo_quote_v7_AAPL-MSFT.json and "05. price" in av_global_quote_MSFT.json.
YAHOO_LAST = {"AAPL": 269.7, "MSFT": 541.55}
AV_LAST = {"MSFT": 112.13}

# Fast timings so that each transition takes about a second. `yahoo.backoff*` shortens the pause after a 429
# (default 30 s doubling to 15 min), so that a fake switched back to ok is probed again within seconds.
CONFIG = {
    "ibkr": {"reconnectInitialSeconds": 0.1, "reconnectCapSeconds": 1},
    "yahoo": {"pollSeconds": 1, "backoffInitialSeconds": 1, "backoffCapSeconds": 2},
    "alphaVantage": {"pollSeconds": 1, "minimumSpacingSeconds": 1.1},
    "providers": {"failbackSeconds": 1},
}


def run(coroutine, timeout):
    """Runs a scenario with an overall bound on top of the per-step ones."""
    return asyncio.run(asyncio.wait_for(coroutine, timeout))


# Processes


def unused_tws_port():
    """A free loopback port with nothing listening, for the hub to keep failing to connect to.

    Chosen below the kernel's ephemeral range when possible: the hub retries every second, and a connection to a
    closed port inside the ephemeral range can (rarely) get that same port as its source port and connect to
    itself over loopback (TCP simultaneous open), which would look like a TWS that never answers."""
    low = 32768
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    for port in random.sample(range(10_000, low), min(200, max(0, low - 10_000))):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as probe:  # fall back to what the kernel picks
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class FailoverHub(Hub):
    """`tickhub --listen 127.0.0.1:0 --ibkr-port P --config FILE`, environment as it is when started; stdout and
    stderr are drained in the background like `Hub`'s."""

    def __init__(self, ibkr_port, config_path, timeout=20):
        Process.__init__(self, [str(BIN / "tickhub"), "--listen", "127.0.0.1:0", "--ibkr-port", str(ibkr_port),
                                "--config", str(config_path), "--log-level", "info"],
                         r"tickhub: listening", timeout=timeout)
        self.port = int(self.fields["port"])
        self.pid = self.proc.pid
        self._chunks = {"stdout": [], "stderr": []}
        self._drains = [threading.Thread(target=self._drain, args=(name,), daemon=True) for name in self._chunks]
        for thread in self._drains:
            thread.start()

    def health(self):
        response = self.get("/api/health")
        assert response.status in (200, 503), response
        return response.json()


class Setup:
    def __init__(self, fake, hub, tws_port):
        self.fake = fake
        self.hub = hub
        self.tws_port = tws_port
        self.simulators = []

    def start_simulator(self):
        """`tickhub-sim` on the hub's TWS port; returns once it is listening."""
        # An account without positions: held symbols would stay subscribed and blur which symbols move.
        sim = Process([str(BIN / "tickhub-sim"), "--port", str(self.tws_port), "--control-port=-1", "--clock", "open",
                       "--portfolio", str(EMPTY_PORTFOLIO), "--log-level", "warning"], r"tickhub-sim: listening")
        self.simulators.append(sim)
        return sim


@contextlib.contextmanager
def failover_setup(tmp_path, api_key=API_KEY):
    """The fake providers, then the hub pointed at them and at a TWS port with nothing on it. On the way out,
    the hub's log tail and the fake's request counts are printed (pytest shows them when a test fails)."""
    fake = FakeProviders().start()
    config = tmp_path / "tickhub.json"
    config.write_text(json.dumps(CONFIG))
    tws_port = unused_tws_port()
    hub = None
    try:
        with environment(YAHOO_BASE_URL=fake.base_url, ALPHAVANTAGE_BASE_URL=fake.base_url,
                         ALPHAVANTAGE_API_KEY=api_key, TICKHUB_PROVIDERS="ibkr,yahoo,alphavantage",
                         TICKHUB_TOKEN=None):
            hub = FailoverHub(tws_port, config)
        setup = Setup(fake, hub, tws_port)
        yield setup
    finally:
        if hub is not None:
            for sim in setup.simulators:
                sim.stop()
            _, stderr = hub.output()
            print("--- hub stderr (tail) ---\n" + "\n".join(stderr.splitlines()[-60:]))
        print("--- fake providers ---\n" + json.dumps({k: v for k, v in fake.stats().items() if k != "recent"}))
        fake.stop()


# The stream


class Stream:
    """Reads one WebSocket connection in the background and keeps every message with its arrival time, so that
    waits can look back from any point and timings are not skewed by when the test got round to reading."""

    def __init__(self, ws):
        self.ws = ws
        self.messages = []  # (time.monotonic(), message)
        self.wall = []  # time.time() of each message's arrival, to compare with the fake server's request log
        self.closed = None
        self._changed = asyncio.Event()
        self._task = asyncio.create_task(self._read())

    async def _read(self):
        try:
            async for frame in self.ws:
                arrived, wall = time.monotonic(), time.time()
                messages = decode(frame)
                self.messages.extend((arrived, m) for m in messages)
                self.wall.extend(wall for _ in messages)
                self._changed.set()
            self.closed = f"closed: {self.ws.close_code} {self.ws.close_reason!r}"
        except Exception as error:  # noqa: BLE001 - reported by the waits and the final check
            self.closed = f"{type(error).__name__}: {error}"
        finally:
            self._changed.set()

    def mark(self):
        """The position from which a wait should look: messages after this moment."""
        return len(self.messages)

    async def wait_for(self, predicate, timeout, what, start=0):
        """(position after it, arrival time, message) of the first message from `start` on that satisfies
        `predicate`, waiting up to `timeout` seconds for it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        i = start
        while True:
            while i < len(self.messages):
                arrived, message = self.messages[i]
                i += 1
                if predicate(message):
                    return i, arrived, message
            assert self.closed is None, f"the WebSocket ended while waiting for {what}: {self.closed}"
            remaining = deadline - loop.time()
            if remaining <= 0:
                recent = [m for _, m in self.messages[max(start, len(self.messages) - 8):]]
                raise AssertionError(f"no {what} within {timeout} s; last messages: {json.dumps(recent)[:1500]}")
            self._changed.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    def current_source(self, symbol):
        """The source the last source-change message for `symbol` named (None: none, or no such message)."""
        changes = self.seen(source_change(symbol))
        return changes[-1]["source"] if changes else None

    def seen(self, predicate, start=0):
        return [m for _, m in self.messages[start:] if predicate(m)]

    async def assert_same_connection(self, local_address):
        """The connection is the one opened at the start (same local address), still open, and answering."""
        assert self.closed is None, f"the WebSocket was closed during the test: {self.closed}"
        assert self.ws.local_address == local_address
        mark = self.mark()
        await self.ws.send(json.dumps({"op": "ping", "id": "still-here"}))
        await self.wait_for(lambda m: m.get("type") == "pong" and m.get("id") == "still-here", 5, "a pong",
                            start=mark)


def quote(symbol, sources=None, stale=None):
    if isinstance(sources, str):
        sources = (sources,)

    def predicate(m):
        return (m.get("type") == "quote" and m.get("symbol") == symbol
                and (sources is None or m.get("source") in sources) and (stale is None or m.get("stale") is stale))
    return predicate


def source_change(symbol, to=..., previous=...):
    """A `status` message about the symbol's source (not the IBKR connection status, which has `ibkr`)."""
    def predicate(m):
        return (m.get("type") == "status" and m.get("symbol") == symbol and "source" in m
                and (to is ... or m["source"] == to or (isinstance(to, tuple) and m["source"] in to))
                and (previous is ... or m.get("previousSource") == previous))
    return predicate


# Health


async def health(hub):
    return await asyncio.to_thread(hub.health)


def provider(report, name):
    matches = [p for p in report["providers"] if p["name"] == name]
    assert len(matches) == 1, report["providers"]
    return matches[0]


async def wait_health(hub, predicate, timeout, what):
    """The first /api/health answer that satisfies `predicate`, polled every 0.1 s for up to `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        report = await health(hub)
        with contextlib.suppress(KeyError, AssertionError, TypeError):
            if predicate(report):
                return report
        if time.monotonic() > deadline:
            raise AssertionError(f"/api/health never showed {what} within {timeout} s; last: {json.dumps(report)}")
        await asyncio.sleep(0.1)


async def soft_health(hub, predicate, timeout, problem, problems):
    """Like `wait_health`, but a miss is recorded in `problems` (with the last answer) instead of stopping the
    scenario: for contract details that later steps do not depend on."""
    try:
        await wait_health(hub, predicate, timeout, "it")
        return True
    except AssertionError:
        report = await health(hub)
        states = {p["name"]: p["state"] for p in report["providers"]}
        problems.append(f"{problem}; after {timeout} s it says sources={json.dumps(report['sources'])}, "
                        f"providers={json.dumps(states)}")
        return False


async def wait_fake_request(fake, path, since, timeout):
    """time.time() at which the fake answered the first request for `path` made at or after `since`."""
    deadline = time.monotonic() + timeout
    while True:
        times = [r["t"] for r in fake.stats()["recent"]
                 if r["target"].split("?")[0] == path and r["t"] >= since]
        if times:
            return min(times)
        assert time.monotonic() < deadline, f"the fake got no {path} request within {timeout} s"
        await asyncio.sleep(0.01)


def now_ms():
    return int(time.time() * 1000)


# a–e: one hub, one WebSocket, IBKR down → Yahoo → Alpha Vantage / nothing → IBKR → fallbacks → daily limit


def test_failover_between_ibkr_yahoo_and_alphavantage(tmp_path):
    # Soft checks: contract points that do not stop the scenario; reported together at the end.
    problems = []

    async def scenario(setup):
        hub, fake = setup.hub, setup.fake
        async with hub.connect() as ws:
            local_address = ws.local_address
            stream = Stream(ws)
            await ws.send(json.dumps({"op": "subscribe", "symbols": list(SYMBOLS)}))

            # a. IBKR unreachable: the quotes come from Yahoo's v7 batch.
            for symbol in SYMBOLS:
                _, _, q = await stream.wait_for(quote(symbol, "yahoo", stale=False), 10, f"a Yahoo quote for {symbol}")
                assert q["last"] == YAHOO_LAST[symbol], q  # the recorded regularMarketPrice
            report = await wait_health(
                hub, lambda h: (provider(h, "ibkr")["state"] == "reconnecting"
                                and provider(h, "yahoo")["state"] == "ready"
                                and h["sources"] == {"AAPL": "yahoo", "MSFT": "yahoo"}),
                5, "IBKR reconnecting, Yahoo ready and serving both symbols")
            assert provider(report, "ibkr")["available"] is False
            assert provider(report, "yahoo")["available"] is True
            assert provider(report, "yahoo")["servingSymbols"] == 2
            assert provider(report, "alphavantage")["state"] == "ready"
            assert fake.stats()["routes"].get("yahoo_v7_quote", 0) >= 1

            # b. Yahoo rate-limited: MSFT moves to Alpha Vantage. AAPL has no Alpha Vantage recording (the empty
            #    Global Quote, i.e. unknown there): it ends up with no source, its last quote re-sent stale.
            mark = stream.mark()
            fake.set_yahoo_mode("rate-limited")
            i, _, change = await stream.wait_for(source_change("MSFT", to="alphavantage"), 10,
                                                 "MSFT's move to Alpha Vantage", start=mark)
            assert change["previousSource"] == "yahoo" and change["reason"], change
            _, _, q = await stream.wait_for(quote("MSFT", "alphavantage", stale=False), 10,
                                            "an Alpha Vantage quote for MSFT", start=i)
            assert q["last"] == AV_LAST["MSFT"], q
            i, _, change = await stream.wait_for(source_change("AAPL", to=None), 15, "AAPL left without a source",
                                                 start=mark)
            assert change["previousSource"] in ("yahoo", "alphavantage") and change["reason"], change
            _, _, q = await stream.wait_for(quote("AAPL"), 5, "AAPL's last quote after it lost its source",
                                            start=i)
            assert q["stale"] is True, q
            report = await wait_health(
                hub, lambda h: (provider(h, "yahoo")["state"] == "rate-limited"
                                and h["sources"]["MSFT"] == "alphavantage"),
                5, "Yahoo rate-limited and MSFT on Alpha Vantage")
            await soft_health(hub, lambda h: h["sources"] == {"AAPL": None, "MSFT": "alphavantage"}, 3,
                              "b: /api/health `sources` should say AAPL: null (no provider serves it)", problems)
            yahoo = provider(report, "yahoo")
            assert yahoo["available"] is False
            assert isinstance(yahoo["until"], int) and yahoo["until"] > now_ms() - 5000, yahoo
            assert provider(report, "alphavantage")["available"] is True
            assert fake.stats()["served"].get("yahoo/reconstructed/yahoo_429_body.txt", 0) >= 1
            # Nothing after AAPL lost its source may present it as live.
            after = stream.seen(quote("AAPL"), start=i)
            assert after and all(m["stale"] for m in after), after

            # c. The simulator comes up on the TWS port: both symbols move to IBKR, on the same connection.
            before = {symbol: stream.current_source(symbol) for symbol in SYMBOLS}
            assert before == {"AAPL": None, "MSFT": "alphavantage"}, before
            mark = stream.mark()
            await asyncio.to_thread(setup.start_simulator)
            for symbol in SYMBOLS:
                _, _, first = await stream.wait_for(quote(symbol, "ibkr", stale=False), 10,
                                                    f"an IBKR quote for {symbol}", start=mark)
                changes = stream.seen(source_change(symbol, to="ibkr"), start=mark)
                if not changes:
                    problems.append(f"c: no status message for {symbol}'s move from "
                                    f"{before[symbol] or 'no source'} to ibkr")
                else:
                    # The status message comes before the first IBKR quote.
                    position = next(k for k, (_, m) in enumerate(stream.messages) if m is changes[0])
                    first_position = next(k for k, (_, m) in enumerate(stream.messages) if m is first)
                    assert position < first_position, (changes[0], first)
            report = await wait_health(
                hub, lambda h: (provider(h, "ibkr")["state"] == "ready"
                                and h["sources"] == {"AAPL": "ibkr", "MSFT": "ibkr"}),
                5, "IBKR ready and serving both symbols")
            assert provider(report, "ibkr")["available"] is True
            assert provider(report, "ibkr")["servingSymbols"] == 2

            # d. The simulator dies: both symbols go back to the fallbacks, Yahoo (switched back to ok) in the end.
            fake.set_yahoo_mode("ok")
            mark = stream.mark()
            killed_wall = time.time()
            setup.simulators[-1].proc.kill()
            for symbol in SYMBOLS:
                i, _, q = await stream.wait_for(quote(symbol, FALLBACKS, stale=False), 10,
                                                f"a fallback quote for {symbol} after IBKR died", start=mark)
                if not stream.seen(source_change(symbol, previous="ibkr"), start=mark):
                    problems.append(f"d: no status message for {symbol} leaving ibkr")
                # The fallbacks were released when IBKR took over in c, so a quote presented as live must come
                # from a request made since IBKR died, not from what the hub kept from before (docs/providers.md:
                # "Until the new source quotes ..., the last quote is re-sent with stale: true").
                asked = [r for r in fake.stats()["recent"] if killed_wall <= r["t"] <= stream.wall[i - 1]
                         and r["target"].split("?")[0] in ("/v7/finance/quote", "/query")]
                if not asked:
                    problems.append(f"d: {symbol}'s first quote from {q['source']} after IBKR died came before the "
                                    f"fake had answered any request since, yet stale=false (last={q['last']}): the "
                                    f"hub re-sent that provider's quote from before c as live")
            await wait_health(
                hub, lambda h: (provider(h, "ibkr")["available"] is False
                                and provider(h, "yahoo")["state"] == "ready"
                                and h["sources"] == {"AAPL": "yahoo", "MSFT": "yahoo"}),
                10, "IBKR down and Yahoo serving both symbols again")
            for symbol in SYMBOLS:
                await stream.wait_for(quote(symbol, "yahoo", stale=False), 10, f"a Yahoo quote for {symbol}",
                                      start=mark)

            # e. Alpha Vantage's daily limit: with Yahoo rate-limited again MSFT turns to Alpha Vantage, which
            #    answers with the daily-limit notice (HTTP 200): the provider is rate-limited until the next day.
            fake.set_alphavantage_mode("daily-limit")
            fake.set_yahoo_mode("rate-limited")
            mark = stream.mark()
            report = await wait_health(
                hub, lambda h: provider(h, "alphavantage")["state"] == "rate-limited", 15,
                "Alpha Vantage rate-limited (daily limit)")
            av = provider(report, "alphavantage")
            assert av["available"] is False
            assert "25 requests per day" in (av["detail"] or ""), av
            assert isinstance(av["until"], int) and av["until"] > now_ms(), av
            assert fake.stats()["served"].get("alphavantage/reconstructed/av_rate_limit_daily_information.json")
            i, _, change = await stream.wait_for(source_change("MSFT", to=None), 10,
                                                 "MSFT left without a source", start=mark)
            await soft_health(hub, lambda h: h["sources"] == {"AAPL": None, "MSFT": None}, 5,
                              "e: /api/health `sources` should say null for both symbols", problems)
            assert all(m["stale"] for m in stream.seen(quote("MSFT"), start=i))

            await stream.assert_same_connection(local_address)

    with failover_setup(tmp_path) as setup:
        run(scenario(setup), 100)
        # The fake was asked only for things it has recordings for.
        assert setup.fake.stats()["routes"].get("unmatched", 0) == 0, setup.fake.stats()["recent"]
    if problems:
        pytest.fail("contract problems:\n- " + "\n- ".join(problems), pytrace=False)


# f: no Alpha Vantage key


def test_alphavantage_disabled_without_api_key(tmp_path):
    problems = []

    async def scenario(setup):
        hub, fake = setup.hub, setup.fake
        report = await wait_health(hub, lambda h: provider(h, "alphavantage")["state"] == "disabled", 5,
                                   "Alpha Vantage disabled")
        assert provider(report, "alphavantage")["available"] is False
        # With Yahoo rate-limited too, a symbol has nowhere to go, and Alpha Vantage is never called.
        fake.set_yahoo_mode("rate-limited")
        async with hub.connect() as ws:
            local_address = ws.local_address
            stream = Stream(ws)
            await ws.send(json.dumps({"op": "subscribe", "symbols": ["MSFT"]}))
            await wait_health(hub, lambda h: provider(h, "yahoo")["state"] == "rate-limited", 10,
                              "Yahoo rate-limited")
            await soft_health(hub, lambda h: h["sources"] == {"MSFT": None}, 5,
                              "f: /api/health `sources` should say MSFT: null", problems)
            await asyncio.sleep(1.5)
            assert fake.stats()["routes"].get("alphavantage_query", 0) == 0
            await stream.assert_same_connection(local_address)

    with failover_setup(tmp_path, api_key=None) as setup:
        run(scenario(setup), 30)
    if problems:
        pytest.fail("contract problems:\n- " + "\n- ".join(problems), pytrace=False)


# Timings


RUNS = 4


def test_failover_and_failback_times(tmp_path):
    """RUNS cycles of: simulator started → first IBKR quote (failback); simulator killed → first fresh quote from
    a fallback (failover). Yahoo stays ok, so the fallback is Yahoo. Prints the medians."""
    switched = {symbol: [] for symbol in SYMBOLS}
    failover = {symbol: [] for symbol in SYMBOLS}
    failback = {symbol: [] for symbol in SYMBOLS}

    async def scenario(setup):
        hub = setup.hub
        async with hub.connect() as ws:
            local_address = ws.local_address
            stream = Stream(ws)
            await ws.send(json.dumps({"op": "subscribe", "symbols": list(SYMBOLS)}))
            for symbol in SYMBOLS:
                await stream.wait_for(quote(symbol, "yahoo", stale=False), 10, f"a Yahoo quote for {symbol}")

            for run_number in range(RUNS):
                # Let IBKR's reconnect backoff reach its cap (1 s), so every run starts from the same state.
                await asyncio.sleep(2.5)
                mark = stream.mark()
                sim = await asyncio.to_thread(setup.start_simulator)
                listening = time.monotonic()
                for symbol in SYMBOLS:
                    _, arrived, _ = await stream.wait_for(quote(symbol, "ibkr", stale=False), 15,
                                                          f"run {run_number}: an IBKR quote for {symbol}",
                                                          start=mark)
                    failback[symbol].append(arrived - listening)

                await asyncio.sleep(0.5)
                mark = stream.mark()
                killed, killed_wall = time.monotonic(), time.time()
                sim.proc.kill()
                for symbol in SYMBOLS:
                    _, arrived, _ = await stream.wait_for(quote(symbol, FALLBACKS, stale=False), 10,
                                                          f"run {run_number}: a fallback quote for {symbol}",
                                                          start=mark)
                    switched[symbol].append(arrived - killed)
                # The first quote above can be the fallback's last quote from before IBKR came back, which the
                # hub re-sends at the switch. Fresh fallback data: the first fallback quote that arrived after
                # the fake answered a Yahoo request made after the kill.
                answered = await wait_fake_request(setup.fake, "/v7/finance/quote", killed_wall, 10)
                for symbol in SYMBOLS:
                    _, arrived, _ = await stream.wait_for(
                        quote(symbol, FALLBACKS, stale=False), 10,
                        f"run {run_number}: a fresh fallback quote for {symbol}",
                        start=next((k for k in range(mark, len(stream.wall)) if stream.wall[k] >= answered),
                                   len(stream.wall)))
                    failover[symbol].append(arrived - killed)
                await asyncio.to_thread(sim.proc.wait, 5)
                await wait_health(hub, lambda h: h["sources"] == {"AAPL": "yahoo", "MSFT": "yahoo"}, 10,
                                  f"run {run_number}: both symbols back on Yahoo")

            await stream.assert_same_connection(local_address)

    with failover_setup(tmp_path) as setup:
        run(scenario(setup), 90)

    def ms(values):
        return ", ".join(f"{v * 1000:.0f}" for v in values)

    def median_ms(samples):
        return statistics.median([v for values in samples.values() for v in values]) * 1000

    print()
    for label, samples in [("switch   (IBKR killed -> first quote with a fallback source)", switched),
                           ("failover (IBKR killed -> first quote from fresh fallback data)", failover),
                           ("failback (simulator listening -> first IBKR quote)", failback)]:
        per_symbol = "; ".join(f"{symbol}: {ms(samples[symbol])}" for symbol in SYMBOLS)
        print(f"{label}: median {median_ms(samples):.0f} ms over {RUNS} runs x {len(SYMBOLS)} symbols "
              f"({per_symbol} ms)")
    all_failover = [v for values in failover.values() for v in values]
    all_failback = [v for values in failback.values() for v in values]
    # Generous bounds: IBKR retries at most every 1 s and failback waits 1 s of steady IBKR quotes.
    assert statistics.median(all_failover) < 3, failover
    assert statistics.median(all_failback) < 6, failback
