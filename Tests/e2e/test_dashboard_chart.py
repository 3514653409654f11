"""Mission Control's candlestick chart, its sparklines' history and its price alerts, in real Chromium against a
real hub on a real TWS simulator (`tickhub-sim`, its clock in a New York afternoon so that a day of minutes is
a whole session):

- a click on AAPL draws a day of 1-minute candles with their volume (the chart's canvases hold candle pixels,
  the page's chart state holds the bars the bars API gives), and the time from the click to that drawing is
  printed; the newest candle then moves with the stream's `bar` messages; the legend and the source follow;
- another interval leaves the series shown (an `unsubscribe` on the stream, and no more of its bars) for its own;
  daily candles are a year, each shown by its date;
- while the symbol's quotes are stale (IBKR gone, the stream open) the chart is not called live;
- the sparkline column holds each symbol's day of 5-minute closes from the hub's history, not only what the page
  saw;
- the bell on a row creates an alert (201), an alert fired reaches the page as a toast, which can be dismissed
  and otherwise fades by itself;
- without the chart library (`make setup` fetches it) the page works and the chart panel says how to get it;
- bars are read (inconsistent ones refused) and merged in time order as the chart keeps them (bars.js).

The library is `clients/dashboard/vendor/lightweight-charts.js`, put there by `make setup`."""
import json
import re
import shutil

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout, expect

from conftest import ROOT, start_simulator
from test_dashboard import STOCK_PRICE, cell, page, watch  # noqa: F401  (page: the fixture)
from tickhub_e2e import Hub

expect.set_options(timeout=10_000)

LIBRARY = ROOT / "clients" / "dashboard" / "vendor" / "lightweight-charts.js"
# A Wednesday afternoon in New York: the day of minutes before it is the session's 390.
MARKET_CLOCK = "2026-12-02T15:30:00-05:00"
A_DAY_OF_MINUTES = 300                # most of a 390-minute session, whatever the exact span's edges hold
CLICK_TO_CANDLES_LIMIT_MS = 10_000

CHART = "window.tickhub.chart()"
DAY_DRAWN = """([symbol, interval, least]) => { const c = window.tickhub.chart();
  return c.symbol === symbol && c.interval === interval && c.status === 'live'
    && c.draws.some(d => d.bars >= least); }"""
# Pixels of the candles' colours (#22c55e up, #f43f5e down) on the chart's canvases.
CANDLE_PIXELS = """() => { let n = 0;
  for (const canvas of document.querySelectorAll('#chart-plot canvas')) {
    if (!canvas.width || !canvas.height) continue;
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 0; i < data.length; i += 4) {
      const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
      if ((Math.abs(r - 34) < 12 && Math.abs(g - 197) < 12 && Math.abs(b - 94) < 12)
          || (Math.abs(r - 244) < 12 && Math.abs(g - 63) < 12 && Math.abs(b - 94) < 12)) n++;
    }
  }
  return n; }"""
NEWEST_MOVED = """(before) => { const c = window.tickhub.chart();
  return c.updates > before.updates && !!c.last
    && (c.last.time !== before.last.time || c.last.close !== before.last.close); }"""


@pytest.fixture(scope="module")
def library():
    assert LIBRARY.is_file(), f"{LIBRARY} is missing: `make setup` (scripts/chart-library.sh) fetches it"
    return LIBRARY


@pytest.fixture(scope="module")
def simulator():
    sim = start_simulator("--portfolio", str(ROOT / "config" / "sim-portfolio.json"), "--tick-rate", "1000",
                          "--clock", MARKET_CLOCK)
    yield sim
    sim.stop()


@pytest.fixture(scope="module")
def hub(simulator):
    hub = Hub("--offline", "--ibkr-port", simulator.fields["port"], "--market-clock", MARKET_CLOCK, demo=False)
    hub.wait_for_ibkr("ready")
    yield hub
    hub.stop()


def wait_for_chart(page, predicate, arg, timeout=15_000):
    """Waits for `predicate(arg)` in the page; on a timeout, says what the chart held and what its panel said."""
    try:
        page.wait_for_function(predicate, arg=arg, timeout=timeout)
    except PlaywrightTimeout:
        state = page.evaluate(CHART)
        note = page.locator("#chart-note").inner_text() if page.locator("#chart-note").is_visible() else ""
        raise AssertionError(f"chart not as awaited within {timeout} ms: {state} {note!r} {page.errors}") from None


def url(hub):
    return f"http://127.0.0.1:{hub.port}/"


