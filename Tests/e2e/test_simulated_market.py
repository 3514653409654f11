"""The simulated market as an independent TWS client (ib_async) sees it: option greeks priced off the underlying,
the day's high and low following the trades, sessions and the simulated clock; and the demo's market open."""
import asyncio
import datetime
import json
import math
import time
import urllib.request
import zoneinfo

from ib_async import IB, Crypto, Forex, Option, Stock

from conftest import start_simulator
from tickhub_e2e import wait_until

# Wednesday 2 December 2026, three seconds before the New York open: the run starts a fresh day.
BEFORE_OPEN = "2026-12-02T09:29:57-05:00"
SUNDAY_NOON = "2026-12-06T12:00:00-05:00"
WEDNESDAY_MORNING = "2026-12-02T11:00:00-05:00"


def known(x):
    return x is not None and not math.isnan(x)


def test_option_greeks_and_a_range_that_follows_the_trades():
    sim = start_simulator("--clock", BEFORE_OPEN, "--tick-rate", "800")
    try:
        port = int(sim.fields["port"])

        async def session():
            ib = IB()
            await ib.connectAsync("127.0.0.1", port, clientId=31, timeout=4)
            aapl, spy, fx, call = await ib.qualifyContractsAsync(
                Stock("AAPL", "SMART", "USD"), Stock("SPY", "SMART", "USD"), Forex("EURUSD"),
                Option("SPY", "20271217", 600, "C", "SMART"))
            tickers = {name: ib.reqMktData(contract, "101" if contract is call else "")
                       for name, contract in (("AAPL", aapl), ("SPY", spy), ("EUR.USD", fx), ("call", call))}
            problems, highs, lows, volumes = [], set(), set(), []

            def check(updated):
                # ib_async applies a socket read's ticks, then reports: the state a program sees.
                for t in updated:
                    if t is tickers["AAPL"] and known(t.last) and known(t.high) and known(t.low):
                        highs.add(t.high)
                        lows.add(t.low)
                        volumes.append(t.volume)
                        if not t.low <= t.last <= t.high:
                            problems.append(f"AAPL last {t.last} outside [{t.low}, {t.high}]")
                    if t is tickers["EUR.USD"] and known(t.bid) and known(t.ask) and known(t.high):
                        mid = (t.bid + t.ask) / 2
                        if not t.low - 1e-9 <= mid <= t.high + 1e-9:
                            problems.append(f"EUR.USD midpoint {mid} outside [{t.low}, {t.high}]")

            ib.pendingTickersEvent += check
            call_t, spy_t = tickers["call"], tickers["SPY"]
            greeks_ok = await wait_until(lambda: call_t.modelGreeks is not None and known(spy_t.bid) and known(spy_t.ask), timeout=10)
            greeks, spy_mid = call_t.modelGreeks, (spy_t.bid + spy_t.ask) / 2
            # Past the open, the day's range starts at the last price and the trades widen it.
            # The trades widen the range; not necessarily both ways: a fair walk that trends stays below (or above)
            # where it opened for the whole wait often enough to fail a test that asks for both.
            widened = await wait_until(lambda: len(highs) >= 3 or len(lows) >= 3, timeout=25)
            ib.disconnect()
            return greeks_ok, greeks, spy_mid, call_t, widened, highs, lows, volumes, problems

        greeks_ok, greeks, spy_mid, call_t, widened, highs, lows, volumes, problems = asyncio.run(session())
        assert greeks_ok, "no model greeks for the SPY call"
        assert 0 < greeks.delta < 1, greeks
        assert abs(greeks.undPrice - spy_mid) < 0.5, (greeks.undPrice, spy_mid)
        assert 0.1 < greeks.impliedVol < 0.25 and greeks.gamma > 0 and greeks.vega > 0 and greeks.theta < 0, greeks
        # A near-the-money SPY option: priced off SPY (about $30 here, not $8) and trading thousands a day.
        assert max(0, spy_mid - 600) < greeks.optPrice < spy_mid, greeks
        assert call_t.bid < greeks.optPrice < call_t.ask or abs(greeks.optPrice - (call_t.bid + call_t.ask) / 2) < 0.1
        assert call_t.volume < 10_000, call_t.volume
        assert call_t.callOpenInterest > 0
        assert widened, f"AAPL's range did not move: highs {sorted(highs)}, lows {sorted(lows)}"
        assert problems == [], problems[:5]
        # Volume falls once, when the new day starts it again, and only grows after.
        falls = [i for i, (a, b) in enumerate(zip(volumes, volumes[1:])) if b < a]
        assert len(falls) <= 1, [(volumes[i], volumes[i + 1]) for i in falls[:5]]
        assert volumes[-1] > 0
    finally:
        sim.stop()


