"""The HTTP API end to end: a real `tickhub --demo` and http.client over loopback."""
import asyncio
import json
import re
import subprocess
import time

import pytest
import websockets

from conftest import BIN, ROOT
from tickhub_e2e import QUOTE_FIELDS, Hub, RawWebSocket, assert_quote_shape, environment, expect, ready_hub


@pytest.fixture(scope="module")
def api_hub():
    """One hub for the tests that only read; tests that change IBKR state or need a fresh hub take `fresh_hub`."""
    with ready_hub() as hub:
        yield hub


def error_of(response):
    body = response.json()
    assert set(body) == {"error"} and isinstance(body["error"]["message"], str) and body["error"]["message"], body
    assert response.headers["content-type"] == "application/json"
    return body["error"]["code"]


# 1. Single quotes


def test_quote_for_a_streamed_symbol(api_hub):
    response = api_hub.get("/api/market-data/quote/AAPL")
    assert response.status == 200, response
    assert response.headers["content-type"] == "application/json"
    quote = response.json()
    assert_quote_shape(quote)
    assert quote["symbol"] == "AAPL" and quote["stale"] is False
    assert quote["bid"] < quote["ask"] and quote["last"] > 0
    assert "snapshot" not in quote
    # Lower case is the same instrument.
    assert api_hub.get("/api/market-data/quote/aapl").json()["symbol"] == "AAPL"


def regular_session_open(kind, moment):
    """The documented sessions, written again from docs/protocol.md: New York time, no holidays."""
    import datetime
    import zoneinfo
    local = datetime.datetime.fromtimestamp(moment, zoneinfo.ZoneInfo("America/New_York"))
    minutes, weekday = local.hour * 60 + local.minute, local.isoweekday()  # 1 Monday … 7 Sunday
    if kind == "crypto":
        return True
    if kind == "fx":
        return not (weekday == 6 or (weekday == 7 and minutes < 17 * 60) or (weekday == 5 and minutes >= 17 * 60))
    return weekday <= 5 and 9 * 60 + 30 <= minutes < 16 * 60


OPTION = "SPY 271217C00600000"


@pytest.mark.parametrize("market_clock", ["2026-12-02T10:30:00-05:00", "2026-12-05T12:00:00-05:00"])
def test_quotes_say_whether_their_market_is_open_on_the_markets_clock(market_clock):
    """`--market-clock` (the demo's simulator starts at it too): a Wednesday morning, every market open; a Saturday
    noon, only crypto trades. The hub judges sessions on that clock, not the machine's."""
    import datetime
    start = datetime.datetime.fromisoformat(market_clock).timestamp()
    with ready_hub("--market-clock", market_clock) as hub:
        for symbol, kind in [("AAPL", "stock"), ("EUR.USD", "fx"), ("BTC", "crypto"), (OPTION, "stock")]:
            quote = hub.get("/api/market-data/quote/" + symbol.replace(" ", "%20")).json()
            assert quote["marketOpen"] is regular_session_open(kind, start), (market_clock, symbol, quote)


def test_options_carry_greeks(api_hub):
    option = OPTION
    deadline = time.monotonic() + 5
    while "delta" not in (quote := api_hub.get("/api/market-data/quote/" + option.replace(" ", "%20")).json()):
        assert time.monotonic() < deadline, f"no greeks on {quote}"
        time.sleep(0.05)
    assert 0 < quote["delta"] < 1 and quote["impliedVolatility"] > 0 and quote["underlyingPrice"] > 0
    assert {"gamma", "vega", "theta"} <= quote.keys()
    assert "delta" not in api_hub.get("/api/market-data/quote/AAPL").json()


def test_prices_print_the_decimal_they_stand_for(api_hub):
    """No binary noise (230.10000000000002) in any price: at most the instrument's decimals (FX 6, the rest 4), and
    percentages with two decimals at most."""
    def places(text):
        return len(text.split(".")[1]) if "." in text else 0 if "e" not in text.lower() else 99

    checked = 0
    for _ in range(20):
        body = json.loads(api_hub.get("/api/market-data/quotes?symbols=AAPL,MSFT,EUR.USD,BTC,SPY%20271217C00600000").text,
                          parse_float=lambda text: ("number", text))
        for quote in body["quotes"]:
            limit = 6 if "." in quote["symbol"] else 4
            for name in ("bid", "ask", "last", "open", "high", "low", "close", "change", "underlyingPrice"):
                if isinstance(quote.get(name), tuple):
                    assert places(quote[name][1]) <= limit, (quote["symbol"], name, quote[name][1])
                    checked += 1
            if isinstance(quote["changePercent"], tuple):
                assert places(quote["changePercent"][1]) <= 2, quote
        time.sleep(0.02)
    assert checked > 100


