"""Mission Control with IBKR and TastyTrade side by side, in real Chromium.

- `tickhub --demo` (its TastyTrade kept on): the broker tabs name both; the All tab lists both brokers' rows;
  TastyTrade's valued rows carry live P&L that moves with their marks and is, at every frame the page draws,
  (mark − cost per unit) × quantity × multiplier to the cent as shown; TastyTrade's own mark is shown under
  Tickhub's; the future is listed as not valued, with the reason; the combined total is the IBKR total plus the
  TastyTrade total as the page shows them; the sync line says live.
- A hub synced to a `tickhub-sim` TastyTrade the test controls: a fill announced on the account streamer shows in
  the row's quantity within a second (delay printed), and a revoked grant shows as a sync error that says what to
  do, on the sync line, the tab and the rows.

Loopback only; every wait is bounded."""
import re
import statistics
import time

import pytest
from playwright.sync_api import expect

from test_dashboard import ARTIFACTS, MONEY, STOCK_PRICE, page, position  # noqa: F401  (page: the fixture)
from test_tastytrade import Market, sync_status, wait_for_sync
from tickhub_e2e import Hub

expect.set_options(timeout=15_000)

OPTION = "SPY 271217C00600000"
# The simulated TastyTrade's valued holdings (Sources/TWSSimulator/TastyTrade): account, quantity (a short is
# negative), cost per unit, multiplier. Hard-coded rather than read back, so a wrong sign or multiplier fails.
HOLDINGS = {
    "AAPL": ("5WT00001", 50, 212.40, 1),
    "MSFT": ("5WT00001", -20, 431.00, 1),
    OPTION: ("5WT00001", 3, 48.10, 100),
    "BTC": ("5WT00001", 0.25, 61_200, 1),
    "NVDA": ("5WT00002", 40, 118.50, 1),
    "QQQ": ("5WT00002", 15, 470.00, 1),
}
EXPECTED = {f"tastytrade:{account}:{symbol}": [quantity, cost, multiplier]
            for symbol, (account, quantity, cost, multiplier) in HOLDINGS.items()}
FUTURE = "tastytrade:5WT00001:/ESZ6"
ROWS = "#positions tbody tr[data-position]"

# One TastyTrade row as the page shows it: the values behind the cells and their texts.
ROW = """(key) => {
  const r = document.querySelector(`#positions tbody tr[data-position="${key}"]`);
  if (!r) return null;
  const f = (n) => r.querySelector(`[data-field="${n}"]`);
  const theirs = f('marketPrice').querySelector('[data-field="brokerMarketPrice"]');
  return {
    stale: r.dataset.stale, valued: r.dataset.valued, note: r.querySelector('.note').textContent,
    quantity: f('quantity').dataset.value, quantityText: f('quantity').textContent,
    cost: f('avgCost').dataset.value, mark: f('marketPrice').dataset.value,
    markText: f('marketPrice').querySelector('.mark-value').textContent,
    pnl: f('unrealizedPnl').dataset.value, pnlText: f('unrealizedPnl').textContent,
    theirs: theirs.dataset.value, theirsText: theirs.textContent, theirsHidden: theirs.hidden,
  };
}"""

# Polled at every frame: true once every TastyTrade row's mark and P&L both differ from `first`. On each call it
# also checks every row against (mark − cost) × quantity × multiplier, the value behind the P&L cell and its text,
# and records in window.pnlChecks how many it checked and what did not hold.
PNL_FOLLOWS_MARKS = """([expected, first]) => {
  const seen = window.pnlChecks || (window.pnlChecks = { frames: 0, violations: [] });
  const shown = (t) => Number(t.replace('−', '-').replace(/[+,]/g, ''));
  let moved = 0;
  seen.frames += 1;
  for (const [key, [quantity, cost, multiplier]] of Object.entries(expected)) {
    const r = document.querySelector(`#positions tbody tr[data-position="${key}"]`);
    if (!r) { seen.violations.push(`${key}: no row`); continue; }
    const f = (n) => r.querySelector(`[data-field="${n}"]`);
    const mark = Number(f('marketPrice').dataset.value), pnl = Number(f('unrealizedPnl').dataset.value);
    const want = (mark - cost) * quantity * multiplier;
    const text = f('unrealizedPnl').textContent;
    if (!(Math.abs(pnl - want) <= 0.011 && Math.abs(shown(text) - want) <= 0.011) && seen.violations.length < 20) {
      seen.violations.push(`${key}: mark ${mark}, P&L ${pnl} shown ${text}, want ${want}`);
    }
    if (mark !== first[key].mark && pnl !== first[key].pnl) moved += 1;
  }
  return moved === Object.keys(expected).length;
}"""

