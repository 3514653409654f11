"""IBKR through the Client Portal transport, end to end: `tickhub --ibkr-transport clientportal` against the
simulator's Client Portal gateway (`tickhub-sim --client-portal-port 0`, HTTPS and WSS on one loopback port with a
certificate it makes at start). Quotes reach a /stream client, positions appear, the status names the transport.

Loopback only; every wait is bounded."""
import asyncio
import datetime
import json
import re
import time

import pytest

from conftest import ROOT, start_simulator
from tickhub_e2e import Hub, expect


def gateway_port(sim):
    """The Client Portal port from the simulator's listening line (`clientportal=N clientportalCert=PATH`)."""
    assert "clientportal" in sim.fields, f"the simulator names no Client Portal port: {sim.fields}"
    return int(sim.fields["clientportal"])


@pytest.fixture
def gateway():
    sim = start_simulator("--client-portal-port", "0", "--portfolio", str(ROOT / "config" / "sim-portfolio.json"))
    yield sim
    sim.stop()


@pytest.fixture
def portal_hub(gateway):
    hub = Hub("--ibkr-transport", "clientportal", "--ibkr-host", "127.0.0.1", "--ibkr-port", str(gateway_port(gateway)),
              demo=False)
    yield hub
    hub.stop()


def test_status_names_the_transport_and_the_session_comes_up(portal_hub):
    status = portal_hub.wait_for_ibkr("ready", timeout=20)
    assert status["transport"] == "clientportal"
    assert status["accounts"], status
    assert status["connectedSince"] is not None
    # The gateway's own name and version (its auth status's serverInfo), and the pace kept with it.
    gateway = status["gateway"]
    assert gateway["serverName"] == "TickhubSim" and gateway["serverVersion"].startswith("Build "), gateway
    assert 1 <= gateway["requestsLast10s"] <= 100 and gateway["tooManyRequests"] == 0, gateway
    assert gateway["penaltyUntil"] is None
    health = portal_hub.get("/api/health").json()
    assert health["ibkr"] == {"transport": "clientportal", "serverName": gateway["serverName"],
                              "serverVersion": gateway["serverVersion"]}, health


def test_quotes_reach_a_stream_client(portal_hub):
    portal_hub.wait_for_ibkr("ready", timeout=20)

    async def scenario():
        async with portal_hub.connect() as ws:
            await ws.send(json.dumps({"op": "subscribe", "symbols": ["AAPL", "MSFT"]}))
            seen = {}
            deadline = time.monotonic() + 20
            while len([s for s, q in seen.items() if q.get("bid") and q.get("ask") and not q.get("stale")]) < 2:
                assert time.monotonic() < deadline, f"quotes so far: {seen}"
                message = json.loads(await asyncio.wait_for(ws.recv(), timeout=max(0.1, deadline - time.monotonic())))
                for item in message if isinstance(message, list) else [message]:
                    if item.get("type") == "quote" and item.get("source") == "ibkr":
                        seen[item["symbol"]] = item
            for quote in seen.values():
                assert 0 < quote["bid"] <= quote["ask"], quote

    asyncio.run(scenario())


def listed_friday(days_ahead=60):
    """A Friday about two months ahead: inside the months the gateway lists options in, whatever the day."""
    day = datetime.date.today() + datetime.timedelta(days=days_ahead)
    return day + datetime.timedelta(days=(4 - day.weekday()) % 7)


