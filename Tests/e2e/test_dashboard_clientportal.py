"""Mission Control on IBKR through the Client Portal, in real Chromium: the simulator's Client Portal gateway
(`tickhub-sim --client-portal-port 0`, HTTPS and WSS on loopback with a certificate it makes at start) and a hub
started as a user would, `tickhub --ibkr-transport clientportal --ibkr-host localhost --ibkr-port <port>` (the
gateway's own certificate accepted because the host is loopback).

- the header says IBKR is connected through the Client Portal, at that host and port, for the gateway's account;
- the watchlist's quotes come from IBKR (source ibkr), live, and change;
- the gateway's positions appear with P&L the hub works out from those quotes, and it moves with them;
- the session's state shows: logged out at the gateway (the quotes marked stale, the page says where to log in),
  a competing session (degraded), and each back to connected with prices moving again.

Loopback only; every wait is bounded."""
import datetime
import json
import re
import time
import urllib.request

import pytest
from playwright.sync_api import expect

from conftest import ROOT, start_simulator
from test_clientportal_transport import fault, gateway_port
from test_dashboard import ALL_LIVE, ALL_STALE, ARTIFACTS, MONEY, STOCK_PRICE, cell, page, position, wait_text_change, watch  # noqa: F401  (page: the fixture)
from tickhub_e2e import Hub

expect.set_options(timeout=15_000)

WATCHLIST = ["AAPL", "MSFT"]
# The P&L the hub shows is its own arithmetic on the mark it shows: (mark − cost) × quantity, to the cent.
PNL_FOLLOWS_MARK = """([key, cost, quantity]) => {
  const row = document.querySelector(`#positions tr[data-position="${key}"]`);
  if (!row) return null;
  const value = (f) => Number(row.querySelector(`[data-field="${f}"]`).dataset.value);
  return { mark: value('marketPrice'), pnl: value('unrealizedPnl'), text: row.querySelector('[data-field="unrealizedPnl"]').textContent };
}"""


@pytest.fixture(scope="module")
def gateway():
    sim = start_simulator("--client-portal-port", "0", "--portfolio", str(ROOT / "config" / "sim-portfolio.json"))
    yield sim
    sim.stop()


def market_clock(sim):
    """`--market-clock` with the simulator's time when it is not now (`--clock open` outside the US session starts
    it in the last one): the hub then judges sessions as the simulated market runs, as the simulator docs advise.
    Empty when the simulator runs on the machine's clock, and the command is the issue's to the letter."""
    with urllib.request.urlopen(f"http://127.0.0.1:{sim.fields['control']}/status", timeout=5) as response:
        clock = json.load(response)["clock"]
    simulated = datetime.datetime.fromisoformat(clock.replace("Z", "+00:00")).timestamp()
    return [] if abs(simulated - time.time()) < 60 else ["--market-clock", clock]


@pytest.fixture(scope="module")
def portal_hub(gateway):
    hub = Hub("--ibkr-transport", "clientportal", "--ibkr-host", "localhost", "--ibkr-port", str(gateway_port(gateway)),
              *market_clock(gateway), demo=False)
    hub.wait_for_ibkr("ready", timeout=20)
    yield hub
    hub.stop()


def open_dashboard(page, hub):
    page.set_viewport_size({"width": 1400, "height": 1100})
    page.add_init_script(f"localStorage.setItem('tickhub.watchlist', {json.dumps(json.dumps(WATCHLIST))})")
    page.goto(f"http://127.0.0.1:{hub.port}/")
    expect(page.locator("#ws-state")).to_have_attribute("data-state", "open")


