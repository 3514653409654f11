"""The routes the users' dashboards already call, CORS for the origins in `server.allowedOrigins`, and HEAD, over
real HTTP against a real hub connected to the TWS simulator.

Each alias must answer what its original answers. The market moves between two requests, so a comparison takes an
alias's answer between two of its original's and accepts it when it equals either (bounded tries)."""
import asyncio
import functools
import http.server
import json
import socket
import threading
import time

import pytest

from conftest import ROOT, start_simulator
from tickhub_e2e import Hub, expect

PAGE = """<!doctype html><meta charset="utf-8"><title>another origin's dashboard</title>"""


class Pages:
    """Two sites on loopback ports of their own, each serving one page: one whose origin the hub allows, one whose
    origin it does not. The origins exist before the hub starts, so it can be told the first."""

    def __init__(self, directory):
        (directory / "index.html").write_text(PAGE)
        handler = functools.partial(QuietHandler, directory=str(directory))
        self.servers = [http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) for _ in range(2)]
        self.threads = [threading.Thread(target=server.serve_forever, daemon=True) for server in self.servers]
        for thread in self.threads:
            thread.start()
        self.allowed, self.other = (f"http://127.0.0.1:{server.server_address[1]}" for server in self.servers)

    def stop(self):
        for server in self.servers:
            server.shutdown()
            server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    pages = Pages(tmp_path_factory.mktemp("pages"))
    yield pages
    pages.stop()


@pytest.fixture(scope="module")
def simulator():
    # A slow market (a tick a second across every subscription) keeps answers comparable from one request to the next.
    sim = start_simulator("--portfolio", str(ROOT / "config" / "sim-portfolio.json"), "--tick-rate", "1",
                          "--account-update-interval", "1")
    yield sim
    sim.stop()


def hub_on(simulator, *extra, client_id=1, **options):
    """A hub of IBKR alone, on the simulator; each hub at once needs a client id of its own, as with TWS."""
    hub = Hub("--offline", "--ibkr-port", simulator.fields["port"], "--ibkr-client-id", str(client_id), *extra, demo=False, **options)
    try:
        hub.wait_for_ibkr("ready", **({"headers": {"Authorization": f"Bearer {options['token']}"}} if options.get("token") else {}))
    except BaseException:
        hub.stop()
        raise
    return hub


@pytest.fixture(scope="module")
def hub(simulator, pages):
    hub = hub_on(simulator, env={"TICKHUB_ALLOWED_ORIGINS": pages.allowed})
    wait_for("IBKR's positions, valued", lambda: len([p for p in hub.get("/api/brokers/ibkr/positions").json().get("positions", [])
                                                      if p.get("marketValue") is not None]) >= 3)
    wait_for("IBKR's balances", lambda: hub.get("/api/brokers/ibkr/balances").status == 200
             and any(b["tag"] == "NetLiquidation" for b in hub.get("/api/brokers/ibkr/balances").json()["balances"]))
    yield hub
    hub.stop()


def wait_for(what, condition, timeout=15):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
    return value


def steady(body):
    """The answer without the moment it was made (`t`, microseconds, differs on every request)."""
    return {k: v for k, v in body.items() if k != "t"} if isinstance(body, dict) else body


def same_as_original(hub, alias, original, method="GET", pick=lambda body: body, tries=40):
    """The alias's answer equals its original's, taken just before or just after it."""
    for _ in range(tries):
        before = hub.request(method, original)
        answer = hub.request(method, alias)
        after = hub.request(method, original)
        assert answer.status == before.status == 200, (alias, answer, before)
        assert answer.headers["content-type"] == before.headers["content-type"]
        got = pick(steady(answer.json()))
        if got in (pick(steady(before.json())), pick(steady(after.json()))):
            return got
    raise AssertionError(f"{alias} never answered what {original} did in {tries} tries: {answer.text[:300]}")


@pytest.mark.parametrize("alias, original", [
    ("/api/trading/ibkr/positions", "/api/brokers/ibkr/positions"),
    ("/api/trading/portfolio/summary", "/api/portfolio/summary"),
    ("/api/portfolio/combined", "/api/portfolio/pnl"),
])
def test_each_alias_answers_what_its_original_answers(hub, alias, original):
    body = same_as_original(hub, alias, original)
    if "positions" in body and isinstance(body["positions"], list):
        assert {p["symbol"] for p in body["positions"]} >= {"AAPL", "MSFT"}, body