def test_an_option_a_pair_and_a_coin_stream(portal_hub):
    """Each kind's contract found at the gateway its own way (secdef info for the option's month, strike and right;
    currency pairs; the coin's search result), then streamed like a stock; an option on no listed day ends unknown."""
    portal_hub.wait_for_ibkr("ready", timeout=20)
    friday = listed_friday()
    option = f"SPY {friday:%y%m%d}C00560000"
    symbols = [option, "EUR.USD", "BTC"]

    async def scenario():
        async with portal_hub.connect() as ws:
            await ws.send(json.dumps({"op": "subscribe", "symbols": symbols}))
            seen = {}
            deadline = time.monotonic() + 30
            while set(seen) != set(symbols):
                assert time.monotonic() < deadline, f"live IBKR quotes so far: {sorted(seen)}"
                message = json.loads(await asyncio.wait_for(ws.recv(), timeout=max(0.1, deadline - time.monotonic())))
                for item in message if isinstance(message, list) else [message]:
                    if (item.get("type") == "quote" and item.get("source") == "ibkr" and item.get("bid")
                            and item.get("ask") and not item.get("stale")):
                        seen[item["symbol"]] = item
            for quote in seen.values():
                assert 0 < quote["bid"] <= quote["ask"], quote
            # The option streams as one: its greeks (a call's delta between 0 and 1) come with its prices.
            assert 0 < seen[option].get("delta", 0) < 1, seen[option]
            assert 0.5 < seen["EUR.USD"]["bid"] < 2, seen["EUR.USD"]
            assert seen["BTC"]["bid"] > 1000, seen["BTC"]

    asyncio.run(scenario())
    # A Saturday has no option listed: the gateway's answer ends it as unknown, as TWS's 200 does.
    saturday = friday + datetime.timedelta(days=1)
    response = portal_hub.get(f"/api/market-data/quote/SPY%20{saturday:%y%m%d}C00560000")
    assert response.status == 404, response.json()
    assert response.json()["error"]["code"] == "unknown_symbol"


def test_positions_appear(portal_hub):
    portal_hub.wait_for_ibkr("ready", timeout=20)
    deadline = time.monotonic() + 30
    while True:
        body = portal_hub.get("/api/positions").json()
        ibkr = [p for p in body["positions"] if p.get("broker") == "ibkr"]
        if ibkr:
            break
        assert time.monotonic() < deadline, f"no IBKR positions after 30 s: {body}"
        time.sleep(0.2)
    assert all(p["quantity"] != 0 for p in ibkr), ibkr


def test_positions_of_every_kind_are_valued_from_the_gateways_quotes(portal_hub):
    """The gateway's stock, option, forex and crypto positions each map to an instrument the hub values, marked by
    IBKR quotes streamed over the Client Portal (the option, pair and coin found by their own lookups)."""
    portal_hub.wait_for_ibkr("ready", timeout=20)
    wanted = {"AAPL", "MSFT", "SPY 271217C00600000", "EUR.USD", "BTC"}
    deadline = time.monotonic() + 30
    while True:
        body = portal_hub.get("/api/portfolio/pnl").json()
        valued = {p["symbol"]: p for p in body["positions"]
                  if p.get("quoteSource") == "ibkr" and not p.get("stale") and (p.get("marketPrice") or 0) > 0}
        if wanted <= set(valued) and body["totals"]["unvalued"] == 0:
            break
        assert time.monotonic() < deadline, f"valued from IBKR after 30 s: {sorted(valued)}; totals {body['totals']}"
        time.sleep(0.2)
    assert 0.5 < valued["EUR.USD"]["marketPrice"] < 2, valued["EUR.USD"]
    assert valued["BTC"]["marketPrice"] > 1000, valued["BTC"]


def fault(gateway, name):
    import urllib.request
    request = urllib.request.Request(f"http://127.0.0.1:{gateway.fields['control']}/fault/{name}", method="POST", data=b"")
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200


def wait_status(hub, predicate, timeout=20):
    deadline = time.monotonic() + timeout
    while True:
        status = hub.get("/api/ibkr/status").json()
        if predicate(status):
            return status
        assert time.monotonic() < deadline, f"IBKR status still {status}"
        time.sleep(0.05)


def test_logged_out_says_where_to_log_in_and_recovers(gateway, portal_hub):
    portal_hub.wait_for_ibkr("ready", timeout=20)
    fault(gateway, "cp-logged-out")
    down = wait_status(portal_hub, lambda s: s["state"] != "ready" and "log in at https://127.0.0.1:" in (s["lastError"] or ""))
    assert down["transport"] == "clientportal"
    fault(gateway, "cp-logged-in")
    wait_status(portal_hub, lambda s: s["state"] == "ready")


def test_competing_session_is_degraded_until_it_ends(gateway, portal_hub):
    portal_hub.wait_for_ibkr("ready", timeout=20)
    fault(gateway, "cp-competing")
    wait_status(portal_hub, lambda s: s["state"] == "degraded" and s.get("degraded") == ["competingSession"])
    fault(gateway, "cp-competing-ended")
    wait_status(portal_hub, lambda s: s["state"] == "ready")


