"""Mission Control says how old what it shows is, and shows it whole: in real Chromium against a real
`tickhub --demo` (the hub's built-in TWS simulator, whose demo account holds five IBKR positions).

- at a phone's width the quote table's symbol, last and change fit the screen and no summary figure is cut off;
- the positions header follows the data's age and the hub's stale flags, not the WebSocket: stale after an IBKR
  disconnect, or TWS losing its link to IBKR, while the stream stays open; live again after the reconnect;
- times are 24-hour, even in a browser whose locale writes 12-hour times."""
import json
import re
import time
import urllib.request

import pytest
from playwright.sync_api import expect

from conftest import ROOT, start_hub, start_simulator
from fake_providers import FakeProviders
from test_dashboard import ARTIFACTS, STOCK_PRICE, cell, page, watch  # noqa: F401  (page: the fixture)
from tickhub_e2e import Hub

expect.set_options(timeout=10_000)

OPTION = "SPY 271217C00600000"
AMBER = "rgb(252, 211, 77)"           # #fcd34d, .pnl-live[data-state="stale"]
RED = "rgb(253, 164, 175)"            # #fda4af, .pnl-live[data-state="long-stale"]

PHONE_FITS = """() => {
  const width = window.innerWidth;
  const rows = [...document.querySelectorAll('#quote-rows tr[data-symbol]')];
  if (rows.length < 5 || !rows.every(r => r.dataset.hasQuote === 'true')) return false;
  const inside = (e) => { const b = e.getBoundingClientRect(); return b.width > 0 && b.left >= 0 && b.right <= width; };
  return rows.every(r => ['th.col-symbol', '[data-field="last"]', '[data-field="changePercent"]']
      .every(s => inside(r.querySelector(s))))
    && document.documentElement.scrollWidth <= width;
}"""
SUMMARY_FILLED = """() => ['netLiquidation', 'cash', 'marketValue', 'unrealizedPnl', 'dailyPnl']
  .every(f => /\\d/.test(document.querySelector(`#pnl-summary dd[data-field="${f}"]`).textContent))"""
CLIPPED = """() => [...document.querySelectorAll('#pnl-summary dd')]
  .filter(d => d.scrollWidth > d.clientWidth || d.getBoundingClientRect().right > window.innerWidth)
  .map(d => `${d.dataset.field || d.dataset.asof}: ${d.textContent} (${d.scrollWidth} > ${d.clientWidth})`)"""
HEADER_IS = """([states, pattern]) => { const e = document.querySelector('#pnl-live');
  return states.includes(e.dataset.state) && new RegExp(pattern).test(e.textContent); }"""
AGE_PAST = """(ms) => Number(document.querySelector('#pnl-live').dataset.ageMs) > ms"""
AGE_TEXT = r"\d+(\.\d)? s ago|\d+ min ago"


