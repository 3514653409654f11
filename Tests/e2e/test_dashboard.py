"""Mission Control in a real browser (Debian's Chromium, through Playwright) against a real `tickhub --demo`,
plus the OpenAPI document against the same kind of hub. (The Python client's tests are in test_python_client.py.)"""
import json
import pathlib
import re
import urllib.error
import urllib.request

import pytest
import yaml
from playwright.sync_api import expect

from conftest import ROOT, start_hub

expect.set_options(timeout=10_000)

ARTIFACTS = pathlib.Path(__file__).resolve().parent / "artifacts"

ROWS = "tr[data-symbol]"
ALL_STALE = "() => { const r = [...document.querySelectorAll('tr[data-symbol]')]; return r.length > 0 && r.every(e => e.dataset.stale === 'true'); }"
ALL_LIVE = "() => { const r = [...document.querySelectorAll('tr[data-symbol]')]; return r.length > 0 && r.every(e => e.dataset.stale === 'false'); }"
TEXT_CHANGED = "([selector, before]) => { const e = document.querySelector(selector); return !!e && e.textContent !== before; }"
STOCK_PRICE = re.compile(r"^\d{1,3}(,\d{3})*\.\d{2}$")
FX_PRICE = re.compile(r"^\d+\.\d{5}$")


def watch(page):
    """Records in `page.errors` the script errors and the page's files that fail to load, and in `page.scripts`
    each script loaded, with its content type."""
    errors = []
    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    # The browser's own reports of refused connections and 401s are expected in some tests; script errors are not.
    expected = ("WebSocket connection to", "Failed to load resource")
    page.on("console", lambda m: errors.append(f"console: {m.text}")
            if m.type == "error" and not m.text.startswith(expected) else None)

    # A module that does not load stops the page without a script error, and the browser's report of a 404 is
    # among those ignored above: a page file that fails to load is an error of its own.
    def failed(request, why):
        if request.resource_type in ("document", "script", "stylesheet"):
            errors.append(f"failed to load {request.url}: {why}")
    page.on("requestfailed", lambda request: failed(request, request.failure))
    page.on("response", lambda response: failed(response.request, response.status) if response.status >= 400 else None)
    page.scripts = []
    page.on("response", lambda response: page.scripts.append((response.url, response.headers.get("content-type", "")))
            if response.request.resource_type == "script" else None)
    page.errors = errors


@pytest.fixture
def page(browser):
    """A fresh page (fresh localStorage, so the default watchlist), watched."""
    context = browser.new_context(viewport={"width": 1400, "height": 640})
    page = context.new_page()
    page.set_default_timeout(10_000)
    watch(page)
    yield page
    context.close()