def test_a_pinned_certificate_is_trusted(gateway, tmp_path):
    config = tmp_path / "tickhub.json"
    config.write_text(json.dumps({"ibkr": {"clientPortal": {"certificate": gateway.fields["clientportalCert"]}}}))
    hub = Hub("--config", str(config), "--ibkr-transport", "clientportal", "--ibkr-host", "localhost",
              "--ibkr-port", str(gateway_port(gateway)), demo=False)
    try:
        assert hub.wait_for_ibkr("ready", timeout=20)["transport"] == "clientportal"
    finally:
        hub.stop()


def test_demo_over_the_client_portal():
    hub = Hub("--ibkr-transport", "clientportal")
    try:
        status = hub.wait_for_ibkr("ready", timeout=20)
        assert status["transport"] == "clientportal"
        # The demo portfolio's five: stocks, the option, the pair and the coin, each with its instrument.
        body = hub.wait_for_positions(count=5, timeout=30)
        assert {p["symbol"] for p in body["positions"]} >= {"AAPL", "MSFT", "EUR.USD", "BTC"}
    finally:
        hub.stop()


def test_a_burst_of_500_symbols_stays_under_the_gateways_pacing(gateway, portal_hub):
    """500 symbols at once mean 500 contract lookups: the hub spreads them at IBKR's 10 a second, so the simulated
    gateway (which paces as IBKR does, 429 and a penalty box past 10 in any second) never refuses one."""
    import string
    import urllib.request
    portal_hub.wait_for_ibkr("ready", timeout=20)
    letters = string.ascii_uppercase
    symbols = [f"Q{a}{b}{c}" for a in letters for b in letters for c in letters][:500]

    def gateway_status():
        with urllib.request.urlopen(f"http://127.0.0.1:{gateway.fields['control']}/clientportal/status", timeout=5) as r:
            return json.loads(r.read())

    window_start = time.monotonic()
    before = gateway_status()

    async def scenario():
        async with portal_hub.connect(max_size=2 ** 24) as ws:
            await ws.send(json.dumps({"op": "subscribe", "symbols": symbols}))
            await asyncio.sleep(8)

    asyncio.run(scenario())
    after = gateway_status()
    elapsed = time.monotonic() - window_start
    sent = after["requests"] - before["requests"]
    print(f"500 symbols: {sent} gateway requests in {elapsed:.1f} s, {after['tooManyRequests'] - before['tooManyRequests']} refused")
    assert after["tooManyRequests"] == before["tooManyRequests"], after
    assert portal_hub.get("/api/ibkr/status").json()["state"] == "ready"
    # Lookups went on the whole time, at no more than the gateway allows (a second's burst of 10 at most besides).
    assert 20 <= sent <= 10 * elapsed + 10, (sent, elapsed)


# Recovery: for each fault the gateway simulates, the time from its end (for a drop or an expiry, from the fault
# itself) until a fresh AAPL quote from IBKR reaches a stream client. One gateway and one hub for them all, in
# turn; the hub's penalty box is a little longer than the gateway's, as IBKR's is unknown to the hub to the second.
GATEWAY_PENALTY_S = 6
HUB_PENALTY_S = 7
# The portfolio read every 5 s (IBKR's least) is sure to meet the penalty before it ends.
PORTFOLIO_S = 5
OUTAGE_S = 3
# Generous against a backoff that restarts with each fault; a stream that comes back in minutes is a bug.
RECOVERY_LIMIT_S = 20

# name: (fault posted, how the hub shows it meanwhile, what ends it or None, seconds after which it ends by itself)
FAULTS = {
    "logged out": ("cp-logged-out", lambda s: s["state"] != "ready", "cp-logged-in", 0),
    "competing": ("cp-competing", lambda s: s["state"] == "degraded", "cp-competing-ended", 0),
    "session expired": ("cp-session-expired", None, None, 0),
    "429 penalty": (f"cp-penalty?seconds={GATEWAY_PENALTY_S}", lambda s: "429" in (s["lastError"] or ""), None,
                    GATEWAY_PENALTY_S),
    "nightly outage": (f"cp-outage?seconds={OUTAGE_S}", None, None, OUTAGE_S),
    "dropped WebSocket": ("cp-drop-websocket", None, None, 0),
}