def test_the_trading_status_is_the_ibkr_status(hub):
    # Message rates move every second; what identifies the link does not.
    keys = ("state", "host", "port", "clientId", "serverVersion", "connectedSince", "accounts")
    body = same_as_original(hub, "/api/trading/ibkr/status", "/api/ibkr/status", pick=lambda b: {k: b.get(k) for k in keys})
    assert body["state"] == "ready" and body["accounts"] == ["DU1234567"]


def test_health_shows_the_broker_connected_then_disconnected_then_connected(simulator, hub):
    health = hub.get("/health")
    assert health.status == 200 and health.headers["content-type"] == "application/json"
    broker = health.json()["broker"]
    assert broker == {**broker, "connected": True, "host": "127.0.0.1", "port": int(simulator.fields["port"]), "clientId": 1}
    assert health.json()["status"] in ("ok", "degraded")
    try:
        off = hub.post("/api/trading/ibkr/disconnect")
        assert off.status == 200 and off.json()["state"] == "disconnected", off
        after = hub.get("/health").json()
        assert after["broker"]["connected"] is False and after["broker"]["state"] == "disconnected", after
        # The link's address is still what it was configured to be.
        assert after["broker"]["port"] == int(simulator.fields["port"])
        on = hub.post("/api/brokers/ibkr/connect")
        assert on.status == 200 and on.json()["state"] in ("connecting", "ready"), on
    finally:
        hub.post("/api/ibkr/connect")
        hub.wait_for_ibkr("ready")
    assert hub.get("/health").json()["broker"]["connected"] is True


def test_the_account_is_ibkrs_balances_by_name(hub):
    def account_and_tags():
        account = hub.get("/api/trading/ibkr/account").json()
        tags = {b["tag"]: float(b["value"]) for b in hub.get("/api/brokers/ibkr/balances").json()["balances"]
                if b["currency"] == "USD" and b["tag"] != "Currency"}
        return account, tags
    for _ in range(40):
        account, tags = account_and_tags()
        if account["netLiquidation"] == tags["NetLiquidation"]:
            break
    assert account["currency"] == "USD"
    assert account["netLiquidation"] == tags["NetLiquidation"] and account["cash"] == tags["TotalCashValue"] == 250000.0
    assert account["buyingPower"] == tags["BuyingPower"]
    assert [a["account"] for a in account["accounts"]] == ["DU1234567"]


def test_combined_pnl_is_the_pnl_totals_by_broker(hub):
    body = same_as_original(hub, "/api/portfolio/combined/pnl", "/api/portfolio/pnl",
                            pick=lambda b: {"totals": b["totals"], "byBroker": b["byBroker"]})
    assert "ibkr" in body["byBroker"] and body["totals"]["positions"] >= 3


def test_a_broker_connects_only_when_it_has_a_link_to_make(hub):
    created = hub.post("/api/positions", headers={"Content-Type": "application/json"},
                       body=json.dumps({"broker": "tastytrade", "account": "5WT1", "symbol": "IBM", "quantity": 1, "averageCost": 150}))
    assert created.status == 201, created
    wait_for("the manual broker in the P&L view", lambda: "tastytrade" in hub.get("/api/portfolio/combined/pnl").json()["byBroker"])
    refused = hub.post("/api/brokers/tastytrade/connect")
    assert refused.status == 409 and refused.json()["error"]["code"] == "not_connectable", refused
    unknown = hub.post("/api/brokers/schwab/connect")
    assert unknown.status == 404 and unknown.json()["error"]["code"] == "unknown_broker", unknown
    wrong_method = hub.get("/api/brokers/ibkr/connect")
    assert wrong_method.status == 405 and wrong_method.headers["allow"] == "POST, OPTIONS"


# CORS

def test_an_allowed_origin_is_named_back_and_another_gets_no_cors_header(hub, pages):
    allowed = hub.get("/api/portfolio/summary", headers={"Origin": pages.allowed})
    assert allowed.status == 200
    assert allowed.headers["access-control-allow-origin"] == pages.allowed and allowed.headers["vary"] == "origin"
    other = hub.get("/api/portfolio/summary", headers={"Origin": pages.other})
    assert other.status == 200 and "access-control-allow-origin" not in other.headers, other.headers
    # An answer worked out off the service thread (the IBKR status) carries it too, and so does a refusal.
    assert hub.get("/api/trading/ibkr/status", headers={"Origin": pages.allowed}).headers["access-control-allow-origin"] == pages.allowed
    assert hub.get("/api/nothing", headers={"Origin": pages.allowed}).headers["access-control-allow-origin"] == pages.allowed