def test_quote_for_a_symbol_nobody_subscribed_is_fetched_on_demand(fresh_hub):
    # Only the symbols the demo account holds are wanted so far; IBM is not among them.
    assert "IBM" not in fresh_hub.get("/api/health").json()["sources"]
    started = time.monotonic()
    response = fresh_hub.get("/api/market-data/quote/IBM")
    elapsed = time.monotonic() - started
    assert response.status == 200, response
    assert elapsed < 2.5, elapsed
    quote = response.json()
    assert quote["symbol"] == "IBM" and QUOTE_FIELDS <= quote.keys()
    # And it keeps streaming: a later request sees a newer quote.
    deadline = time.monotonic() + 5
    while fresh_hub.get("/api/market-data/quote/IBM").json()["seq"] <= quote["seq"]:
        assert time.monotonic() < deadline, "IBM stopped updating after the first quote"
        time.sleep(0.05)


def test_unknown_and_invalid_symbols(api_hub):
    response = api_hub.get("/api/market-data/quote/ZZZZ")
    assert response.status == 404, response
    assert error_of(response) == "unknown_symbol"
    assert "ZZZZ" in response.json()["error"]["message"]
    # Known to be unknown now: answered at once.
    started = time.monotonic()
    assert api_hub.get("/api/market-data/quote/ZZZZ").status == 404
    assert time.monotonic() - started < 1

    response = api_hub.get("/api/market-data/quote/AA%24L")
    assert response.status == 400, response
    assert error_of(response) == "invalid_symbol"
    assert "AA$L" in response.json()["error"]["message"]
    response = api_hub.get("/api/market-data/quote/" + "A" * 40)
    assert response.status == 400 and error_of(response) == "invalid_symbol"


def test_symbol_over_the_line_budget_is_unavailable(tmp_path):
    config = tmp_path / "tickhub.json"
    config.write_text(json.dumps({"ibkr": {"lineBudget": 1}}))
    hub = Hub("--config", str(config))
    try:
        hub.wait_for_ibkr("ready")
        assert hub.get("/api/market-data/quote/AAPL").status == 200
        started = time.monotonic()
        response = hub.get("/api/market-data/quote/MSFT")
        elapsed = time.monotonic() - started
        assert response.status == 503, response
        assert error_of(response) == "unavailable"
        assert "MSFT" in response.json()["error"]["message"]
        assert "budget" in response.json()["error"]["message"], response
        assert 1.5 < elapsed < 4, elapsed
        status = hub.get("/api/ibkr/status").json()
        assert status["lineBudget"] == 1 and status["linesInUse"] == 1, status
    finally:
        hub.stop()


# 2. Several quotes


def test_quotes_for_several_symbols(api_hub):
    response = api_hub.get("/api/market-data/quotes?symbols=AAPL,MSFT,ZZZZ")
    assert response.status == 200, response
    body = response.json()
    assert set(body) == {"quotes", "errors"}
    assert sorted(q["symbol"] for q in body["quotes"]) == ["AAPL", "MSFT"]
    for quote in body["quotes"]:
        assert_quote_shape(quote)
    assert len(body["errors"]) == 1, body["errors"]
    error = body["errors"][0]
    assert error["symbol"] == "ZZZZ" and error["code"] == "unknown_symbol" and error["message"], error

    response = api_hub.get("/api/market-data/quotes?symbols=AAPL,AA$L")
    assert response.status == 400 and error_of(response) == "invalid_symbol"
    response = api_hub.get("/api/market-data/quotes")
    assert response.status == 400 and error_of(response) == "bad_request"


# 3. Health


def test_health_counts_websocket_clients(fresh_hub):
    hub = fresh_hub
    health = hub.get("/api/health").json()
    assert health["status"] == "ok", health
    assert health["providers"][0]["name"] == "ibkr" and health["providers"][0]["state"] == "ready", health
    assert health["clients"] == 0

    async def scenario():
        async with hub.connect() as ws:
            await ws.send(json.dumps({"op": "subscribe", "symbols": ["AAPL"]}))
            await expect(ws, lambda m: m.get("type") == "quote", 10, "an AAPL quote")
            health = (await asyncio.to_thread(hub.get, "/api/health")).json()
            assert health["clients"] == 1 and health["subscriptions"] == 1, health
            assert health["providers"][0]["servingSymbols"] >= 1

    asyncio.run(asyncio.wait_for(scenario(), 20))
    deadline = time.monotonic() + 5
    while hub.get("/api/health").json()["clients"] != 0:  # the close is processed asynchronously
        assert time.monotonic() < deadline, "the closed client is still counted"
        time.sleep(0.05)


# 4. IBKR status and control