def bars_api(hub, symbol, interval, range_):
    response = hub.get(f"/api/market-data/bars/{symbol}?interval={interval}&range={range_}", timeout=30)
    assert response.status == 200, response
    return response.json()


def stream_frames(page):
    """The page's /stream WebSocket frames, sent and received, parsed, in order: [(direction, message)]."""
    frames = []

    def take(direction, payload):
        try:
            data = json.loads(payload)
        except (TypeError, ValueError):
            return
        for message in data if isinstance(data, list) else [data]:
            frames.append((direction, message))

    page.on("websocket", lambda ws: (ws.on("framesent", lambda p: take("sent", p)),
                                     ws.on("framereceived", lambda p: take("received", p))))
    return frames


def open_dashboard(page, hub, watchlist=("AAPL", "MSFT", "EUR.USD", "BTC")):
    page.add_init_script(f"localStorage.setItem('tickhub.watchlist', JSON.stringify({json.dumps(list(watchlist))}))")
    page.goto(url(hub))
    expect(page.locator("#ws-state")).to_have_attribute("data-state", "open")
    expect(page.locator(cell("AAPL", "last"))).to_have_text(STOCK_PRICE)


def test_the_hub_serves_the_library_from_its_folder(hub, library):
    response = hub.get("/vendor/lightweight-charts.js")
    assert response.status == 200 and response.headers["content-type"].startswith("text/javascript"), response
    assert response.body == library.read_bytes()
    assert b"Lightweight Charts" in response.body[:300] and b"Apache License 2.0" in response.body[:300]


def test_a_click_draws_a_day_of_candles_that_then_move(hub, library, page):
    frames = stream_frames(page)
    open_dashboard(page, hub)
    expect(page.locator("#chart")).to_be_hidden()

    clicked_at = page.evaluate("performance.now()")
    page.click(f'{cell("AAPL", "last")}')
    wait_for_chart(page, DAY_DRAWN, ["AAPL", "1m", A_DAY_OF_MINUTES], timeout=CLICK_TO_CANDLES_LIMIT_MS + 5_000)
    state = page.evaluate(CHART)
    drawn_at = next(d["at"] for d in state["draws"] if d["bars"] >= A_DAY_OF_MINUTES)
    click_to_candles = drawn_at - clicked_at
    print(f"\nclick on AAPL to a drawn day of 1-minute candles ({state['bars']} bars): {click_to_candles:.0f} ms "
          f"(first candles drawn after {state['drawnAt'] - clicked_at:.0f} ms)")
    assert click_to_candles < CLICK_TO_CANDLES_LIMIT_MS, state

    # Drawn: the panel and its canvases, with candle-coloured pixels on them, for a day of minutes.
    expect(page.locator("#chart")).to_be_visible()
    expect(page.locator("#chart")).to_have_attribute("data-state", "live")
    expect(page.locator('tr[data-symbol="AAPL"]')).to_have_attribute("data-charted", "true")
    assert page.locator("#chart-plot canvas").count() > 0
    assert page.evaluate(CANDLE_PIXELS) > 500
    assert state["library"] == "4.1.3"
    assert state["last"]["time"] - state["first"] <= 24 * 3600_000, state
    # The bars the hub's API gives for the same series: the chart holds them all (a minute may have begun since).
    api = bars_api(hub, "AAPL", "1m", "1d")
    times = [b["time"] for b in api["bars"]]
    assert len(times) >= A_DAY_OF_MINUTES and times == sorted(times), len(times)
    assert state["first"] <= times[0] and state["bars"] >= len(times) - 1, (state["bars"], len(times))
    # Its source, named as quotes' sources are.
    assert state["source"] == api["source"] == "ibkr"
    expect(page.locator('#chart-source [data-badge="source"]')).to_have_text("IBKR")
    # The stream was asked for the series.
    assert ("sent", {"op": "subscribe", "bars": [{"symbol": "AAPL", "interval": "1m"}]}) in frames

    # The newest candle moves with the stream's bar messages, and the legend (no crosshair) shows it.
    page.mouse.move(0, 0)
    expect(page.locator("#chart-legend")).to_have_attribute("data-hovered", "false")
    before = page.evaluate(CHART)
    wait_for_chart(page, NEWEST_MOVED, before)
    assert any(d == "received" and m.get("type") == "bar" and m.get("symbol") == "AAPL" and m.get("interval") == "1m"
               for d, m in frames)
    page.wait_for_function("""() => { const c = window.tickhub.chart();
      return document.querySelector('#chart-legend [data-field="close"]').dataset.value === String(c.last.close); }""")
    expect(page.locator('#chart-legend [data-field="time"]')).to_have_text(re.compile(r"^\w{3},? \d{2} \w{3},? \d{2}:\d{2}"))

    # The crosshair over a candle shows that candle's values.
    page.locator("#chart-plot").scroll_into_view_if_needed()
    box = page.locator("#chart-plot").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.4)
    expect(page.locator("#chart-legend")).to_have_attribute("data-hovered", "true")
    hovered_open = float(page.locator('#chart-legend [data-field="open"]').get_attribute("data-value"))
    assert any(abs(b["open"] - hovered_open) < 1e-9 for b in api["bars"]), hovered_open
    assert page.errors == []