@pytest.fixture(scope="module")
def recovery_gateway():
    sim = start_simulator("--client-portal-port", "0", "--client-portal-penalty-seconds", str(GATEWAY_PENALTY_S))
    yield sim
    sim.stop()


@pytest.fixture(scope="module")
def recovery_hub(recovery_gateway, tmp_path_factory):
    config = tmp_path_factory.mktemp("recovery") / "tickhub.json"
    config.write_text(json.dumps({"ibkr": {"clientPortal": {"penaltySeconds": HUB_PENALTY_S, "portfolioSeconds": PORTFOLIO_S}}}))
    hub = Hub("--config", str(config), "--ibkr-transport", "clientportal", "--ibkr-host", "127.0.0.1",
              "--ibkr-port", str(gateway_port(recovery_gateway)), demo=False)
    yield hub
    hub.stop()


def live_aapl_after(since_us):
    return lambda m: (m.get("type") == "quote" and m.get("symbol") == "AAPL" and m.get("source") == "ibkr"
                      and not m.get("stale") and m.get("t", 0) > since_us)


@pytest.mark.parametrize("name", list(FAULTS))
def test_recovery_after_each_fault(recovery_gateway, recovery_hub, name):
    posted, shown, ender, lasts = FAULTS[name]
    recovery_hub.wait_for_ibkr("ready", timeout=30)

    async def scenario():
        async with recovery_hub.connect() as ws:
            await ws.send(json.dumps({"op": "subscribe", "symbols": ["AAPL"]}))
            await expect(ws, live_aapl_after(0), timeout=20, what="a live AAPL quote before the fault")
            posted_at = time.time()
            fault(recovery_gateway, posted)
            # The hub noticed: AAPL marked stale on the stream. Only a quote after that counts as the recovery (one
            # already on its way when the fault struck does not).
            await expect(ws, lambda m: m.get("type") == "quote" and m.get("symbol") == "AAPL" and m.get("stale") is True,
                         timeout=RECOVERY_LIMIT_S, what=f"AAPL marked stale after {name}")
            if shown is not None:
                await asyncio.to_thread(wait_status, recovery_hub, shown)
            if ender is not None:
                fault(recovery_gateway, ender)
                ended_at = time.time()
            else:
                ended_at = posted_at + lasts
            await asyncio.sleep(max(0.0, ended_at - time.time()))
            await expect(ws, live_aapl_after(int(ended_at * 1_000_000)), timeout=RECOVERY_LIMIT_S,
                         what=f"a fresh AAPL quote after {name}")
            return time.time() - ended_at

    took = asyncio.run(scenario())
    print(f"recovery {name}: {took:.2f} s")
    assert took < RECOVERY_LIMIT_S, took
    assert recovery_hub.get("/api/ibkr/status").json()["state"] == "ready"


def test_a_429_is_a_penalty_box_not_a_retry_storm(tmp_path):
    sim = start_simulator("--client-portal-port", "0", "--client-portal-penalty-seconds", "3")
    config = tmp_path / "tickhub.json"
    config.write_text(json.dumps({"ibkr": {"clientPortal": {"penaltySeconds": 4}}}))
    hub = Hub("--config", str(config), "--ibkr-transport", "clientportal", "--ibkr-host", "127.0.0.1",
              "--ibkr-port", str(gateway_port(sim)), demo=False)
    try:
        hub.wait_for_ibkr("ready", timeout=20)
        fault(sim, "cp-penalty?seconds=3")
        boxed = wait_status(hub, lambda s: "429" in (s["lastError"] or ""))
        assert boxed["state"] == "reconnecting", boxed
        # The status says when the box ends, on the wall clock, and counts the 429.
        assert boxed["gateway"]["tooManyRequests"] == 1, boxed
        assert 0 < boxed["gateway"]["penaltyUntil"] - time.time() * 1000 <= 4_000, boxed
        with urllib_request(f"http://127.0.0.1:{sim.fields['control']}/clientportal/status") as r:
            refused_then = json.loads(r.read())["tooManyRequests"]
        wait_status(hub, lambda s: s["state"] == "ready", timeout=30)
        with urllib_request(f"http://127.0.0.1:{sim.fields['control']}/clientportal/status") as r:
            refused_after = json.loads(r.read())["tooManyRequests"]
        # The hub sent nothing while boxed: no 429 beyond the first.
        assert refused_after - refused_then <= 1, (refused_then, refused_after)
    finally:
        hub.stop()
        sim.stop()