def test_ibkr_status_disconnect_and_connect(fresh_hub):
    hub = fresh_hub
    status = hub.get("/api/ibkr/status").json()
    simulator_port = int(re.search(r"TWS simulator on 127\.0\.0\.1:(\d+)", hub.stderr_so_far()).group(1))
    assert status["state"] == "ready"
    assert status["port"] == simulator_port and status["host"] == "127.0.0.1"
    assert status["clientId"] == 1 and status["serverVersion"] == 176
    assert status["accounts"] == ["DU1234567"]

    response = hub.post("/api/ibkr/disconnect")
    assert response.status == 200, response
    assert response.json()["state"] == "disconnected"
    assert hub.get("/api/ibkr/status").json()["state"] == "disconnected"
    assert hub.get("/api/health").json()["status"] in ("degraded", "down")

    response = hub.post("/api/ibkr/connect")
    assert response.status == 200, response
    assert response.json()["state"] in ("connecting", "ready")
    status = hub.wait_for_ibkr("ready", timeout=10)
    assert status["serverVersion"] == 176 and status["accounts"] == ["DU1234567"]
    assert hub.get("/api/health").json()["status"] == "ok"


# 5. Metrics


def metric(text, name):
    match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.M)
    assert match, f"no {name} in /metrics"
    return float(match.group(1))


def test_metrics(api_hub):
    hub = api_hub
    assert hub.get("/api/market-data/quote/AAPL").status == 200  # something is streaming

    async def scenario():
        async with hub.connect() as ws:
            await ws.send(json.dumps({"op": "subscribe", "symbols": ["AAPL", "MSFT"]}))
            for _ in range(5):
                await expect(ws, lambda m: m.get("type") == "quote", 10, "quotes")
            return await asyncio.to_thread(hub.get, "/metrics")

    first = asyncio.run(asyncio.wait_for(scenario(), 20))
    assert first.status == 200
    assert first.headers["content-type"].startswith("text/plain")
    text = first.text
    assert metric(text, "tickhub_clients") == 1
    assert "# TYPE tickhub_updates_in_total counter" in text
    buckets = re.findall(r'^tickhub_fanout_latency_seconds_bucket\{le="([^"]+)"\} (\d+)$', text, re.M)
    assert len(buckets) >= 5 and buckets[-1][0] == "+Inf"
    counts = [int(c) for _, c in buckets]
    assert counts == sorted(counts) and counts[-1] == metric(text, "tickhub_fanout_latency_seconds_count") > 0
    assert re.search(r'^tickhub_provider_state\{provider="ibkr",state="ready"\} 1$', text, re.M)
    assert re.search(r'^tickhub_provider_state\{provider="ibkr",state="disconnected"\} 0$', text, re.M)
    assert re.search(r'^tickhub_provider_available\{provider="ibkr"\} 1$', text, re.M)

    updates = metric(text, "tickhub_updates_in_total")
    deadline = time.monotonic() + 5
    while metric(hub.get("/metrics").text, "tickhub_updates_in_total") <= updates:
        assert time.monotonic() < deadline, "tickhub_updates_in_total did not increase"
        time.sleep(0.05)


# 6. Unknown paths and wrong methods


def test_unknown_path_and_wrong_method(api_hub):
    for path in ("/api/nope", "/api/market-data", "/nope.html"):
        response = api_hub.get(path)
        assert response.status == 404, (path, response)
        assert error_of(response) == "not_found"
    for method, path in (("POST", "/api/health"), ("DELETE", "/api/market-data/quote/AAPL"),
                         ("GET", "/api/ibkr/connect"), ("POST", "/metrics")):
        response = api_hub.request(method, path)
        assert response.status == 405, (method, path, response)
        assert error_of(response) == "method_not_allowed"


# 7. Security


def test_listening_beyond_loopback_needs_a_token():
    with environment(TICKHUB_TOKEN=None):
        try:
            result = subprocess.run([str(BIN / "tickhub"), "--listen", "0.0.0.0:0"], capture_output=True, text=True,
                                    timeout=15, cwd=ROOT)
        except subprocess.TimeoutExpired:
            pytest.fail("tickhub --listen 0.0.0.0:0 without TICKHUB_TOKEN kept running")
    assert result.returncode != 0
    assert "TICKHUB_TOKEN" in result.stderr and "0.0.0.0" in result.stderr, result.stderr
    assert "listening" not in result.stdout


TOKEN = "tok-4f1d9c2e7a"