def test_another_interval_leaves_the_series_shown(hub, library, page):
    frames = stream_frames(page)
    open_dashboard(page, hub)
    page.click(cell("AAPL", "last"))
    wait_for_chart(page, DAY_DRAWN, ["AAPL", "1m", A_DAY_OF_MINUTES])

    page.click('#chart-intervals [data-interval="5m"]')
    expect(page.locator('#chart-intervals [data-interval="5m"]')).to_have_attribute("aria-pressed", "true")
    api = bars_api(hub, "AAPL", "5m", "5d")
    wait_for_chart(page, DAY_DRAWN, ["AAPL", "5m", len(api["bars"]) - 1])
    sent = [m for d, m in frames if d == "sent" and "bars" in m]
    assert sent[-2:] == [{"op": "unsubscribe", "bars": [{"symbol": "AAPL", "interval": "1m"}]},
                         {"op": "subscribe", "bars": [{"symbol": "AAPL", "interval": "5m"}]}], sent
    # Five days of 5-minute bars, each five minutes apart within a session.
    state = page.evaluate(CHART)
    assert state["last"]["time"] - state["first"] <= 8 * 24 * 3600_000 and state["last"]["time"] % 300_000 == 0

    # Once the 5-minute series has come (the hub answers a connection's messages in order), no 1-minute bar does.
    snapshot = next(i for i, (d, m) in enumerate(frames)
                    if d == "received" and m.get("type") == "bars" and m.get("interval") == "5m")
    wait_for_chart(page, NEWEST_MOVED, page.evaluate(CHART))
    late = [m for d, m in frames[snapshot:] if d == "received" and m.get("type") in ("bar", "bars") and m.get("interval") == "1m"]
    assert late == [], late[:3]

    # Closed: the series is left too.
    page.click("#chart-close")
    expect(page.locator("#chart")).to_be_hidden()
    assert [m for d, m in frames if d == "sent" and "bars" in m][-1] == {
        "op": "unsubscribe", "bars": [{"symbol": "AAPL", "interval": "5m"}]}
    assert page.errors == []


def test_daily_candles_are_a_year_dated_by_day(hub, library, page):
    open_dashboard(page, hub)
    page.click(cell("MSFT", "last"))
    wait_for_chart(page, DAY_DRAWN, ["MSFT", "1m", A_DAY_OF_MINUTES])
    page.click('#chart-intervals [data-interval="1d"]')
    # A year of trading days (about 250), each a day's bar at 00:00 UTC of its date, shown by that date.
    wait_for_chart(page, DAY_DRAWN, ["MSFT", "1d", 200])
    state = page.evaluate(CHART)
    assert state["last"]["time"] % 86_400_000 == 0 and state["last"]["time"] - state["first"] <= 370 * 86_400_000, state
    expect(page.locator('#chart-legend [data-field="time"]')).to_have_text(re.compile(r"^Wed,? 02 Dec 2026"))
    assert page.errors == []


def test_sparklines_hold_the_day_from_the_hubs_history(hub, page):
    open_dashboard(page, hub, watchlist=("AAPL", "MSFT", "BTC"))
    for symbol in ("AAPL", "MSFT", "BTC"):
        spark = page.locator(f'tr[data-symbol="{symbol}"] svg.spark')
        expect(spark).to_have_attribute("data-span", "history")
        day = len(bars_api(hub, symbol, "5m", "1d")["bars"])
        assert day >= 60, (symbol, day)   # a session's 78, a crypto day's 288
        # The day's closes, and the live price after them (a 5-minute bar may have begun in between).
        points = int(spark.get_attribute("data-points"))
        assert day - 1 <= points <= day + 2, (symbol, points, day)
        expect(spark.locator("xpath=..")).to_have_attribute("title", re.compile(r"^since .*, 5-minute closes: low .*, high "))
    assert page.errors == []