# The totals row under each tab, all read in one turn of the page (clicking a tab redraws from the same pnl
# message, and no message can come in between), then back to All.
TOTALS_BY_TAB = """() => {
  const out = {};
  for (const tab of ['ibkr', 'tastytrade', 'all']) {
    document.querySelector(`[data-broker-tab="${tab}"]`).click();
    const total = document.querySelector('#pnl-total');
    const f = (n) => total.querySelector(`[data-field="${n}"]`);
    out[tab] = {
      label: total.querySelector('.total-label').textContent, note: f('positions').textContent,
      positions: Number(f('positions').dataset.value),
      rows: [...document.querySelectorAll('#positions tbody tr[data-position]')].map(r => r.dataset.broker),
      marketValue: f('marketValue').textContent, unrealizedPnl: f('unrealizedPnl').textContent,
      dailyPnl: f('dailyPnl').textContent,
    };
  }
  return out;
}"""


def shown_money(text):
    assert MONEY.match(text), text
    return float(text.replace("−", "-").replace(",", "").replace("+", ""))


def open_dashboard(page, hub):
    page.set_viewport_size({"width": 1400, "height": 1100})
    page.goto(f"http://127.0.0.1:{hub.port}/")
    expect(page.locator("#ws-state")).to_have_attribute("data-state", "open")


@pytest.fixture(scope="module")
def demo():
    """`tickhub --demo` with its TastyTrade: IBKR ready and TastyTrade's sync live with its seven positions."""
    hub = Hub(tastytrade=True, timeout=30)
    try:
        hub.wait_for_ibkr("ready", timeout=20)
        wait_for_sync(hub)
        yield hub
    finally:
        hub.stop()


