"""Bars for charts, end to end: a real `tickhub --demo` whose built-in simulator answers TWS's historical requests
from its own price path.

- `GET /api/market-data/bars/AAPL?interval=1m&range=1d` gives a day of whole, ordered minutes from IBKR at once;
- bad intervals, ranges and symbols get clear errors;
- `/stream` sends the series at once on a bars subscription, then the forming candle, which holds every trade
  quoted while it formed;
- bars kept in the database come back after a restart without being asked of IBKR again."""
import asyncio
import json
import time

from tickhub_e2e import expect, ready_hub

MINUTE = 60_000


def assert_bars(bars, width=MINUTE):
    assert bars, "no bars"
    times = [b["time"] for b in bars]
    assert times == sorted(set(times)), "bars out of order or repeated"
    for b in bars:
        assert b["time"] % width == 0, b
        assert b["low"] <= min(b["open"], b["close"]) <= max(b["open"], b["close"]) <= b["high"], b
        assert b["low"] > 0 and (b["volume"] is None or b["volume"] >= 0), b


def chart_bars_fetched(hub):
    """tickhub_chart_bars_total by its `from` label, from /metrics."""
    counts = {}
    for line in hub.get("/metrics").text.splitlines():
        if line.startswith("tickhub_chart_bars_total{"):
            label = line.split('from="', 1)[1].split('"', 1)[0]
            counts[label] = counts.get(label, 0) + float(line.rsplit(" ", 1)[1])
    return counts


def test_a_day_of_minutes_at_once():
    with ready_hub() as hub:
        started = time.monotonic()
        response = hub.get("/api/market-data/bars/AAPL?interval=1m&range=1d")
        elapsed = time.monotonic() - started
        assert response.status == 200, response
        body = response.json()
        assert body["symbol"] == "AAPL" and body["interval"] == "1m" and body["source"] == "ibkr"
        assert isinstance(body["lastComplete"], bool)
        assert_bars(body["bars"])
        # A regular session is 390 minutes; the demo's clock is inside one, so the day holds at least its start.
        assert len(body["bars"]) >= 30, len(body["bars"])
        assert body["bars"][-1]["time"] - body["bars"][0]["time"] <= 86_400_000
        print(f"a day of AAPL minutes ({len(body['bars'])} bars) in {elapsed * 1000:.0f} ms")

        daily = hub.get("/api/market-data/bars/AAPL?interval=1d&range=3mo").json()
        assert_bars(daily["bars"], width=86_400_000)
        assert len(daily["bars"]) >= 40


def test_bad_requests_get_clear_errors():
    with ready_hub() as hub:
        cases = [
            ("/api/market-data/bars/AAPL?interval=2m", 400, "bad_interval"),
            ("/api/market-data/bars/AAPL?interval=1m&range=30d", 400, "range_too_long"),
            ("/api/market-data/bars/AAPL?range=soon", 400, "bad_range"),
            ("/api/market-data/bars/AAPL?from=abc", 400, "bad_range"),
            ("/api/market-data/bars/A%24B", 400, "invalid_symbol"),
            ("/api/market-data/bars/ZZZZQ?interval=1m&range=1d", 404, "unknown_symbol"),
        ]
        for path, status, code in cases:
            response = hub.get(path)
            assert response.status == status, (path, response)
            assert response.json()["error"]["code"] == code, (path, response)
        assert "1m, 5m" in hub.get(cases[0][0]).json()["error"]["message"]


async def stream_bars(hub, seconds):
    async with hub.connect() as ws:
        await ws.send(json.dumps({"op": "subscribe", "symbols": ["AAPL"], "bars": [{"symbol": "AAPL", "interval": "1m"}]}))
        series = await expect(ws, lambda m: m.get("type") == "bars", timeout=15, what="the AAPL series")
        messages = []
        loop = asyncio.get_running_loop()
        until = loop.time() + seconds
        while loop.time() < until:
            try:
                message = await expect(ws, lambda m: m.get("type") in ("quote", "bar"), timeout=until - loop.time())
            except AssertionError:
                break
            messages.append(message)
        return series, messages