def test_live_quotes_and_pnl_from_the_client_portal(gateway, portal_hub, page):
    ARTIFACTS.mkdir(exist_ok=True)
    open_dashboard(page, portal_hub)

    # The header: connected, through the Client Portal gateway at the host and port given, for its account.
    ibkr = page.locator("#ibkr-state")
    expect(ibkr).to_have_attribute("data-state", "ready")
    expect(ibkr).to_have_text("Connected")
    expect(page.locator("#ibkr-transport")).to_have_text("Client Portal")
    # The gateway's own name and version, and the pace the hub keeps with it, on hover.
    expect(ibkr).to_have_attribute("title", re.compile(r"^Client Portal gateway TickhubSim Build "))
    expect(page.locator("#ibkr-transport")).to_have_attribute("title", re.compile(r"^\d+ requests in the last 10 s; 0 refused with 429$"))
    expect(page.locator("#ibkr-host")).to_have_text("localhost")
    expect(page.locator("#ibkr-port")).to_have_text(str(gateway_port(gateway)))
    expect(page.locator("#ibkr-client-id")).to_have_text("–")
    expect(page.locator("#ibkr-accounts")).to_have_text("DU1234567")

    # Quotes from IBKR over the gateway's WebSocket: live, and moving.
    for symbol in WATCHLIST:
        row = page.locator(f'tr[data-symbol="{symbol}"]')
        expect(row).to_have_attribute("data-source", "ibkr")
        expect(row).to_have_attribute("data-stale", "false")
        expect(row).to_have_attribute("data-market-open", "true")
        expect(page.locator(cell(symbol, "last"))).to_have_text(STOCK_PRICE)
        expect(page.locator(cell(symbol, "source")).locator('[data-badge="source"]')).to_have_text("IBKR")
    for field in ("last", "bid"):
        before = page.locator(cell("AAPL", field)).inner_text()
        wait_text_change(page, cell("AAPL", field), before, timeout=15_000)

    # The gateway's positions, valued by the hub from those quotes.
    aapl = "ibkr:DU1234567:AAPL"
    expect(page.locator(position(aapl, "quantity"))).to_have_text("100")
    expect(page.locator(position(aapl, "avgCost"))).to_have_text("190.25")
    expect(page.locator(position(aapl, "marketPrice"))).to_have_text(STOCK_PRICE)
    expect(page.locator(position(aapl, "unrealizedPnl"))).to_have_text(MONEY)
    expect(page.locator(position("ibkr:DU1234567:MSFT", "quantity"))).to_have_text("−50")
    expect(page.locator(f'#positions tr[data-position="{aapl}"]')).to_have_attribute("data-stale", "false")
    expect(page.locator("#pnl-live")).to_have_attribute("data-state", "live")

    # The P&L moves with the quotes, and is always the hub's arithmetic on the mark beside it.
    first = page.evaluate(PNL_FOLLOWS_MARK, [aapl, 190.25, 100])
    wait_text_change(page, position(aapl, "unrealizedPnl"), first["text"], timeout=15_000)
    later = page.evaluate(PNL_FOLLOWS_MARK, [aapl, 190.25, 100])
    for seen in (first, later):
        assert abs(seen["pnl"] - (seen["mark"] - 190.25) * 100) < 0.01, seen
    assert later["mark"] != first["mark"], (first, later)

    page.screenshot(path=str(ARTIFACTS / "dashboard-clientportal.png"))
    assert page.errors == []


def test_the_session_state_shows_and_recovers(gateway, portal_hub, page):
    open_dashboard(page, portal_hub)
    ibkr = page.locator("#ibkr-state")
    expect(ibkr).to_have_attribute("data-state", "ready")
    page.wait_for_function(ALL_LIVE)

    # Logged out at the gateway: not connected, the page says where to log in, no quote is shown as live.
    fault(gateway, "cp-logged-out")
    expect(ibkr).not_to_have_attribute("data-state", "ready")
    # The providers' strip agrees with the header within a moment (it follows IBKR's state changes; its poll alone
    # could leave it saying ready for 3 s).
    expect(page.locator('#providers [data-provider="ibkr"]')).to_have_attribute("data-available", "false", timeout=1_500)
    expect(page.locator("#ibkr-error")).to_be_visible()
    expect(page.locator("#ibkr-error")).to_contain_text(f"log in at https://localhost:{gateway_port(gateway)}")
    page.wait_for_function(ALL_STALE)
    expect(page.locator('tr[data-symbol="AAPL"] [data-badge="stale"]')).to_be_visible()
    expect(page.locator("#ibkr-transport")).to_have_text("Client Portal")
    page.screenshot(path=str(ARTIFACTS / "dashboard-clientportal-logged-out.png"))

    fault(gateway, "cp-logged-in")
    expect(ibkr).to_have_attribute("data-state", "ready", timeout=20_000)
    expect(page.locator("#ibkr-error")).to_be_hidden()
    page.wait_for_function(ALL_LIVE, timeout=20_000)
    before = page.locator(cell("AAPL", "last")).inner_text()
    wait_text_change(page, cell("AAPL", "last"), before, timeout=15_000)

    # Another platform takes the brokerage session: degraded, and why.
    fault(gateway, "cp-competing")
    expect(ibkr).to_have_attribute("data-state", "degraded")
    expect(page.locator("#ibkr-detail")).to_have_text("a competing live session took the data")
    fault(gateway, "cp-competing-ended")
    expect(ibkr).to_have_attribute("data-state", "ready", timeout=20_000)
    page.wait_for_function(ALL_LIVE, timeout=20_000)
    before = page.locator(cell("AAPL", "last")).inner_text()
    wait_text_change(page, cell("AAPL", "last"), before, timeout=15_000)
    assert page.errors == []