def test_token_protects_api_and_stream_and_never_leaks():
    hub = Hub(token=TOKEN)
    bodies = []

    def get(path, **kw):
        response = hub.get(path, **kw)
        bodies.append(response.text)
        return response

    try:
        response = get("/api/health")
        assert response.status == 401, response
        assert error_of(response) == "unauthorized"
        assert get("/api/health", headers={"Authorization": "Bearer wrong"}).status == 401
        assert get("/api/health?token=wrong").status == 401
        assert get("/metrics").status == 401
        assert get("/api/health", headers={"Authorization": f"Bearer {TOKEN}"}).status == 200
        assert get(f"/api/health?token={TOKEN}").status == 200
        assert get(f"/metrics?token={TOKEN}").status == 200
        deadline = time.monotonic() + 10
        while get(f"/api/ibkr/status?token={TOKEN}").json()["state"] != "ready":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert get(f"/api/market-data/quote/AAPL?token={TOKEN}").status == 200
        assert get(f"/api/market-data/quote/ZZZZ?token={TOKEN}").status == 404
        assert get(f"/api/nope?token={TOKEN}").status == 404
        response = hub.post(f"/api/ibkr/status?token={TOKEN}")
        bodies.append(response.text)
        assert response.status == 405

        # WebSocket upgrades: a wrong token is refused at the upgrade; none at all is let in, but the first
        # message must then present it, and anything else (or a wrong one) closes the connection with 1008.
        raw = RawWebSocket(hub.port, "/stream?token=wrong")
        try:
            assert not raw.upgraded and " 401" in raw.response_head.splitlines()[0], raw.response_head
        finally:
            raw.close()

        async def refused(first_message):
            async with hub.connect("/stream") as ws:
                await ws.send(json.dumps(first_message))
                seen = []
                with pytest.raises(websockets.ConnectionClosed) as closed:
                    while True:
                        seen.append(json.loads(await asyncio.wait_for(ws.recv(), 5)))
                assert seen == [], seen          # not one quote before the token
                assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008, closed.value
                bodies.append(closed.value.rcvd.reason)

        async def scenario():
            with pytest.raises(websockets.InvalidHandshake):
                async with hub.connect("/stream", additional_headers={"Authorization": "Bearer wrong"}):
                    pass
            await refused({"op": "subscribe", "symbols": ["AAPL"]})
            await refused({"op": "auth", "token": "wrong"})
            for kw, first in (({"path": f"/stream?token={TOKEN}"}, None),
                              ({"additional_headers": {"Authorization": f"Bearer {TOKEN}"}}, None),
                              ({}, {"op": "auth", "token": TOKEN})):
                async with hub.connect(**kw) as ws:
                    seen = []
                    if first:
                        await ws.send(json.dumps(first))
                        await expect(ws, lambda m: m.get("type") == "authenticated", 5, "authenticated", seen)
                    await ws.send(json.dumps({"op": "subscribe", "symbols": ["AAPL", "A$"]}))
                    await expect(ws, lambda m: m.get("type") == "quote", 10, "a quote", seen)
                    await ws.send("not json")
                    await expect(ws, lambda m: m.get("code") == "bad_json", 5, "bad_json", seen)
                    bodies.extend(json.dumps(m) for m in seen)

        asyncio.run(asyncio.wait_for(scenario(), 30))
    finally:
        stdout, stderr = hub.output()
    for text in bodies + [stdout, stderr, " ".join(f"{k}={v}" for k, v in hub.fields.items())]:
        assert TOKEN not in text


# 8. OpenAPI document


def test_openapi_document_is_served(api_hub):
    response = api_hub.get("/api/openapi.yaml")
    assert response.status == 200, response
    assert response.headers["content-type"].startswith("application/yaml")
    assert re.search(r"^openapi: ?['\"]?3\.", response.text, re.M), response.text[:200]
    assert "/api/market-data/quote/{symbol}" in response.text
    assert response.body == (ROOT / "docs" / "openapi.yaml").read_bytes()


def test_every_error_code_the_hub_answers_with_is_in_the_openapi_enum():
    """Programs switch on `error.code`: a code the spec does not list is a code no client was written for."""
    spec = (ROOT / "docs" / "openapi.yaml").read_text()
    block = re.search(r"description: Stable, for programs\s+enum: \[([^\]]+)\]", spec)
    assert block, "the Error schema's code enum"
    documented = {c.strip() for c in block.group(1).replace("\n", " ").split(",")}
    sent = set()
    for folder in ("TickhubServer", "Portfolio", "TickhubApp"):
        for path in (ROOT / "Sources" / folder).glob("*.swift"):
            text = path.read_text()
            sent |= set(re.findall(r'\.error\(\d+, code: "([a-z_]+)"', text))
            sent |= set(re.findall(r'RequestError\("([a-z_]+)"', text))
            sent |= set(re.findall(r'Refusal\(status: \d+, code: "([a-z_]+)"', text))
            assert not re.search(r'RequestError\("[a-z_]*\\\(', text), f"{path.name} builds an error code at run time"
    assert sent, "found no error codes in the sources"
    assert sent - documented == set(), f"codes the hub sends that docs/openapi.yaml does not list: {sorted(sent - documented)}"