def test_a_preflight_from_an_allowed_origin_gets_the_paths_methods(hub, pages):
    answer = hub.request("OPTIONS", "/api/trading/ibkr/connect", headers={
        "Origin": pages.allowed, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type, x-debug"})
    assert answer.status == 204 and answer.body == b"", answer
    assert answer.headers["access-control-allow-origin"] == pages.allowed
    assert answer.headers["access-control-allow-methods"] == "POST"
    assert answer.headers["access-control-allow-headers"] == "content-type"
    assert int(answer.headers["access-control-max-age"]) > 0
    assert "content-length" not in answer.headers, "a 204 has no Content-Length (RFC 9110 8.6)"
    read = hub.request("OPTIONS", "/api/portfolio/summary", headers={"Origin": pages.allowed, "Access-Control-Request-Method": "GET"})
    assert read.status == 204 and read.headers["access-control-allow-methods"] == "GET, HEAD"
    assert "access-control-allow-private-network" not in read.headers
    # Chromium's Private Network Access asks before a page on another network reaches a loopback hub.
    private = hub.request("OPTIONS", "/api/portfolio/summary", headers={
        "Origin": pages.allowed, "Access-Control-Request-Method": "GET", "Access-Control-Request-Private-Network": "true"})
    assert private.status == 204 and private.headers["access-control-allow-private-network"] == "true"


def test_a_preflight_from_another_origin_is_refused_without_cors_headers(hub, pages):
    answer = hub.request("OPTIONS", "/api/portfolio/summary", headers={"Origin": pages.other, "Access-Control-Request-Method": "GET"})
    assert answer.status == 403 and answer.json()["error"]["code"] == "origin_not_allowed"
    assert not [h for h in answer.headers if h.startswith("access-control-")], answer.headers


def test_an_allowed_origin_may_post_and_another_may_not(hub, pages):
    allowed = hub.post("/api/trading/ibkr/connect", headers={"Origin": pages.allowed})
    assert allowed.status == 200 and allowed.headers["access-control-allow-origin"] == pages.allowed, allowed
    other = hub.post("/api/trading/ibkr/connect", headers={"Origin": pages.other})
    assert other.status == 403 and other.json()["error"]["code"] == "origin_not_allowed"


def test_the_stream_admits_the_origins_cors_allows(hub, pages):
    """The guard on /stream upgrades reads the same allowlist: what may read the API may open the stream."""
    async def scenario():
        async with hub.connect(origin=pages.allowed) as ws:
            await ws.send(json.dumps({"op": "subscribe", "symbols": ["AAPL"]}))
            await expect(ws, lambda m: m.get("type") == "quote" and m.get("symbol") == "AAPL", 10, "an AAPL quote")
    asyncio.run(asyncio.wait_for(scenario(), 20))
    # lws answers a refused upgrade in HTTP/1.0, which the websockets client does not parse: read on the wire.
    refused = raw(hub.port, (f"GET /stream HTTP/1.1\r\nHost: 127.0.0.1:{hub.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                             f"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nOrigin: {pages.other}\r\n\r\n").encode())
    assert refused.split(b"\r\n", 1)[0].split()[1] == b"403" and b"server.allowedOrigins" in refused, refused[:300]


def test_an_options_request_that_is_no_preflight_lists_the_methods(hub):
    answer = hub.request("OPTIONS", "/health")
    assert answer.status == 204 and answer.headers["allow"] == "GET, HEAD, OPTIONS"
    assert hub.request("DELETE", "/api/trading/ibkr/status").headers["allow"] == "GET, HEAD, OPTIONS"


def test_without_an_allowlist_no_cors_header_is_sent(simulator, pages):
    hub = hub_on(simulator, client_id=2)
    try:
        answer = hub.get("/api/portfolio/summary", headers={"Origin": pages.allowed})
        assert answer.status == 200 and not [h for h in answer.headers if h.startswith("access-control-") or h == "vary"]
        preflight = hub.request("OPTIONS", "/api/portfolio/summary", headers={"Origin": pages.allowed, "Access-Control-Request-Method": "GET"})
        assert preflight.status == 403
    finally:
        hub.stop()


def test_a_preflight_needs_no_token_and_the_request_after_it_does(simulator, pages):
    token = "user-routes-token"
    hub = hub_on(simulator, client_id=3, token=token, env={"TICKHUB_ALLOWED_ORIGINS": pages.allowed})
    try:
        preflight = hub.request("OPTIONS", "/api/portfolio/summary", headers={
            "Origin": pages.allowed, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization"})
        assert preflight.status == 204 and preflight.headers["access-control-allow-headers"] == "authorization", preflight
        refused = hub.get("/api/portfolio/summary", headers={"Origin": pages.allowed})
        # The page can read why: the 401 carries the origin too.
        assert refused.status == 401 and refused.headers["access-control-allow-origin"] == pages.allowed
        assert hub.get("/health").status == 401
        granted = hub.get("/api/portfolio/summary", headers={"Origin": pages.allowed, "Authorization": f"Bearer {token}"})
        assert granted.status == 200 and granted.headers["access-control-allow-origin"] == pages.allowed
    finally:
        hub.stop()


# HEAD

def raw(port, data, timeout=5.0):
    """Sends `data` on one connection and reads until the hub closes it (bounded)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        received, deadline = b"", time.monotonic() + timeout
        while time.monotonic() < deadline:
            chunk = s.recv(65536)
            if not chunk:
                break
            received += chunk
        return received


@pytest.mark.parametrize("path", ["/health", "/api/trading/ibkr/account", "/api/trading/portfolio/summary", "/api/portfolio/combined"])
def test_head_sends_the_gets_headers_and_no_body(hub, path, pages):
    for _ in range(40):
        get = hub.get(path, headers={"Origin": pages.allowed})
        wire = raw(hub.port, (f"HEAD {path} HTTP/1.1\r\nHost: 127.0.0.1:{hub.port}\r\nOrigin: {pages.allowed}\r\n\r\n"
                              f"GET /api/nothing HTTP/1.1\r\nHost: 127.0.0.1:{hub.port}\r\nConnection: close\r\n\r\n").encode())
        head, _, rest = wire.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        # The next response starts right after HEAD's headers: no body was sent.
        assert lines[0].startswith("HTTP/1.1 200") and rest.startswith(b"HTTP/1.1 404"), (path, wire[:400])
        assert headers["content-type"] == get.headers["content-type"]
        assert headers["access-control-allow-origin"] == pages.allowed
        if int(headers["content-length"]) == len(get.body):
            return
    raise AssertionError(f"HEAD {path} never announced the length GET sent: {headers['content-length']} vs {len(get.body)}")


# Chromium: the browser itself enforces CORS, so this is what a dashboard on another origin really gets.

FETCH = """async ([hub, method, headers]) => {
    try {
        const response = await fetch(hub + "/api/" + (method === "GET" ? "portfolio/summary" : "trading/ibkr/connect"),
                                     {method, headers, body: method === "GET" ? undefined : "{}"});
        return {ok: true, status: response.status, body: await response.json()};
    } catch (error) {
        return {ok: false, error: String(error)};
    }
}"""


def test_a_page_from_an_allowed_origin_reads_and_writes_and_another_is_blocked(browser, hub, pages):
    base = f"http://127.0.0.1:{hub.port}"
    context = browser.new_context()
    try:
        page = context.new_page()
        refused = []
        page.on("console", lambda message: refused.append(message.text) if "CORS" in message.text else None)
        page.goto(pages.allowed + "/index.html")
        read = page.evaluate(FETCH, [base, "GET", {}])
        assert read["ok"] and read["status"] == 200 and "unrealizedPnl" in read["body"], read
        # JSON with a token header is no "simple" request: the browser preflights it, and the hub grants it.
        write = page.evaluate(FETCH, [base, "POST", {"Content-Type": "application/json", "Authorization": "Bearer none-needed"}])
        assert write["ok"] and write["status"] == 200 and write["body"]["state"] in ("connecting", "ready"), write
        assert not refused, refused

        page.goto(pages.other + "/index.html")
        blocked = page.evaluate(FETCH, [base, "GET", {}])
        assert not blocked["ok"] and "Failed to fetch" in blocked["error"], blocked
        preflighted = page.evaluate(FETCH, [base, "POST", {"Content-Type": "application/json"}])
        assert not preflighted["ok"], preflighted
        # A "simple" POST is sent without a preflight; the hub refuses it, so the link stays up.
        page.evaluate("""async (url) => { try { await fetch(url, {method: "POST", mode: "no-cors", body: "x"}); } catch (e) {} }""",
                      base + "/api/trading/ibkr/disconnect")
        assert hub.get("/api/ibkr/status").json()["state"] == "ready"
        assert any("CORS" in text for text in refused), refused
    finally:
        context.close()
