"""IBKR through the Client Portal transport, end to end: `tickhub --ibkr-transport clientportal` against the
simulator's Client Portal gateway (`tickhub-sim --client-portal-port 0`, HTTPS and WSS on one loopback port with a
certificate it makes at start). Quotes reach a /stream client, positions appear, the status names the transport.

Loopback only; every wait is bounded."""
import asyncio
import json
import re
import time

import pytest

from conftest import ROOT, start_simulator
from tickhub_e2e import Hub


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
        body = hub.wait_for_positions(count=3, timeout=30)
        assert {p["symbol"] for p in body["positions"]} >= {"AAPL", "MSFT"}
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


def fresh_quote_after(hub, since_us, timeout=30):
    """Waits until AAPL's quote is live and newer than `since_us` (the hub's `t`); returns the seconds it took."""
    started = time.monotonic()
    while True:
        quote = hub.get("/api/market-data/quote/AAPL").json()
        if not quote.get("stale") and quote.get("t", 0) > since_us:
            return time.monotonic() - started
        assert time.monotonic() - started < timeout, f"AAPL not fresh again: {quote}; IBKR {hub.get('/api/ibkr/status').json()}"
        time.sleep(0.05)


@pytest.mark.parametrize("name", ["cp-drop-websocket", "cp-session-expired", "cp-outage?seconds=3"])
def test_the_stream_comes_back_after(gateway, portal_hub, name):
    portal_hub.wait_for_ibkr("ready", timeout=20)
    fresh_quote_after(portal_hub, 0)
    fault(gateway, name)
    since = int(time.time() * 1_000_000)
    took = fresh_quote_after(portal_hub, since)
    print(f"{name}: AAPL live again after {took:.2f} s")
    assert portal_hub.get("/api/ibkr/status").json()["state"] == "ready"


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