def post(url):
    request = urllib.request.Request(url, data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.load(response)


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    watch(page)
    yield page
    context.close()


def test_phone_width_shows_symbol_last_and_change_and_whole_figures(hub, phone):
    ARTIFACTS.mkdir(exist_ok=True)
    page = phone
    # The default watchlist and the longest kind of symbol there is, an option.
    page.add_init_script(f"localStorage.setItem('tickhub.watchlist', JSON.stringify(['AAPL', 'MSFT', 'EUR.USD', 'BTC', '{OPTION}']))")
    page.goto(hub.fields["url"])
    expect(page.locator(cell("AAPL", "last"))).to_have_text(STOCK_PRICE)

    page.wait_for_function(PHONE_FITS)
    # What made room: the wide columns are not drawn, the three that matter are.
    assert page.locator(cell("AAPL", "bid")).is_hidden() and page.locator(cell("AAPL", "volume")).is_hidden()
    for field in ("last", "changePercent"):
        expect(page.locator(cell(OPTION, field))).to_be_visible()

    page.wait_for_function(SUMMARY_FILLED)
    assert page.evaluate(CLIPPED) == []
    page.screenshot(path=str(ARTIFACTS / "dashboard-phone.png"), full_page=True)
    assert page.errors == []


MARKET_MARKS_MATCH = """() => {
  const rows = [...document.querySelectorAll('#quote-rows tr[data-symbol]')];
  return rows.length > 0 && rows.every(r => {
    const q = window.tickhub.quote(r.dataset.symbol);
    if (!q) return false;
    const badge = r.querySelector('[data-badge="market"]');
    if (typeof q.marketOpen !== 'boolean') return badge.hidden && r.dataset.marketOpen === '';
    return !badge.hidden && r.dataset.marketOpen === String(q.marketOpen)
      && badge.textContent === (q.marketOpen ? 'open' : 'closed');
  });
}"""


def test_quote_rows_mark_the_market_and_an_options_greeks(hub, page):
    page.add_init_script(f"localStorage.setItem('tickhub.watchlist', JSON.stringify(['AAPL', 'BTC', '{OPTION}']))")
    page.goto(hub.fields["url"])
    expect(page.locator(cell(OPTION, "last"))).to_have_text(STOCK_PRICE)
    # Each row's mark is what its latest quote says (nothing where the hub does not say).
    page.wait_for_function(MARKET_MARKS_MATCH)

    # The option's delta and implied volatility under its symbol, as the hub computed them.
    with urllib.request.urlopen(f"http://127.0.0.1:{hub.fields['port']}/api/market-data/quote/{OPTION.replace(' ', '%20')}",
                                timeout=10) as response:
        quote = json.load(response)
    greeks = page.locator(f'tr[data-symbol="{OPTION}"] .greeks')
    if quote.get("delta") is None and quote.get("impliedVolatility") is None:
        expect(greeks).to_be_hidden()
    else:
        expect(greeks).to_be_visible()
        expect(greeks.locator('[data-field="delta"]')).to_have_text(re.compile(r"^Δ −?\d\.\d{3}$"))
        expect(greeks.locator('[data-field="impliedVolatility"]')).to_have_text(re.compile(r"^IV \d+\.\d%$"))
        shown = float(greeks.locator('[data-field="delta"]').get_attribute("data-value"))
        assert -1 <= shown <= 1 and abs(shown - quote["delta"]) < 0.2, (shown, quote["delta"])
    # A stock has none.
    expect(page.locator('tr[data-symbol="AAPL"] .greeks')).to_be_hidden()
    assert page.errors == []


def test_positions_header_follows_the_data_not_the_stream(hub, browser):
    base = f"http://127.0.0.1:{hub.fields['port']}"
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(10_000)
    watch(page)
    try:
        page.goto(hub.fields["url"])
        header = page.locator("#pnl-live")
        expect(page.locator("#positions tbody tr[data-position]")).to_have_count(5)

        # Fresh: every mark live, its newest quote seconds old.
        page.wait_for_function(HEADER_IS, arg=[["live"], f"^Live · last quote ({AGE_TEXT})$"])
        assert int(header.get_attribute("data-age-ms")) < 30_000
        # Net liquidation and cash say when the broker last reported them.
        for field in ("netLiquidation", "cash"):
            expect(page.locator(f'#pnl-summary [data-asof="{field}"]')).to_have_text(re.compile(rf"^updated ({AGE_TEXT})$"))
        expect(page.locator("#ws-state")).to_have_attribute("data-state", "open")

        # IBKR goes: the stream stays open, but every position is now the last known price. The header says
        # so, in amber, with the age, and the age keeps growing with no message arriving.
        status, _ = post(base + "/api/ibkr/disconnect")
        assert status == 200
        page.wait_for_function(HEADER_IS, arg=[["stale", "long-stale"], f"^Stale · 5 of 5 not live · last quote ({AGE_TEXT})$"])
        expect(page.locator("#ws-state")).to_have_attribute("data-state", "open")
        assert header.evaluate("e => getComputedStyle(e).color") in (AMBER, RED)
        assert page.locator('#positions tr[data-position][data-stale="true"]').count() == 5
        expect(page.locator('#pnl-summary dd[data-field="unrealizedPnl"]')).to_have_count(1)
        assert page.locator("#pnl-summary .card[data-freshness]").evaluate_all(
            "cards => cards.map(c => c.dataset.freshness)") == ["stale"] * 3
        age = int(header.get_attribute("data-age-ms"))
        page.wait_for_function(AGE_PAST, arg=age + 1500, timeout=5_000)
        page.screenshot(path=str(ARTIFACTS / "dashboard-positions-stale.png"))

        # Back: live again, young again.
        status, _ = post(base + "/api/ibkr/connect")
        assert status in (200, 202)
        page.wait_for_function(HEADER_IS, arg=[["live"], f"^Live · last quote ({AGE_TEXT})$"], timeout=15_000)
        assert int(header.get_attribute("data-age-ms")) < 30_000
        assert page.locator('#positions tr[data-position][data-stale="true"]').count() == 0

        # Long stale is red: the thresholds as the page judges them (waiting five minutes is not a test).
        judged = page.evaluate("""async () => {
            const { freshness, POSITION_LIMITS: p, ACCOUNT_LIMITS: a } = await import('./freshness.js');
            return [freshness({ ageMs: 1000 }, p), freshness({ ageMs: 1000, flaggedStale: true }, p),
                    freshness({ ageMs: 1000, streamLive: false }, p), freshness({ ageMs: 31000 }, p),
                    freshness({ ageMs: 301000, flaggedStale: true }, p), freshness({ ageMs: null }, p),
                    freshness({ ageMs: 200000 }, a), freshness({ ageMs: 250000 }, a), freshness({ ageMs: 901000 }, a),
                    freshness({ ageMs: 400000, marketsClosed: true }, p),
                    freshness({ ageMs: 400000, marketsClosed: true, flaggedStale: true }, p)];
        }""")
        assert judged == ["live", "stale", "stale", "stale", "long-stale", "stale", "live", "stale", "long-stale",
                          "closed", "long-stale"]
        # …drawn in red (on a header of its own: the page's repaints its own once a second).
        assert page.evaluate("""() => { const e = document.createElement('span'); e.className = 'pnl-live';
            e.dataset.state = 'long-stale'; document.body.append(e); const color = getComputedStyle(e).color;
            e.remove(); return color; }""") == RED
        assert page.errors == []
    finally:
        context.close()


@pytest.fixture
def hub_with_a_rate_limited_fallback():
    """The demo hub with Yahoo behind IBKR, Yahoo being the fake answering 429: a symbol IBKR does not know
    sends the hub to Yahoo, which is then rate-limited `until` a time the providers panel shows."""
    fake = FakeProviders().start()
    fake.set_yahoo_mode("rate-limited")
    hub = start_hub(env={"TICKHUB_PROVIDERS": "ibkr,yahoo", "YAHOO_BASE_URL": fake.base_url})
    yield hub
    hub.stop()
    fake.stop()


@pytest.mark.parametrize("skew_s", [180, -180])
def test_ages_follow_the_hubs_clock_not_the_browsers(hub, page, skew_s):
    # A browser three minutes off: without the hub's clock (the pong's `t`) it would call live positions stale
    # (ahead), or stale ones seconds old forever (behind: their age below zero, shown as none).
    page.clock.install(time=time.time() + skew_s)
    page.goto(hub.fields["url"])
    page.wait_for_function(f"() => Math.abs(Date.now() - {time.time() * 1000} - {skew_s * 1000}) < 30000")
    page.wait_for_function(HEADER_IS, arg=[["live"], f"^Live · last quote ({AGE_TEXT})$"])
    assert 0 <= int(page.locator("#pnl-live").get_attribute("data-age-ms")) < 30_000
    expect(page.locator('#pnl-summary [data-asof="netLiquidation"]')).to_have_text(re.compile(rf"^updated ({AGE_TEXT})$"))

    post(f"http://127.0.0.1:{hub.fields['port']}/api/ibkr/disconnect")
    page.wait_for_function(HEADER_IS, arg=[["stale"], f"^Stale · 5 of 5 not live · last quote ({AGE_TEXT})$"])
    page.wait_for_function(AGE_PAST, arg=2000, timeout=6_000)
    assert int(page.locator("#pnl-live").get_attribute("data-age-ms")) < 30_000
    assert page.errors == []


@pytest.fixture
def hub_on_a_simulator():
    """The hub pointed at a `tickhub-sim` of its own (the demo account's positions), whose control port injects
    faults. The simulated clock is in a New York session, so every held instrument ticks."""
    sim = start_simulator("--portfolio", str(ROOT / "config" / "sim-portfolio.json"), "--tick-rate", "1000",
                          "--clock", "2026-12-02T10:00:00-05:00")
    hub = Hub("--offline", "--ibkr-port", sim.fields["port"], demo=False)
    yield hub, f"http://127.0.0.1:{sim.fields['control']}"
    hub.stop()
    sim.stop()


def test_positions_header_turns_stale_when_tws_loses_its_link(hub_on_a_simulator, page):
    # TWS stays connected but loses IBKR (1100): IBKR's state is degraded, the stream open, the marks not live.
    hub, control = hub_on_a_simulator
    hub.wait_for_ibkr("ready")
    page.goto(f"http://127.0.0.1:{hub.port}/")
    expect(page.locator("#positions tbody tr[data-position]")).to_have_count(5)
    page.wait_for_function(HEADER_IS, arg=[["live"], f"^Live · last quote ({AGE_TEXT})$"])

    post(control + "/fault/link-lost")
    page.wait_for_function(HEADER_IS, arg=[["stale", "long-stale"], f"^Stale · 5 of 5 not live · last quote ({AGE_TEXT})$"])
    expect(page.locator("#ibkr-state")).to_have_attribute("data-state", "degraded")
    expect(page.locator("#ws-state")).to_have_attribute("data-state", "open")
    assert page.locator("#pnl-live").evaluate("e => getComputedStyle(e).color") in (AMBER, RED)

    post(control + "/fault/link-restored?dataLost=0")
    page.wait_for_function(HEADER_IS, arg=[["live"], f"^Live · last quote ({AGE_TEXT})$"], timeout=15_000)
    assert page.errors == []


def test_times_are_24_hour_in_a_12_hour_locale(hub_with_a_rate_limited_fallback, browser):
    hub = hub_with_a_rate_limited_fallback
    # en-US writes "3:04:05 PM" unless told otherwise; the page must not.
    context = browser.new_context(locale="en-US", timezone_id="America/New_York", viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(10_000)
    watch(page)
    try:
        page.add_init_script("localStorage.setItem('tickhub.watchlist', JSON.stringify(['AAPL', 'ZZZZ']))")
        page.goto(hub.fields["url"])
        expect(page.locator(cell("AAPL", "time"))).to_have_text(re.compile(r"^\d{2}:\d{2}:\d{2}$"))
        expect(page.locator("#ibkr-since")).to_have_text(re.compile(r"^\d{2}:\d{2}:\d{2}$"))
        expect(page.locator('#providers [data-provider="yahoo"]')).to_have_text(
            re.compile(r"^Yahoo: rate-limited until \d{2}:\d{2}:\d{2}$"))
        page.wait_for_function("() => document.querySelector('#pnl-live').dataset.state === 'live'")
        # The afternoon is 15, not 3 PM; midnight is 00, not 24.
        assert page.evaluate("""async () => {
            const { formatTime } = await import('./format.js');
            return [formatTime(new Date(2026, 0, 2, 15, 4, 5).getTime()), formatTime(new Date(2026, 0, 2, 0, 7, 0).getTime()),
                    formatTime(new Date(2026, 0, 2, 15, 4, 5).getTime(), { seconds: false })];
        }""") == ["15:04:05", "00:07:00", "15:04"]
        text = page.evaluate("""() => document.body.innerText + '\\n' +
            [...document.querySelectorAll('[title]')].map(e => e.title).join('\\n') + '\\n' +
            [...document.querySelectorAll('svg text')].map(e => e.textContent).join('\\n')""")
        assert not re.search(r"\d\s*[AP]\.?M\b", text, re.I), re.findall(r".{20}\d\s*[AP]\.?M\b.{0,5}", text, re.I)
        assert page.errors == []
    finally:
        context.close()