def create_alert_from_the_bell(page, symbol, condition, level):
    """Fills the bell's form on `symbol`'s row and submits it; returns the POST's response."""
    page.click(f'tr[data-symbol="{symbol}"] button.bell')
    expect(page.locator("#alert-dialog")).to_be_visible()
    expect(page.locator("#alert-symbol")).to_have_text(symbol)
    page.select_option("#alert-condition", condition)
    page.fill("#alert-level", str(level))
    with page.expect_response(lambda r: r.url.endswith("/api/alerts") and r.request.method == "POST") as answer:
        page.click("#alert-submit")
    expect(page.locator("#alert-dialog")).to_be_hidden()
    return answer.value


def test_the_bell_creates_an_alert_and_alerts_fired_are_toasts(hub, page):
    open_dashboard(page, hub)
    # The form starts at the price the row shows.
    page.click('tr[data-symbol="AAPL"] button.bell')
    prefilled = float(page.locator("#alert-level").input_value())
    shown = float(page.locator(cell("AAPL", "last")).get_attribute("data-value"))
    assert abs(prefilled - shown) <= 0.01 * shown, (prefilled, shown)
    assert page.locator("#alert-cooldown").input_value() == "60"
    page.click("#alert-cancel")
    expect(page.locator("#alert-dialog")).to_be_hidden()

    # Above a level well under the price: it holds at once, so the rule fires on AAPL's next quote.
    level = round(shown * 0.5, 2)
    response = create_alert_from_the_bell(page, "AAPL", "above", level)
    assert response.status == 201, response.text()
    rule = response.json()
    assert rule["id"] and hub.get(f"/api/alerts/{rule['id']}").status == 200
    aapl = page.locator(f'#toasts .toast[data-alert="{rule["id"]}"]')
    expect(aapl).to_be_visible()
    expect(aapl).to_contain_text(f"AAPL above {level:,.2f}")
    expect(aapl.locator(".toast-body")).to_have_text(re.compile(r"^at \d{1,3}(,\d{3})*\.\d{2} · \d{2}:\d{2}:\d{2}$"))

    # Below a level over MSFT's price: a second toast stacks under the first.
    msft_price = float(page.locator(cell("MSFT", "last")).get_attribute("data-value"))
    response = create_alert_from_the_bell(page, "MSFT", "below", round(msft_price * 2, 2))
    assert response.status == 201, response.text()
    msft = page.locator(f'#toasts .toast[data-alert="{response.json()["id"]}"]')
    expect(msft).to_be_visible()
    assert page.locator("#toasts .toast").evaluate_all("ts => ts.map(t => t.dataset.symbol)")[-2:] == ["AAPL", "MSFT"]

    # Dismissed: gone at once. Left alone (the pointer elsewhere): faded within its lifetime.
    aapl.locator(".toast-close").click()
    expect(aapl).to_have_count(0, timeout=2_000)
    page.mouse.move(0, 0)
    expect(msft).to_have_count(0, timeout=20_000)
    assert page.errors == []


def test_a_bad_level_is_refused_in_the_form(hub, page):
    open_dashboard(page, hub)
    page.click('tr[data-symbol="AAPL"] button.bell')
    page.fill("#alert-level", "abc")
    page.click("#alert-submit")
    expect(page.locator("#alert-error")).to_have_text("Give the level as a number.")
    expect(page.locator("#alert-dialog")).to_be_visible()
    # The hub's refusal, with its reason, keeps the form open.
    page.select_option("#alert-condition", "changePercent")
    page.fill("#alert-level", "-150")
    with page.expect_response(lambda r: r.url.endswith("/api/alerts") and r.request.method == "POST") as answer:
        page.click("#alert-submit")
    assert 400 <= answer.value.status < 500, answer.value.text()
    expect(page.locator("#alert-error")).to_be_visible()
    expect(page.locator("#alert-dialog")).to_be_visible()
    assert page.errors == []


@pytest.fixture
def hub_without_the_library(simulator, tmp_path):
    """A second hub on the same simulator, serving a copy of the dashboard without vendor/."""
    assets = tmp_path / "share"
    shutil.copytree(ROOT / "clients" / "dashboard", assets / "dashboard", ignore=shutil.ignore_patterns("vendor"))
    shutil.copy(ROOT / "docs" / "openapi.yaml", assets / "openapi.yaml")
    hub = Hub("--offline", "--ibkr-port", simulator.fields["port"], "--ibkr-client-id", "7", "--market-clock", MARKET_CLOCK,
              "--assets", str(assets), demo=False)
    hub.wait_for_ibkr("ready")
    yield hub
    hub.stop()