def test_the_stream_sends_the_series_then_the_forming_candle():
    with ready_hub() as hub:
        series, messages = asyncio.run(stream_bars(hub, 6))
        assert series["symbol"] == "AAPL" and series["interval"] == "1m" and series["source"] == "ibkr"
        assert_bars(series["bars"])
        updates = [m for m in messages if m["type"] == "bar"]
        assert len(updates) >= 3, f"{len(updates)} bar updates in 6 s"
        assert {"symbol", "interval", "time", "open", "high", "low", "close", "volume"} <= updates[0].keys()
        assert all(u["time"] >= series["bars"][-1]["time"] for u in updates)
        # The trades quoted between a candle's first and last update in the window were made in its minute: each
        # lies within the candle as last sent.
        newest = max(u["time"] for u in updates)
        of_newest = [i for i, m in enumerate(messages) if m["type"] == "bar" and m["time"] == newest]
        final = messages[of_newest[-1]]
        trades = [m["last"] for m in messages[of_newest[0]:of_newest[-1]] if m["type"] == "quote" and m.get("last")]
        for price in trades:
            assert final["low"] - 1e-9 <= price <= final["high"] + 1e-9, (price, final)
        print(f"{len(updates)} bar updates, {len(trades)} trades within the forming candle {final}")


def test_bars_kept_in_the_database_survive_a_restart(tmp_path):
    database = str(tmp_path / "hub.sqlite")
    with ready_hub("--db", database) as hub:
        first = hub.get("/api/market-data/bars/AAPL?interval=1m&range=1d").json()
        assert_bars(first["bars"])
        assert chart_bars_fetched(hub).get("database", 0) == 0
    with ready_hub("--db", database) as hub:
        again = hub.get("/api/market-data/bars/AAPL?interval=1m&range=1d")
        assert again.status == 200, again
        counts = chart_bars_fetched(hub)
        # All but the newest minutes came from the database; IBKR was asked only for what came after them.
        assert counts.get("database", 0) >= len(first["bars"]) - 5, counts
        assert counts.get("ibkr", 0) < 30, counts


def test_yahoos_chart_fills_in_when_ibkr_cannot_and_says_so():
    """IBKR disconnected: the bars come from Yahoo's v8 chart (the fake serves the recorded AAPL answer, one daily
    bar of 2022-02-22), marked as Yahoo's; once IBKR is back, IBKR serves again."""
    from fake_providers import FakeProviders
    fake = FakeProviders().start()
    try:
        with ready_hub(providers="ibkr,yahoo", env={"YAHOO_BASE_URL": fake.base_url}) as hub:
            assert hub.post("/api/ibkr/disconnect").status == 200
            hub.wait_for_ibkr("disconnected")
            # The recorded bar's trading date, 2022-02-22, as 00:00 UTC; the span holds it and the day after.
            day = 1_645_488_000_000
            response = hub.get(f"/api/market-data/bars/AAPL?interval=1d&from={day - 86_400_000}&to={day + 2 * 86_400_000}")
            assert response.status == 200, response
            body = response.json()
            assert body["source"] == "yahoo"
            assert [b["time"] for b in body["bars"]] == [day]
            assert_bars(body["bars"], width=86_400_000)
            assert fake.stats()["routes"].get("yahoo_chart", 0) >= 1
            assert hub.post("/api/ibkr/connect").status == 200
            hub.wait_for_ibkr("ready")
            assert hub.get("/api/market-data/bars/AAPL?interval=5m&range=2d").json()["source"] == "ibkr"
    finally:
        fake.stop()


def test_a_burst_of_twenty_chart_opens_stays_within_ibkrs_pacing():
    """Twenty charts opened at once, some the same: every one answered from IBKR, and TWS never says 162 (a
    pacing violation), since the provider queues its historical requests within IBKR's rules."""
    import concurrent.futures
    symbols = ["AAPL", "MSFT", "NVDA", "TSLA", "SPY", "QQQ", "EUR.USD", "BTC", "AAPL", "MSFT"]
    opens = [(s, i) for s in symbols for i in ("1m", "5m")]
    assert len(opens) == 20
    with ready_hub() as hub:
        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
            answers = list(pool.map(
                lambda o: hub.get(f"/api/market-data/bars/{o[0]}?interval={o[1]}", timeout=60), opens))
        elapsed = time.monotonic() - started
        for (symbol, interval), response in zip(opens, answers):
            assert response.status == 200, (symbol, interval, response)
            assert response.json()["source"] == "ibkr" and response.json()["bars"], (symbol, interval)
        _, stderr = hub.output()
        paced = [line for line in stderr.splitlines() if "162" in line or "pacing" in line.lower()]
        assert not paced, paced[:5]
        print(f"20 chart opens answered in {elapsed:.2f} s")