def test_demo_shows_ibkr_and_tastytrade_side_by_side(demo, page):
    ARTIFACTS.mkdir(exist_ok=True)
    open_dashboard(page, demo)
    page.click('[data-broker-tab="all"]')

    # Both brokers have a tab, TastyTrade's following its live sync.
    tabs = page.locator("#broker-tabs [data-broker-tab]")
    expect(tabs).to_have_count(3)
    assert tabs.evaluate_all("ts => ts.map(t => t.dataset.brokerTab)") == ["all", "ibkr", "tastytrade"]
    expect(page.locator('[data-broker-tab="ibkr"]')).to_have_text(re.compile(r"^IBKR\s*5$"))
    expect(page.locator('[data-broker-tab="tastytrade"]')).to_have_text(re.compile(r"^tastytrade\s*7$", re.I))
    expect(page.locator('[data-broker-tab="tastytrade"]')).to_have_attribute("data-sync", "live")

    # The All tab lists both brokers' rows: IBKR's five, then TastyTrade's seven.
    rows = page.locator(ROWS)
    expect(rows).to_have_count(12)
    brokers = rows.evaluate_all("rs => rs.map(r => r.dataset.broker)")
    assert brokers == ["ibkr"] * 5 + ["tastytrade"] * 7, brokers
    keys = set(rows.evaluate_all("rs => rs.map(r => r.dataset.position)"))
    assert set(EXPECTED) | {FUTURE} <= keys, keys

    # TastyTrade's valued rows: live, what TastyTrade holds, a price from the market, and TastyTrade's own mark
    # under Tickhub's (the same simulated market, so close to it).
    for key, (quantity, cost, multiplier) in EXPECTED.items():
        expect(page.locator(f'#positions tr[data-position="{key}"]')).to_have_attribute("data-stale", "false")
        expect(page.locator(position(key, "marketPrice")).locator(".mark-value")).to_have_text(STOCK_PRICE)
        expect(page.locator(position(key, "unrealizedPnl"))).to_have_text(MONEY)
        theirs = page.locator(position(key, "marketPrice")).locator('[data-field="brokerMarketPrice"]')
        expect(theirs).to_be_visible()
        expect(theirs).to_have_text(re.compile(r"^tastytrade \d{1,3}(,\d{3})*\.\d{2} · close \d{1,3}(,\d{3})*\.\d{2}$", re.I))
        row = page.evaluate(ROW, key)
        assert float(row["quantity"]) == quantity and float(row["cost"]) == cost, (key, row)
        assert row["quantityText"] == ("−" if quantity < 0 else "") + f"{abs(quantity):g}", (key, row)
        mark, their_mark = float(row["mark"]), float(row["theirs"])
        their_text = float(row["theirsText"].split()[1].replace(",", ""))
        assert abs(their_text - their_mark) <= 0.005 + 1e-9, (key, row)
        assert abs(their_mark - mark) <= 0.02 * mark, f"{key}: TastyTrade's mark {their_mark} far from Tickhub's {mark}"
        if multiplier != 1:
            assert f"×{multiplier}" in row["note"], (key, row)

    # Live P&L: every TastyTrade row's mark and P&L move, and the P&L is the mark's arithmetic at every frame.
    first = {key: {"mark": float(r["mark"]), "pnl": float(r["pnl"])}
             for key in EXPECTED for r in [page.evaluate(ROW, key)]}
    started = time.monotonic()
    page.wait_for_function(PNL_FOLLOWS_MARKS, arg=[EXPECTED, first], polling="raf", timeout=45_000)
    checks = page.evaluate("() => window.pnlChecks")
    print(f"\nevery TastyTrade mark and P&L moved within {time.monotonic() - started:.1f} s; "
          f"P&L checked against its mark on {checks['frames']} frames")
    assert checks["violations"] == [], checks["violations"]
    assert checks["frames"] >= 2, checks

    # The future: listed as TastyTrade reports it, not valued, and why; no figure of its own.
    future = page.locator(f'#positions tr[data-position="{FUTURE}"]')
    expect(future).to_have_attribute("data-valued", "false")
    expect(future.locator('[data-badge="unvalued"]')).to_have_text("not valued")
    expect(future.locator('[data-field="unvaluedReason"]')).to_have_text("futures are not in Tickhub's symbol grammar")
    expect(future.locator('[data-field="quantity"]')).to_have_text("1")
    for field in ("marketValue", "unrealizedPnl", "dailyPnl"):
        expect(future.locator(f'[data-field="{field}"]')).to_have_text("–")

    # The sync line: TastyTrade live, both accounts.
    sync = page.locator('#broker-sync [data-sync-broker="tastytrade"]')
    expect(sync).to_be_visible()
    expect(sync).to_have_attribute("data-state", "live")
    expect(sync).to_have_text(re.compile(r"^tastytrade: synced, live · 2 accounts · synced .+ ago$", re.I))

    # The combined total is IBKR's total plus TastyTrade's, as the page shows each under its tab.
    totals = page.evaluate(TOTALS_BY_TAB)
    assert totals["all"]["label"] == "Combined total", totals
    assert totals["ibkr"]["rows"] == ["ibkr"] * 5 and totals["tastytrade"]["rows"] == ["tastytrade"] * 7, totals
    assert totals["all"]["positions"] == totals["ibkr"]["positions"] + totals["tastytrade"]["positions"] == 12, totals
    assert "1 not valued" in totals["all"]["note"] and "1 not valued" in totals["tastytrade"]["note"], totals
    for field in ("marketValue", "unrealizedPnl", "dailyPnl"):
        combined = shown_money(totals["all"][field])
        parts = shown_money(totals["ibkr"][field]) + shown_money(totals["tastytrade"][field])
        # Each total is rounded once from the unrounded sum: within a cent of the rounded parts' sum.
        assert abs(combined - parts) <= 0.011, (field, totals)
    expect(page.locator('[data-broker-tab="all"]')).to_have_attribute("aria-selected", "true")
    expect(page.locator("#pnl-live")).to_have_attribute("data-state", "live")

    page.screenshot(path=str(ARTIFACTS / "dashboard-tastytrade.png"), full_page=True)
    assert page.errors == []


# Every text the quantity cell of `key` takes, with the page's clock (the machine's) when it took it.
WATCH_QUANTITY = """(key) => {
  const cell = document.querySelector(`#positions tr[data-position="${key}"] [data-field="quantity"]`);
  window.quantitySeen = [];
  new MutationObserver(() => window.quantitySeen.push({ text: cell.textContent, at: Date.now() }))
    .observe(cell, { childList: true, characterData: true, subtree: true });
}"""
QUANTITY_SHOWN = """(text) => (window.quantitySeen || []).some(s => s.text === text)"""