def test_without_the_library_the_page_works_and_says_how_to_get_it(hub_without_the_library, browser):
    hub = hub_without_the_library
    assert hub.get("/vendor/lightweight-charts.js").status == 404
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    watch(page)
    try:
        open_dashboard(page, hub)
        page.click(cell("AAPL", "last"))
        expect(page.locator("#chart")).to_have_attribute("data-state", "no-library")
        expect(page.locator("#chart-note")).to_be_visible()
        expect(page.locator("#chart-note")).to_contain_text("make setup fetches it")
        # The rest goes on: quotes move, the sparklines have their day.
        before = page.locator(cell("AAPL", "last")).inner_text()
        page.wait_for_function("""([s, before]) => document.querySelector(s).textContent !== before""",
                               arg=[cell("AAPL", "last"), before], timeout=15_000)
        expect(page.locator('tr[data-symbol="AAPL"] svg.spark')).to_have_attribute("data-span", "history")
        # The library's 404 is the one failure the page meets.
        assert [e for e in page.errors if "vendor/lightweight-charts.js" not in e] == [], page.errors
        assert any("vendor/lightweight-charts.js" in e for e in page.errors), page.errors
    finally:
        context.close()


def test_the_chart_is_not_called_live_when_its_quotes_are_stale(hub, library, page):
    open_dashboard(page, hub)
    page.click(cell("AAPL", "last"))
    wait_for_chart(page, DAY_DRAWN, ["AAPL", "1m", A_DAY_OF_MINUTES])
    expect(page.locator("#chart-status")).to_have_text(re.compile(r"^live"))
    # IBKR goes: the stream stays open, but the newest candle is made of quotes nobody vouches for now.
    assert hub.post("/api/ibkr/disconnect").status == 200
    try:
        expect(page.locator("#chart")).to_have_attribute("data-stale", "true")
        expect(page.locator("#chart-status")).to_have_text("stale: the source cannot vouch for the newest candle")
        expect(page.locator("#ws-state")).to_have_attribute("data-state", "open")
    finally:
        assert hub.post("/api/ibkr/connect").status == 200
        hub.wait_for_ibkr("ready", timeout=20)
    expect(page.locator("#chart")).to_have_attribute("data-stale", "false", timeout=20_000)
    expect(page.locator("#chart-status")).to_have_text(re.compile(r"^live"))
    assert page.errors == []


MERGES = """async () => {
  const { mergeBar, readBar, readSeries } = await import('./bars.js');
  const bar = (time, close) => ({ time, open: 10, high: 12, low: 9, close, volume: 100 });
  const bars = [bar(60_000, 10), bar(180_000, 11)];
  const where = [
    mergeBar(bars, bar(240_000, 11.5)),    // a new bar
    mergeBar(bars, bar(240_000, 11.8)),    // the forming one again
    mergeBar(bars, bar(120_000, 10.5)),    // a missing older one
    mergeBar(bars, bar(60_000, 9.5)),      // an older one corrected
  ];
  return {
    where, times: bars.map(b => b.time), closes: bars.map(b => b.close),
    refused: [readBar({ ...bar(0, 10), high: 8 }), readBar({ ...bar(0, 13) }), readBar({ ...bar(1.5, 10) }),
              readBar({ ...bar(0, 10), open: null })],
    fx: readBar({ time: 0, open: 1.1, high: 1.2, low: 1.0, close: 1.15 }),
    series: readSeries({ symbol: 'AAPL', interval: '1m', source: 'ibkr', lastComplete: true,
                         bars: [bar(120_000, 10), { time: 'x' }, bar(60_000, 11)] }),
  };
}"""


def test_bars_are_read_and_merged_in_time_order(hub, page):
    page.goto(url(hub))
    result = page.evaluate(MERGES)
    assert result["where"] == ["append", "last", "earlier", "earlier"]
    assert result["times"] == [60_000, 120_000, 180_000, 240_000]
    assert result["closes"] == [9.5, 10.5, 11, 11.8]
    # A high under the open, a close above the high, a time that is not whole ms, a missing price: not bars.
    assert result["refused"] == [None, None, None, None]
    # FX midpoints have no volume: none, not zero.
    assert result["fx"]["volume"] is None
    series = result["series"]
    assert [b["time"] for b in series["bars"]] == [60_000, 120_000] and series["refused"] == 1
    assert series["source"] == "ibkr" and series["lastComplete"] is True
