"""Positions and live P&L end to end: the demo hub's IBKR portfolio (from the simulator) valued against the quotes
the hub itself serves, recomputed here independently."""
import asyncio
import json
import time
import urllib.request

import websockets

from conftest import start_hub


def get(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
        return json.loads(response.read())


def post(port, path):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method="POST", data=b"")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def wait_for(what, condition, timeout=15):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


# Half a unit of the last place written, and the float error of the sums it was compared with.
CENT = 0.005 + 1e-6
PRICE_UNIT = 0.00005 + 1e-9


class Written(float):
    """A JSON number that remembers how it was written."""

    def __new__(cls, text):
        number = super().__new__(cls, text)
        number.text = text
        return number

    @property
    def decimals(self):
        mantissa = self.text.lower().split("e")[0]
        return 99 if "e" in self.text.lower() else len(mantissa.split(".")[1]) if "." in mantissa else 0


def get_written(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
        return json.loads(response.read(), parse_float=Written)


MONEY = {"marketValue", "unrealizedPnl", "dailyPnl", "brokerUnrealizedPnl", "netLiquidation", "cash"}
MINOR_UNIT = {"JPY": 0}


def too_many_decimals(value, currency="USD", where=""):
    """Every money field of a body (each valued position in its currency, the rest in USD) with more decimals than
    its currency's minor unit; and any percentage with more than 2."""
    found = []
    if isinstance(value, dict):
        currency = value.get("currency", currency) if "symbol" in value else currency
        for key, item in value.items():
            if isinstance(item, Written):
                limit = MINOR_UNIT.get(currency, 2) if key in MONEY else 2 if key.endswith("Percent") else None
                if limit is not None and item.decimals > limit:
                    found.append(f"{where}.{key}={item.text} ({currency})")
            else:
                found += too_many_decimals(item, currency, f"{where}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += too_many_decimals(item, currency, f"{where}[{i}]")
    return found


def test_no_amount_prints_more_decimals_than_its_currency_has():
    """Money carries no binary noise anywhere: pnl, summary, a broker's positions, the history; stored positions
    come back as they were entered."""
    hub = start_hub()
    try:
        port = int(hub.fields["port"])
        entered = {"broker": "tastytrade", "account": "5WT1", "symbol": "IBM", "quantity": 3, "avgCost": 180.1}
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/positions", method="POST", data=json.dumps(entered).encode(),
                                         headers={"content-type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 201
        wait_for("six positions valued", lambda: (lambda p: len(p["positions"]) == 6 and all(
            x["marketPrice"] is not None for x in p["positions"]))(get(port, "/api/portfolio/pnl")))
        checked = 0
        # Several rounds: the prices move, and noise shows in some figures and not others.
        for _ in range(20):
            for path in ("/api/portfolio/pnl", "/api/portfolio/summary", "/api/brokers/ibkr/positions",
                         "/api/brokers/tastytrade/positions", "/api/portfolio/history"):
                body = get_written(port, path)
                assert not too_many_decimals(body, where=path), too_many_decimals(body, where=path)
                checked += 1
            time.sleep(0.05)
        stored = next(p for p in get_written(port, "/api/positions")["positions"] if p["broker"] == "tastytrade")
        assert stored["avgCost"].text == "180.1" and stored["quantity"] == 3
        assert checked == 100
    finally:
        hub.stop()


def mark(q):
    """The documented mark rule, written again from its description."""
    bid, ask, last = q["bid"], q["ask"], q["last"]
    if not q["stale"] and last is not None:
        if bid is not None and ask is not None and bid <= ask:
            if bid <= last <= ask:
                return last
        elif bid is None or ask is None:
            return last
    if bid is not None and ask is not None and 0 < bid <= ask:
        return (bid + ask) / 2
    return last if last is not None else (bid if bid is not None else ask)


def test_pnl_agrees_with_an_independent_computation_from_the_hubs_quotes():
    hub = start_hub()
    try:
        port = int(hub.fields["port"])
        pnl = wait_for("all five positions valued",
                       lambda: (lambda p: p if len(p["positions"]) == 5 and all(x["marketPrice"] is not None for x in p["positions"]) else None)(
                           get(port, "/api/portfolio/pnl")))
        by_symbol = {p["symbol"]: p for p in pnl["positions"]}
        assert set(by_symbol) == {"AAPL", "MSFT", "EUR.USD", "BTC", "SPY 271217C00600000"}
        option = by_symbol["SPY 271217C00600000"]
        assert option["multiplier"] == 100 and option["avgCost"] == 1050 and option["costPerUnit"] == 10.5
        assert by_symbol["MSFT"]["quantity"] == -50

        # Freeze the quotes: with IBKR disconnected (and no fallback in this hub) every quote stays put, stale.
        post(port, "/api/ibkr/disconnect")
        frozen = wait_for("every held quote stale", lambda: (lambda qs: qs if all(q["stale"] for q in qs.values()) else None)(
            {s: get(port, "/api/market-data/quote/" + urllib.request.quote(s)) for s in by_symbol}))
        pnl = get(port, "/api/portfolio/pnl")
        total_value = total_unrealized = 0.0
        for position in pnl["positions"]:
            q = frozen[position["symbol"]]
            m = mark(q)
            units = position["quantity"] * position["multiplier"]
            cost_per_unit = position["avgCost"] / position["multiplier"] if position["secType"] in ("OPT", "FUT") else position["avgCost"]
            # Prices keep their instrument's decimals, money is rounded to the cent: within half a unit of the last place.
            assert abs(position["marketPrice"] - m) <= PRICE_UNIT, (position, q)
            assert abs(position["marketValue"] - m * units) <= CENT, (position, q)
            assert abs(position["unrealizedPnl"] - (m - cost_per_unit) * units) <= CENT
            if q["close"]:
                assert abs(position["dailyPnl"] - (m - q["close"]) * units) <= CENT
            assert position["quoteTimestamp"] == q["timestamp"]
            assert position["stale"] is True and position["quoteSource"] == "ibkr"
            # IBKR's own figure rides along for comparison.
            assert position["brokerUnrealizedPnl"] is not None
            total_value += m * units
            total_unrealized += (m - cost_per_unit) * units
        # A total is the exact sum rounded once, not a sum of rounded figures.
        assert abs(pnl["totals"]["marketValue"] - total_value) <= CENT
        assert abs(pnl["totals"]["unrealizedPnl"] - total_unrealized) <= CENT
        assert pnl["totals"]["stale"] == 5
        assert abs(pnl["byBroker"]["ibkr"]["unrealizedPnl"] - total_unrealized) <= CENT

        summary = get(port, "/api/portfolio/summary")
        assert summary["positions"] == 5 and summary["cash"] == 250000
        allocation = get(port, "/api/portfolio/allocation")
        # Each share is rounded to 4 decimals on its own: together they miss 1 by at most their rounding.
        assert abs(sum(allocation["bySymbol"].values()) - 1) <= 0.00005 * len(allocation["bySymbol"]) + 1e-9
        assert get(port, "/api/brokers")["brokers"][0]["name"] == "ibkr"
        assert len(get(port, "/api/brokers/ibkr/positions")["positions"]) == 5
        assert any(b["tag"] == "NetLiquidation" for b in get(port, "/api/brokers/ibkr/balances")["balances"])
    finally:
        hub.stop()


def test_pnl_channel_pushes_at_most_four_times_a_second():
    hub = start_hub()
    try:
        port = int(hub.fields["port"])

        async def scenario():
            async with websockets.connect(f"ws://127.0.0.1:{port}/stream") as ws:
                await ws.send(json.dumps({"op": "subscribe", "channels": ["pnl"]}))
                pushes = []
                deadline = time.monotonic() + 6
                while time.monotonic() < deadline:
                    try:
                        frame = json.loads(await asyncio.wait_for(ws.recv(), timeout=1))
                    except asyncio.TimeoutError:
                        continue
                    for m in frame if isinstance(frame, list) else [frame]:
                        if m.get("type") == "pnl":
                            pushes.append((time.monotonic(), m))
                return pushes

        pushes = asyncio.run(scenario())
        live = [m for _, m in pushes if len(m["positions"]) == 5]
        assert len(live) >= 4, "P&L moves with the quotes and is pushed"
        # The first push answers the subscription; after that, no more than 4 a second (plus timing slack).
        span = pushes[-1][0] - pushes[1][0] if len(pushes) > 2 else 1
        assert (len(pushes) - 1) / max(span, 1) <= 4.5, [round(t, 2) for t, _ in pushes]
        assert all("totals" in m and "byBroker" in m for _, m in pushes)
    finally:
        hub.stop()