def urllib_request(url):
    import urllib.request
    return urllib.request.urlopen(url, timeout=5)


def gateway_history(gateway, query):
    """The simulated gateway's own /iserver/marketdata/history answer, over TLS trusting the PEM it wrote."""
    import http.client
    import ssl
    context = ssl.create_default_context(cafile=gateway.fields["clientportalCert"])
    connection = http.client.HTTPSConnection("127.0.0.1", gateway_port(gateway), context=context, timeout=10)
    try:
        connection.request("GET", "/v1/api/iserver/marketdata/history?" + query, headers={"User-Agent": "e2e"})
        response = connection.getresponse()
        assert response.status == 200, (response.status, response.read())
        return json.loads(response.read())
    finally:
        connection.close()


def test_chart_bars_come_from_ibkr_over_the_client_portal(gateway, portal_hub):
    """A chart on a hub with the clientportal transport: IBKR's bars from /iserver/marketdata/history (source ibkr,
    not a fallback), a day of whole ordered minutes, and daily bars that are the gateway's own: each on its trading
    date, its close as IBKR gave it and its volume in shares (IBKR's hundreds times volumeFactor)."""
    import urllib.request

    def gateway_status():
        with urllib.request.urlopen(f"http://127.0.0.1:{gateway.fields['control']}/clientportal/status", timeout=5) as r:
            return json.loads(r.read())

    portal_hub.wait_for_ibkr("ready", timeout=20)
    before = gateway_status()
    response = portal_hub.get("/api/market-data/bars/AAPL?interval=1m&range=1d", timeout=30)
    assert response.status == 200, response
    body = response.json()
    assert body["source"] == "ibkr" and body["symbol"] == "AAPL" and body["interval"] == "1m", body
    bars = body["bars"]
    # The simulated clock is 10:00 New York on a trading day: at least the session's first half hour.
    assert len(bars) >= 30, len(bars)
    times = [b["time"] for b in bars]
    assert times == sorted(set(times))
    for b in bars:
        assert b["time"] % 60_000 == 0, b
        assert 0 < b["low"] <= min(b["open"], b["close"]) <= max(b["open"], b["close"]) <= b["high"], b
        assert b["volume"] is not None and b["volume"] >= 0, b
    after = gateway_status()
    assert after["historyRequests"] > before["historyRequests"], (before, after)
    assert after["historyMostAtOnce"] <= 5 and after["tooManyRequests"] == before["tooManyRequests"], after

    daily = portal_hub.get("/api/market-data/bars/AAPL?interval=1d&range=3mo", timeout=30).json()
    assert daily["source"] == "ibkr", daily
    by_time = {b["time"]: b for b in daily["bars"]}
    assert len(by_time) >= 40 and all(t % 86_400_000 == 0 for t in by_time), sorted(by_time)
    raw = gateway_history(gateway, "conid=265598&period=30d&bar=1d&outsideRth=false")
    assert raw["volumeFactor"] == 100 and len(raw["data"]) >= 15, raw
    for row in raw["data"]:
        # IBKR stamps a daily bar at the session's open (14:30 UTC in winter); the hub files it under its date.
        date = (row["t"] + 8 * 3_600_000) // 86_400_000 * 86_400_000
        assert datetime.datetime.fromtimestamp(row["t"] / 1000, datetime.timezone.utc).hour in (13, 14), row
        bar = by_time.get(date)
        if bar is None and date == max(by_time) + 86_400_000:
            continue  # the day forming as the two were asked
        assert bar is not None, (row, sorted(by_time)[-5:])
        if date != max(by_time):
            assert bar["close"] == row["c"] and abs(bar["volume"] - row["v"] * 100) < 1, (bar, row)