def test_a_fill_shows_within_a_second_and_a_revoked_grant_says_what_to_do(page):
    market = Market()
    hub = None
    try:
        hub = market.hub()
        wait_for_sync(hub)
        open_dashboard(page, hub)
        page.click('[data-broker-tab="tastytrade"]')
        aapl = "tastytrade:5WT00001:AAPL"
        expect(page.locator(ROWS)).to_have_count(7)
        expect(page.locator(position(aapl, "quantity"))).to_have_text("50")
        expect(page.locator(position(aapl, "unrealizedPnl"))).to_have_text(MONEY)
        page.evaluate(WATCH_QUANTITY, aapl)

        # Fills announced on TastyTrade's account streamer: each new quantity on the page within a second.
        delays, quantity = [], 50
        for step in (10, -5, 7):
            quantity += step
            sent = time.time() * 1000
            market.fill("5WT00001", "AAPL", step)
            page.wait_for_function(QUANTITY_SHOWN, arg=str(quantity), timeout=5_000)
            at = page.evaluate("(text) => window.quantitySeen.find(s => s.text === text).at", str(quantity))
            delays.append(at - sent)
            # Valued at once on the new position: the P&L is the mark against the new cost, to the cent.
            row = page.evaluate(ROW, aapl)
            assert row["mark"] and row["pnl"], row
            want = (float(row["mark"]) - float(row["cost"])) * quantity
            assert abs(float(row["pnl"]) - want) <= 0.011, (row, want)
        print(f"\nstreamer fill → the row's quantity in Chromium: median {statistics.median(delays):.0f} ms, "
              f"max {max(delays):.0f} ms over {len(delays)} fills")
        assert max(delays) < 1000, delays
        assert market.status()["fills"] == 3

        # The grant is revoked (the next token request refused): the sync line turns to an error that says
        # what to do, the tab carries the mark, and the rows say they are no longer live but stay listed.
        market.post("/tastytrade/fault/revoke-grant")
        market.post("/tastytrade/fault/expire-tokens")
        sync = page.locator('#broker-sync [data-sync-broker="tastytrade"]')
        expect(sync).to_have_attribute("data-state", "error", timeout=25_000)
        expect(sync).to_contain_text(re.compile(r"^tastytrade: sync error · ", re.I))
        expect(sync).to_contain_text("set TASTYTRADE_REFRESH_TOKEN")
        expect(sync).to_contain_text("then restart Tickhub")
        assert sync_status(hub)["state"] == "error"
        assert sync.evaluate("e => getComputedStyle(e).color") == "rgb(253, 164, 175)"  # #fda4af, the error's
        tab = page.locator('[data-broker-tab="tastytrade"]')
        expect(tab).to_have_attribute("data-sync", "error")
        expect(tab).to_have_attribute("title", re.compile(r"^tastytrade: sync error", re.I))
        assert tab.locator(".tab-count").evaluate("e => getComputedStyle(e, '::after').content") == '" !"'
        expect(page.locator(ROWS)).to_have_count(7)
        expect(page.locator(f'{ROWS}[data-broker-sync="error"]')).to_have_count(7)
        assert page.locator(position(aapl, "account")).evaluate(
            "e => getComputedStyle(e, '::after').content") == '" · not live"'
        expect(page.locator(position(aapl, "quantity"))).to_have_text(str(quantity))
        page.screenshot(path=str(ARTIFACTS / "dashboard-tastytrade-revoked.png"), full_page=True)
        assert page.errors == []
    finally:
        if hub is not None:
            hub.stop()
        market.stop()


def test_dxlink_quotes_fill_the_quote_table(page):
    """With `tastytrade` the only provider, the watchlist's stock and coin are quoted over DXLink: the page's rows
    carry TastyTrade's source badge and live prices that move; the pair DXLink has no symbol for says so."""
    from test_dashboard import cell
    market = Market()
    hub = market.hub(providers="tastytrade")
    try:
        wait_for_sync(hub)
        page.goto(hub.fields["url"])
        for symbol in ("AAPL", "BTC"):
            expect(page.locator(cell(symbol, "source")).locator('[data-badge="source"]')).to_have_text(re.compile("tastytrade", re.I))
            expect(page.locator(cell(symbol, "last"))).to_have_text(re.compile(r"^\d{1,3}(,\d{3})*\.\d{2}$"))
            expect(page.locator(cell(symbol, "source")).locator('[data-badge="stale"]')).to_have_count(0)
        first = page.locator(cell("AAPL", "bid")).text_content()
        expect(page.locator(cell("AAPL", "bid"))).not_to_have_text(first)
        expect(page.locator(cell("EUR.USD", "source")).locator('[data-badge="source"]')).to_have_count(0)
    finally:
        hub.stop()
        market.stop()