def get_json(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


def cell(symbol, field):
    return f'tr[data-symbol="{symbol}"] [data-field="{field}"]'


def wait_text_change(page, selector, before, timeout=10_000):
    page.wait_for_function(TEXT_CHANGED, arg=[selector, before], timeout=timeout)
    return page.locator(selector).inner_text()


def test_dashboard_streams_quotes_and_controls_ibkr(hub, page):
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(hub.fields["url"])

    # The page loads every module of clients/dashboard, each served as JavaScript: a browser refuses to run a
    # module served as anything else.
    modules = sorted(path.name for path in (ROOT / "clients" / "dashboard").glob("*.js"))
    expect(page.locator("#ws-state")).to_have_attribute("data-state", "open")
    assert sorted(url.rsplit("/", 1)[1] for url, _ in page.scripts) == modules, page.scripts
    assert all(kind.startswith("text/javascript") for _, kind in page.scripts), page.scripts

    # The header: IBKR connected, with its connection details; the stream is live.
    ibkr = page.locator("#ibkr-state")
    expect(ibkr).to_have_attribute("data-state", "ready")
    expect(ibkr).to_have_text("Connected")
    expect(page.locator("#ws-state")).to_have_attribute("data-state", "open")
    expect(page.locator("#ibkr-host")).to_have_text("127.0.0.1")
    expect(page.locator("#ibkr-port")).to_have_text(re.compile(r"^\d+$"))
    expect(page.locator("#ibkr-client-id")).to_have_text("1")
    expect(page.locator("#connect")).to_be_disabled()
    expect(page.locator("#disconnect")).to_be_enabled()

    # The default watchlist, live, formatted per instrument: stocks with 2 decimals, FX with 5.
    expect(page.locator(ROWS)).to_have_count(4)
    assert page.locator(ROWS).evaluate_all("rows => rows.map(r => r.dataset.symbol)") == ["AAPL", "MSFT", "EUR.USD", "BTC"]
    expect(page.locator(cell("AAPL", "last"))).to_have_text(STOCK_PRICE)
    expect(page.locator(cell("EUR.USD", "bid"))).to_have_text(FX_PRICE)
    expect(page.locator(cell("EUR.USD", "last"))).to_have_text(FX_PRICE)  # FX does not trade: the midpoint
    expect(page.locator(cell("AAPL", "changePercent"))).to_have_text(re.compile(r"^[+−]?\d+\.\d{2}%$"))
    expect(page.locator(cell("AAPL", "volume"))).to_have_text(re.compile(r"^\d{1,3}(,\d{3})+$"))
    expect(page.locator(cell("AAPL", "source")).locator('[data-badge="source"]')).to_have_text("IBKR")

    # Client-side validation: nothing is added, the reason is shown.
    page.fill("#symbol-input", "not a symbol!")
    page.click("#add-symbol")
    expect(page.locator("#message")).to_have_attribute("data-kind", "error")
    expect(page.locator("#message")).to_contain_text("not a symbol")
    expect(page.locator(ROWS)).to_have_count(4)

    # Add a symbol: its price appears, then changes; the watchlist is kept in localStorage.
    page.fill("#symbol-input", "googl")
    page.click("#add-symbol")
    googl = page.locator('tr[data-symbol="GOOGL"]')
    expect(googl).to_have_count(1)
    expect(page.locator(cell("GOOGL", "last"))).to_have_text(STOCK_PRICE)
    first = page.locator(cell("GOOGL", "last")).inner_text()
    wait_text_change(page, cell("GOOGL", "last"), first)
    expect(googl).to_have_attribute("data-stale", "false")
    expect(googl).to_have_attribute("data-source", "ibkr")
    expect(googl.locator("svg.spark")).to_have_attribute("data-points", re.compile(r"^([2-9]|\d\d+)$"))
    assert page.evaluate("JSON.parse(localStorage.getItem('tickhub.watchlist'))") == ["AAPL", "MSFT", "EUR.USD", "BTC", "GOOGL"]

    # A symbol the hub cannot serve: the server's message is shown, on the row too; then remove it.
    page.fill("#symbol-input", "ZZZZ")
    page.press("#symbol-input", "Enter")
    expect(page.locator("#message")).to_contain_text("no provider knows the instrument ZZZZ")
    zzzz = page.locator('tr[data-symbol="ZZZZ"]')
    expect(zzzz).to_have_attribute("data-error", "unknown_symbol")
    zzzz.locator("button.remove").click()
    expect(zzzz).to_have_count(0)
    assert "ZZZZ" not in page.evaluate("JSON.parse(localStorage.getItem('tickhub.watchlist'))")

    # Disconnect: the indicator says so and every quote is marked stale, not presented as live.
    page.click("#disconnect")
    expect(ibkr).to_have_attribute("data-state", "disconnected")
    expect(ibkr).to_have_text("Disconnected")
    page.wait_for_function(ALL_STALE, timeout=10_000)
    expect(googl.locator('[data-badge="stale"]')).to_be_visible()
    expect(page.locator("#connect")).to_be_enabled()
    expect(page.locator("#disconnect")).to_be_disabled()
    frozen = page.locator(cell("GOOGL", "last")).inner_text()
    page.screenshot(path=str(ARTIFACTS / "dashboard-disconnected.png"))

    # Connect: connected again, the stale marks go, prices move again.
    page.click("#connect")
    expect(ibkr).to_have_attribute("data-state", "ready")
    page.wait_for_function(ALL_LIVE, timeout=10_000)
    expect(googl.locator('[data-badge="stale"]')).to_have_count(0)
    wait_text_change(page, cell("GOOGL", "last"), frozen)
    expect(page.locator(ROWS)).to_have_count(5)

    page.wait_for_timeout(1500)  # let the sparklines grow a little for the picture
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"))
    assert page.errors == []


def test_dashboard_reconnects_and_resubscribes_after_a_hub_restart(browser, page):
    first = start_hub()
    port = first.fields["port"]
    try:
        page.goto(first.fields["url"])
        expect(page.locator("#ws-state")).to_have_attribute("data-state", "open")
        expect(page.locator(cell("AAPL", "last"))).to_have_text(STOCK_PRICE)
    finally:
        first.stop()

    # The hub is gone: the stream indicator says so and the last quotes stay, marked stale (positions too).
    expect(page.locator("#ws-state")).to_have_attribute("data-state", "closed")
    page.wait_for_function(ALL_STALE, timeout=10_000)
    expect(page.locator("#pnl-live")).to_have_attribute("data-state", "stale")

    second = start_hub(listen=f"127.0.0.1:{port}")
    try:
        expect(page.locator("#ws-state")).to_have_attribute("data-state", "open", timeout=20_000)
        page.wait_for_function(ALL_LIVE, timeout=10_000)
        before = page.locator(cell("AAPL", "last")).inner_text()
        wait_text_change(page, cell("AAPL", "last"), before)
        expect(page.locator("#ibkr-state")).to_have_attribute("data-state", "ready")
        # …and to the `pnl` channel: the positions are live again.
        expect(page.locator("#pnl-live")).to_have_attribute("data-state", "live")
        # It subscribed again: the new hub has the watchlist's four symbols from this page.
        health = get_json(f"http://127.0.0.1:{port}/api/health")
        assert health["clients"] == 1 and health["subscriptions"] == 4
    finally:
        second.stop()
    assert page.errors == []


def test_dashboard_passes_its_token_on(browser):
    hub = start_hub(env={"TICKHUB_TOKEN": "s3cret"})
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        watch(page)
        page.goto(hub.fields["url"] + "#token=s3cret")
        expect(page.locator("#ws-state")).to_have_attribute("data-state", "open")
        expect(page.locator("#ibkr-state")).to_have_attribute("data-state", "ready")
        expect(page.locator(cell("AAPL", "last"))).to_have_text(STOCK_PRICE)
        # The token is taken out of the address bar and never put into a link.
        assert page.url == hub.fields["url"], page.url
        expect(page.locator("#link-openapi")).to_have_attribute("href", "api/openapi.yaml")
        assert page.errors == []
    finally:
        context.close()

    # Without it (a fresh tab keeps no token), the page says what is missing instead of spinning silently.
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        watch(page)
        page.goto(hub.fields["url"])
        expect(page.locator("#message")).to_have_attribute("data-code", "unauthorized")
        expect(page.locator("#ws-state")).not_to_have_attribute("data-state", "open")
        assert page.errors == []
    finally:
        context.close()
        hub.stop()


def test_http_api_matches_openapi(hub):
    validator_module = pytest.importorskip("openapi_schema_validator")
    base = f"http://127.0.0.1:{hub.fields['port']}"
    with urllib.request.urlopen(base + "/api/openapi.yaml", timeout=10) as response:
        assert response.headers["content-type"] == "application/yaml"
        spec = yaml.safe_load(response.read())
    assert spec["openapi"].startswith("3.0")

    def check(instance, schema_name):
        schema = {**spec["components"]["schemas"][schema_name], "components": spec["components"]}
        validator_module.OAS30Validator(schema).validate(instance)

    check(get_json(base + "/api/market-data/quote/AAPL"), "Quote")
    body = get_json(base + "/api/market-data/quotes?symbols=MSFT,EUR.USD,BTC,ZZZZ")
    check(body, "QuotesResponse")
    assert [q["symbol"] for q in body["quotes"]] == ["MSFT", "EUR.USD", "BTC"]
    assert body["errors"][0]["code"] == "unknown_symbol"
    check(get_json(base + "/api/health"), "Health")
    check(get_json(base + "/api/ibkr/status"), "IBKRStatus")
    for path, status, code in [("/api/market-data/quote/a%20b%20c", 400, "invalid_symbol"),
                               ("/api/market-data/quote/ZZZZ", 404, "unknown_symbol"),
                               ("/api/nope", 404, "not_found")]:
        with pytest.raises(urllib.error.HTTPError) as failure:
            urllib.request.urlopen(base + path, timeout=10)
        assert failure.value.code == status
        error = json.load(failure.value)
        check(error, "Error")
        assert error["error"]["code"] == code


def test_dashboard_shows_each_providers_state(hub, page):
    page.goto(hub.fields["url"])
    ibkr = page.locator('#providers [data-provider="ibkr"]')
    ibkr.wait_for(timeout=10_000)
    page.wait_for_function(
        """() => document.querySelector('#providers [data-provider="ibkr"]')?.dataset.available === 'true'""",
        timeout=10_000)
    assert "IBKR: ready" in ibkr.inner_text()
    # The demo hub runs with IBKR alone (TICKHUB_PROVIDERS=ibkr), so IBKR is the only provider listed.
    assert page.locator("#providers .provider").count() == 1
    assert page.errors == []


MONEY = re.compile(r"^[+−]?\d{1,3}(,\d{3})*\.\d{2}$")
POSITIONS = "#positions tbody tr[data-position]"
SIGN_MATCHES_VALUE = """() => [...document.querySelectorAll('#positions tbody td.pnl, #pnl-total td[data-sign]')].every(c => {
    const v = c.dataset.value === '' ? null : Number(c.dataset.value);
    const want = v == null ? '' : v > 0.004 ? 'up' : v < -0.004 ? 'down' : 'flat';
    return c.dataset.sign === want; })"""


def position(key, field):
    return f'#positions tr[data-position="{key}"] [data-field="{field}"]'


def post_json(url, body):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.load(response)


def test_positions_panel_shows_live_pnl(page, tmp_path):
    # Its own database: the manual position it adds must not reach other tests' hubs.
    hub = start_hub(env={"TICKHUB_DATA_DIR": str(tmp_path)})
    try:
        check_positions_panel(hub, page)
    finally:
        hub.stop()


def check_positions_panel(hub, page):
    ARTIFACTS.mkdir(exist_ok=True)
    base = f"http://127.0.0.1:{hub.fields['port']}"
    page.set_viewport_size({"width": 1400, "height": 1100})
    page.goto(hub.fields["url"])

    # The demo IBKR account's five positions, IBKR's first, each valued.
    held = get_json(base + "/api/portfolio/pnl")["positions"]
    assert len(held) == 5 and {p["broker"] for p in held} == {"ibkr"}
    account = held[0]["account"]
    keys = sorted(f"ibkr:{account}:{p['symbol']}" for p in held)
    rows = page.locator(POSITIONS)
    expect(rows).to_have_count(5)
    assert sorted(rows.evaluate_all("rs => rs.map(r => r.dataset.position)")) == keys
    aapl = f"ibkr:{account}:AAPL"
    assert {k.split(":")[2].split(" ")[0] for k in keys} == {"AAPL", "MSFT", "SPY", "EUR.USD", "BTC"}
    expect(page.locator(position(aapl, "quantity"))).to_have_text("100")
    expect(page.locator(position(aapl, "avgCost"))).to_have_text("190.25")
    expect(page.locator(position(aapl, "marketPrice"))).to_have_text(STOCK_PRICE)
    expect(page.locator(position(aapl, "marketValue"))).to_have_text(MONEY)
    expect(page.locator(position(aapl, "unrealizedPnl"))).to_have_text(MONEY)
    expect(page.locator(position(aapl, "dailyPnl"))).to_have_text(MONEY)
    expect(page.locator(position(aapl, "unrealizedPercent"))).to_have_text(re.compile(r"^[+−]?\d+\.\d{2}%$"))
    # IBKR's own figure beside Tickhub's, close to it (IBKR revalues less often).
    expect(page.locator(position(aapl, "brokerUnrealizedPnl"))).to_have_text(MONEY)
    ours = float(page.locator(position(aapl, "unrealizedPnl")).get_attribute("data-value"))
    theirs = float(page.locator(position(aapl, "brokerUnrealizedPnl")).get_attribute("data-value"))
    assert abs(ours - theirs) < 0.05 * abs(theirs) + 50, (ours, theirs)
    expect(page.locator(f'#positions tr[data-position="{aapl}"]')).to_have_attribute("data-stale", "false")
    expect(page.locator(f'{position(aapl, "marketPrice")} [data-badge="stale"]')).to_have_count(0)
    # Coloured by sign: green for a gain, red for a loss.
    page.wait_for_function(SIGN_MATCHES_VALUE)
    assert page.locator(position(aapl, "unrealizedPnl")).evaluate("c => getComputedStyle(c).color") in (
        "rgb(74, 222, 128)", "rgb(251, 113, 133)")

    # Live: AAPL's unrealized P&L moves with its quotes, over the `pnl` channel.
    expect(page.locator("#pnl-live")).to_have_attribute("data-state", "live")
    before = page.locator(position(aapl, "unrealizedPnl")).inner_text()
    wait_text_change(page, position(aapl, "unrealizedPnl"), before)

    # Totals and the summary.
    total = page.locator("#pnl-total")
    expect(total.locator('[data-field="positions"]')).to_have_attribute("data-value", "5")
    expect(total.locator('[data-field="unrealizedPnl"]')).to_have_text(MONEY)
    summary = page.locator("#pnl-summary")
    for field in ("netLiquidation", "cash", "marketValue", "unrealizedPnl", "dailyPnl"):
        expect(summary.locator(f'[data-field="{field}"]')).to_have_text(MONEY)

    # Allocation, by symbol and by broker; the history (recorded periodically: maybe nothing yet).
    expect(page.locator('#allocation [data-allocation^="symbol:"]')).to_have_count(5)
    expect(page.locator('#allocation [data-allocation="broker:ibkr"] .alloc-pct')).to_have_text("100.0%")
    history = page.locator("#pnl-history")
    if history.get_attribute("data-state") == "empty":
        expect(history).to_contain_text("No history yet")
    else:
        expect(history.locator("svg polyline")).not_to_have_count(0)

    # A manual position at another broker appears live, under its own tab.
    status, _ = post_json(base + "/api/positions",
                          {"broker": "tastytrade", "account": "5WT1", "symbol": "IBM", "quantity": 10, "averageCost": 180})
    assert status == 201
    ibm = "tastytrade:5WT1:IBM"
    expect(page.locator(f'#positions tr[data-position="{ibm}"]')).to_have_count(1)
    expect(page.locator(position(ibm, "marketPrice"))).to_have_text(STOCK_PRICE)
    expect(page.locator(position(ibm, "unrealizedPnl"))).to_have_text(MONEY)
    expect(rows).to_have_count(6)
    expect(total.locator('[data-field="positions"]')).to_have_attribute("data-value", "6")
    tab = page.locator('[data-broker-tab="tastytrade"]')
    expect(tab).to_have_text(re.compile(r"tastytrade\s*1"))
    tab.click()
    expect(tab).to_have_attribute("aria-selected", "true")
    expect(rows).to_have_count(1)
    expect(page.locator(f'#positions tr[data-position="{ibm}"]')).to_be_visible()
    expect(total.locator('[data-field="positions"]')).to_have_attribute("data-value", "1")
    expect(page.locator('#allocation [data-allocation="broker:tastytrade"]')).to_have_count(1)

    # The IBKR tab: IBKR's rows only, and their total beside IBKR's own.
    page.click('[data-broker-tab="ibkr"]')
    expect(rows).to_have_count(5)
    assert rows.evaluate_all("rs => rs.map(r => r.dataset.broker)") == ["ibkr"] * 5
    expect(total.locator('[data-field="positions"]')).to_have_attribute("data-value", "5")
    expect(total).to_contain_text("IBKR total")
    expect(total.locator('[data-field="brokerUnrealizedPnl"]')).to_have_text(MONEY)

    # Back to all of them for the picture.
    page.click('[data-broker-tab="all"]')
    expect(rows).to_have_count(6)
    page.wait_for_timeout(600)
    page.screenshot(path=str(ARTIFACTS / "dashboard-positions.png"), full_page=True)
    assert page.errors == []