def test_a_chart_streams_over_the_client_portal(gateway, portal_hub):
    """A /stream bars subscription on the clientportal transport: the series at once from IBKR's history, then bar
    updates, and the followed series' newest bars read again from the gateway (which streams none) while the chart
    is open."""
    import urllib.request

    def history_requests():
        with urllib.request.urlopen(f"http://127.0.0.1:{gateway.fields['control']}/clientportal/status", timeout=5) as r:
            return json.loads(r.read())["historyRequests"]

    portal_hub.wait_for_ibkr("ready", timeout=20)

    async def scenario():
        async with portal_hub.connect() as ws:
            await ws.send(json.dumps({"op": "subscribe", "bars": [{"symbol": "AAPL", "interval": "1m"}]}))
            series = await expect(ws, lambda m: m.get("type") == "bars", timeout=20, what="the AAPL series")
            assert series["source"] == "ibkr" and len(series["bars"]) >= 30, series
            update = await expect(ws, lambda m: m.get("type") == "bar" and m.get("source") == "ibkr", timeout=20,
                                  what="a bar from IBKR")
            assert update["symbol"] == "AAPL" and update["interval"] == "1m" and update["time"] % 60_000 == 0, update
            assert update["time"] >= series["bars"][-1]["time"] - 60_000, (update, series["bars"][-1])
            # Re-read every 10 s: within 15 s the gateway is asked again, with the chart still open.
            asked = history_requests()
            deadline = time.monotonic() + 15
            while history_requests() == asked:
                assert time.monotonic() < deadline, "the followed series was not read again"
                await asyncio.sleep(0.2)

    asyncio.run(scenario())


def quote_times(hub, symbol, seconds):
    """The monotonic times at which a /stream client got a live IBKR quote of `symbol`, over `seconds`."""
    async def scenario():
        times = []
        async with hub.connect() as ws:
            await ws.send(json.dumps({"op": "subscribe", "symbols": [symbol]}))
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                try:
                    message = json.loads(await asyncio.wait_for(ws.recv(), timeout=max(0.05, deadline - time.monotonic())))
                except asyncio.TimeoutError:
                    break
                for item in message if isinstance(message, list) else [message]:
                    if item.get("type") == "quote" and item.get("source") == "ibkr" and not item.get("stale") \
                            and not item.get("snapshot"):
                        times.append(time.monotonic())
        return times
    return asyncio.run(scenario())


@pytest.mark.parametrize("renew", [1.5, None])
def test_stream_subscriptions_are_renewed_before_the_gateway_ends_them(tmp_path, renew):
    """IBKR ends a WebSocket subscription 10 minutes after its `smd`; the simulated gateway here ends them after 3 s.
    Renewed every 1.5 s, a symbol's quotes go on and no subscription ends; left at the default renewal (9 minutes),
    the same symbol falls silent within a few seconds, which is what the renewal is for."""
    import urllib.request
    sim = start_simulator("--client-portal-port", "0", "--client-portal-subscription-seconds", "3")
    config = tmp_path / "tickhub.json"
    settings = {"ibkr": {"clientPortal": {"subscriptionRenewSeconds": renew}}} if renew else {}
    config.write_text(json.dumps(settings))
    hub = Hub("--config", str(config), "--ibkr-transport", "clientportal", "--ibkr-host", "127.0.0.1",
              "--ibkr-port", str(gateway_port(sim)), demo=False)
    try:
        hub.wait_for_ibkr("ready", timeout=20)
        started = time.monotonic()
        times = quote_times(hub, "AAPL", 9)
        with urllib.request.urlopen(f"http://127.0.0.1:{sim.fields['control']}/clientportal/status", timeout=5) as r:
            expired = json.loads(r.read())["subscriptionsExpired"]
        late = [t for t in times if t - started > 6.5]
        if renew:
            assert expired == 0, f"{expired} subscriptions ended although renewed every {renew} s"
            assert late, f"no fresh AAPL quote after 6.5 s although renewed; {len(times)} in all"
        else:
            assert expired >= 1 and not late, f"expired {expired}, {len(late)} quotes after 6.5 s"
    finally:
        hub.stop()
        sim.stop()