def post(control_port, path):
    request = urllib.request.Request(f"http://127.0.0.1:{control_port}{path}", method="POST")
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def test_a_shut_market_is_quiet_until_the_clock_opens_it():
    sim = start_simulator("--clock", SUNDAY_NOON, "--tick-rate", "400")
    try:
        port, control = int(sim.fields["port"]), int(sim.fields["control"])
        assert sim.fields["clock"] == "2026-12-06T17:00:00Z"

        async def session():
            ib = IB()
            await ib.connectAsync("127.0.0.1", port, clientId=32, timeout=4)
            aapl, btc = await ib.qualifyContractsAsync(Stock("AAPL", "SMART", "USD"), Crypto("BTC", "PAXOS", "USD"))
            updates = {"AAPL": 0, "BTC": 0}
            a, b = ib.reqMktData(aapl), ib.reqMktData(btc)
            # The last book, once.
            assert await wait_until(lambda: known(a.bid) and known(a.last) and known(a.close) and known(b.bid), timeout=10)
            ib.pendingTickersEvent += lambda ts: [updates.__setitem__(
                "AAPL" if t is a else "BTC", updates["AAPL" if t is a else "BTC"] + 1) for t in ts if t in (a, b)]
            # Crypto trades on Sundays: wait for its updates, and see none for AAPL meanwhile.
            assert await wait_until(lambda: updates["BTC"] >= 20, timeout=10)
            shut = updates["AAPL"]
            set_to = await asyncio.to_thread(post, control, f"/clock?time={WEDNESDAY_MORNING.replace('+', '%2B')}")
            opened = await wait_until(lambda: updates["AAPL"] >= 10, timeout=10)
            ib.disconnect()
            return shut, set_to, opened

        shut, set_to, opened = asyncio.run(session())
        assert shut == 0, f"AAPL updated {shut} times on a Sunday"
        assert set_to == {"clock": "2026-12-02T16:00:00Z"}
        assert opened, "AAPL did not tick once the clock was in session"
    finally:
        sim.stop()


def test_a_bad_clock_is_refused_with_its_reason():
    import subprocess
    from conftest import BIN
    result = subprocess.run([str(BIN / "tickhub-sim"), "--port", "0", "--clock", "next tuesday"],
                            capture_output=True, text=True, timeout=20)
    assert result.returncode != 0
    assert "--clock 'next tuesday' is not an ISO 8601 time" in result.stderr, result.stderr


def test_the_demo_shows_an_open_market_on_any_day():
    from tickhub_e2e import ready_hub
    new_york = datetime.datetime.now(zoneinfo.ZoneInfo("America/New_York"))
    minutes = new_york.hour * 60 + new_york.minute
    us_open = new_york.weekday() < 5 and 9 * 60 + 30 <= minutes < 16 * 60
    with ready_hub() as hub:
        def aapl():
            return hub.get("/api/market-data/quote/AAPL").json()

        first = aapl()
        deadline, moved = time.monotonic() + 15, None
        while time.monotonic() < deadline:
            now = aapl()
            if (now.get("bid"), now.get("ask"), now.get("last"), now.get("volume")) != \
                    (first.get("bid"), first.get("ask"), first.get("last"), first.get("volume")):
                moved = now
                break
            time.sleep(0.2)
        _, stderr = hub.output()
    assert moved is not None, f"AAPL did not move in the demo: {first}"
    said = "the simulator's clock starts at" in stderr
    assert said == (not us_open), stderr[-2000:]
