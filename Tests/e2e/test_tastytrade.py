"""TastyTrade end to end: `tickhub` synced with the simulator's TastyTrade (`tickhub-sim --tastytrade-port 0`: REST,
the account streamer and DXLink on one loopback port) beside IBKR from the same simulator. Positions and balances
appear, a fill announced on the streamer moves the position and its P&L, token expiry is renewed without a gap, a
revoked grant is reported and not retried, DXLink quotes reach a stream client, and the combined view sums both
brokers.

Loopback only; every wait is bounded."""
import asyncio
import json
import statistics
import time
import urllib.parse
import urllib.request

import pytest

from conftest import ROOT, start_simulator
from tickhub_e2e import Hub, wait_for

ACCOUNTS = ["5WT00001", "5WT00002"]
GRANT = {
    "TASTYTRADE_CLIENT_ID": "tickhub-sim-client",
    "TASTYTRADE_CLIENT_SECRET": "tickhub-sim-secret",
    "TASTYTRADE_REFRESH_TOKEN": "tickhub-sim-refresh-token",
}


class Market:
    """One tickhub-sim playing both IBKR (TWS) and TastyTrade, with its control port."""

    def __init__(self, *extra):
        self.sim = start_simulator("--portfolio", str(ROOT / "config" / "sim-portfolio.json"), "--tick-rate", "500",
                                   "--tastytrade-port", "0", *extra)
        assert "tastytrade" in self.sim.fields, f"the simulator names no TastyTrade port: {self.sim.fields}"
        self.port = int(self.sim.fields["port"])
        self.tastytrade = int(self.sim.fields["tastytrade"])
        self.control = int(self.sim.fields["control"])

    def post(self, path):
        request = urllib.request.Request(f"http://127.0.0.1:{self.control}{path}", method="POST", data=b"")
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.loads(response.read() or b"{}")

    def status(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.control}/tastytrade/status", timeout=5) as response:
            return json.loads(response.read())

    def fill(self, account, symbol, quantity, price=None):
        query = {"account": account, "symbol": symbol, "quantity": quantity}
        if price is not None:
            query["price"] = price
        return self.post("/tastytrade/fill?" + urllib.parse.urlencode(query))

    def hub(self, *extra, providers="ibkr,tastytrade", grant=GRANT, tastytrade=None):
        """A hub on this market: IBKR over TWS, TastyTrade over plain HTTP and ws on loopback; `tastytrade` adds
        settings of the `tastytrade` section (through a config file)."""
        env = {**(grant or {}),
               "TASTYTRADE_BASE_URL": f"http://127.0.0.1:{self.tastytrade}",
               "TASTYTRADE_STREAMER_URL": f"ws://127.0.0.1:{self.tastytrade}/streamer"}
        args = ["--ibkr-host", "127.0.0.1", "--ibkr-port", str(self.port), "--offline", *extra]
        if tastytrade:
            import tempfile
            config = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
            json.dump({"tastytrade": tastytrade}, config)
            config.close()
            args += ["--config", config.name]
        return Hub(*args, providers=providers, env=env, demo=False)

    def stop(self):
        self.sim.stop()


@pytest.fixture
def market():
    m = Market()
    yield m
    m.stop()


def sync_status(hub):
    brokers = hub.get("/api/health").json().get("brokers") or []
    return next((b for b in brokers if b["name"] == "tastytrade"), None)


def tasty_positions(hub):
    return hub.get("/api/brokers/tastytrade/positions").json()["positions"]


def wait_for_sync(hub, timeout=20):
    wait_for(lambda: (sync_status(hub) or {}).get("state") == "live", timeout, "live TastyTrade sync")
    return wait_for(lambda: len(tasty_positions(hub)) == 7 and tasty_positions(hub), timeout, "TastyTrade's 7 positions")


def test_positions_and_balances_appear_and_are_kept(market):
    hub = market.hub()
    try:
        positions = {(p["account"], p["symbol"]): p for p in wait_for_sync(hub)}
        assert set(a for a, _ in positions) == set(ACCOUNTS)
        aapl = positions[("5WT00001", "AAPL")]
        assert aapl["quantity"] == 50 and aapl["secType"] == "STK", aapl
        # A short: TastyTrade's quantity is unsigned with direction Short.
        assert positions[("5WT00001", "MSFT")]["quantity"] == -20
        # The padded OCC root becomes Tickhub's option symbol; BTC/USD the coin.
        option = positions[("5WT00001", "SPY 271217C00600000")]
        assert option["secType"] == "OPT" and option["multiplier"] == 100, option
        assert positions[("5WT00001", "BTC")]["quantity"] == 0.25
        # The future is listed, unvalued, with the reason.
        future = positions[("5WT00001", "/ESZ6")]
        assert future["valued"] is False and "future" in future["unvaluedReason"], future
        assert future.get("marketValue") is None and future.get("unrealizedPnl") is None
        # Valued live, TastyTrade's own mark beside Tickhub's.
        wait_for(lambda: all(p["marketPrice"] for p in tasty_positions(hub) if p.get("valued", True)), 20, "marks")
        for p in tasty_positions(hub):
            if p.get("valued", True):
                assert p["brokerMarketPrice"] is not None, p
                assert abs(p["unrealizedPnl"] - round((p["marketPrice"] - p["costPerUnit"]) * p["quantity"] * p["multiplier"], 2)) <= 0.011, p
        balances = hub.get("/api/brokers/tastytrade/balances").json()["balances"]
        by = {(b["account"], b["tag"]): b for b in balances}
        for account in ACCOUNTS:
            assert float(by[(account, "NetLiquidation")]["value"]) > 0, balances
            assert (account, "TotalCashValue") in by, balances
        # The database keeps them as the broker's synced rows, the future with its reason.
        stored = wait_for(lambda: [p for p in hub.get("/api/positions?broker=tastytrade").json()["positions"]]
                          if len(hub.get("/api/positions?broker=tastytrade").json()["positions"]) == 7 else None,
                          10, "7 stored TastyTrade positions")
        assert {p["symbol"] for p in stored} >= {"AAPL", "MSFT", "BTC", "SPY 271217C00600000", "/ESZ6"}, stored
        assert all(p["origin"] == "tastytrade" for p in stored), stored
    finally:
        hub.stop()


def pnl_quantity(message, account, symbol):
    for p in message.get("positions", []):
        if p["broker"] == "tastytrade" and p["account"] == account and p["symbol"] == symbol:
            return p
    return None


def test_a_fill_on_the_streamer_moves_the_position_and_its_pnl_within_a_second(market):
    hub = market.hub()
    try:
        wait_for_sync(hub)
        # Quoted first, so that each push after a fill can be checked against its mark.
        wait_for(lambda: all(p["marketPrice"] for p in tasty_positions(hub) if p.get("valued", True)), 20, "marks")

        async def scenario():
            delays = []
            async with hub.connect() as ws:
                await ws.send(json.dumps({"op": "subscribe", "channels": ["pnl"]}))
                quantity = 50
                for n in range(5):
                    step = 10 if n % 2 == 0 else -5
                    quantity += step
                    started = time.monotonic()
                    await asyncio.get_running_loop().run_in_executor(None, market.fill, "5WT00001", "AAPL", step)
                    deadline = started + 5
                    while True:
                        assert time.monotonic() < deadline, f"AAPL never showed {quantity} on the pnl channel"
                        frame = json.loads(await asyncio.wait_for(ws.recv(), timeout=max(0.05, deadline - time.monotonic())))
                        for m in frame if isinstance(frame, list) else [frame]:
                            if m.get("type") != "pnl":
                                continue
                            p = pnl_quantity(m, "5WT00001", "AAPL")
                            if p and p["quantity"] == quantity:
                                break
                        else:
                            continue
                        break
                    delays.append(time.monotonic() - started)
                    # The new position is valued at once: its P&L is the mark against the new average cost.
                    assert p["marketPrice"] is not None, p
                    assert abs(p["unrealizedPnl"] - round((p["marketPrice"] - p["costPerUnit"]) * quantity, 2)) <= 0.011, p
            return delays

        delays = asyncio.run(scenario())
        print(f"\nfill on the streamer → pnl message with the new quantity: median {statistics.median(delays) * 1000:.0f} ms, "
              f"max {max(delays) * 1000:.0f} ms over {len(delays)} fills")
        assert max(delays) < 1.0, delays
        assert market.status()["fills"] == 5
    finally:
        hub.stop()


def test_token_expiry_is_renewed_without_a_gap(tmp_path):
    # Tokens live 4 s here; the hub renews them 2 s ahead, and its streamer heartbeats (each carrying the token of the
    # moment, as TastyTrade wants) come every 2 s, so the streamer session never outlives its token.
    market = Market("--tastytrade-token-seconds", "4")
    hub = market.hub(tastytrade={"tokenRefreshMarginSeconds": 2, "heartbeatSeconds": 2})
    try:
        wait_for_sync(hub)
        before = market.status()
        issued = before["tokensIssued"]
        # Until three renewals have happened (about 6 s), watching the sync and the positions all the while.
        states = set()
        deadline = time.monotonic() + 20
        while (status := market.status())["tokensIssued"] - issued < 3:
            assert time.monotonic() < deadline, f"fewer than 3 renewals in 20 s: {status}"
            states.add(sync_status(hub)["state"])
            assert len(tasty_positions(hub)) == 7
            time.sleep(0.1)
        assert status["unauthorized"] == 0, f"a request went out on an expired token: {status}"
        assert status["streamers"] == before["streamers"], f"the streamer reconnected: {before} → {status}"
        assert states == {"live"}, states
        # Tokens taken away early (the server's own decision): one 401, one renewal, the sync goes on.
        market.post("/tastytrade/fault/expire-tokens")
        market.fill("5WT00002", "NVDA", 5)
        wait_for(lambda: any(p["symbol"] == "NVDA" and p["quantity"] == 45 for p in tasty_positions(hub)), 10,
                 "the NVDA fill after the tokens expired")
        assert sync_status(hub)["state"] == "live"
    finally:
        hub.stop()
        market.stop()


def test_a_revoked_grant_is_reported_with_what_to_do_and_never_retried(market):
    hub = market.hub()
    try:
        wait_for_sync(hub)
        market.post("/tastytrade/fault/revoke-grant")
        market.post("/tastytrade/fault/expire-tokens")
        status = wait_for(lambda: (s := sync_status(hub)) and s["state"] == "error" and s, 15, "the error state")
        assert "TASTYTRADE_REFRESH_TOKEN" in status["detail"] or "grant" in status["detail"], status
        refused = market.status()["grantsRefused"]
        assert refused >= 1
        time.sleep(3)  # a loop of token requests would show in these 3 s
        assert market.status()["grantsRefused"] == refused, "the hub asked again with a revoked grant"
        # The positions last synced stay listed; the secrets never appear in any answer.
        body = hub.get("/api/health").text + hub.get("/api/brokers").text + json.dumps(tasty_positions(hub))
        for secret in GRANT.values():
            assert secret not in body
    finally:
        stdout, stderr = hub.output()
        for secret in (GRANT["TASTYTRADE_CLIENT_SECRET"], GRANT["TASTYTRADE_REFRESH_TOKEN"]):
            assert secret not in stdout + stderr, "a secret reached the hub's output"


def test_dxlink_quotes_reach_a_stream_client(market):
    hub = market.hub(providers="tastytrade")
    try:
        wait_for_sync(hub)

        async def scenario():
            async with hub.connect() as ws:
                await ws.send(json.dumps({"op": "subscribe", "symbols": ["AAPL", "SPY 271217C00600000", "BTC"]}))
                seen = {}
                deadline = time.monotonic() + 20
                while len(seen) < 3:
                    assert time.monotonic() < deadline, f"DXLink quotes so far: {seen}"
                    frame = json.loads(await asyncio.wait_for(ws.recv(), timeout=max(0.05, deadline - time.monotonic())))
                    for m in frame if isinstance(frame, list) else [frame]:
                        if m.get("type") == "quote" and m.get("source") == "tastytrade" and not m.get("stale") \
                                and m.get("bid") and m.get("ask"):
                            seen[m["symbol"]] = m
                for quote in seen.values():
                    assert 0 < quote["bid"] <= quote["ask"], quote
                # DXLink refuses the quote token: AAPL turns stale, the provider takes a new token (one REST request
                # more) and fresh quotes follow.
                requests = market.status()["requests"]
                await asyncio.get_running_loop().run_in_executor(None, market.post, "/tastytrade/fault/dxlink-unauthorized")
                fresh_after = time.monotonic()
                deadline = fresh_after + 15
                went_stale = False
                while True:
                    assert time.monotonic() < deadline, f"no fresh DXLink quote after the token was refused (stale seen: {went_stale})"
                    frame = json.loads(await asyncio.wait_for(ws.recv(), timeout=max(0.05, deadline - time.monotonic())))
                    aapl = [m for m in (frame if isinstance(frame, list) else [frame])
                            if m.get("type") == "quote" and m["symbol"] == "AAPL"]
                    went_stale = went_stale or any(m.get("stale") for m in aapl)
                    if went_stale and any(m.get("source") == "tastytrade" and not m.get("stale") for m in aapl):
                        break
                assert market.status()["requests"] > requests, "no new quote token was asked for"
                return time.monotonic() - fresh_after

        recovered = asyncio.run(scenario())
        print(f"\nDXLink UNAUTHORIZED → fresh TastyTrade quote again after {recovered:.2f} s")
        health = hub.get("/api/health").json()
        provider = next(p for p in health["providers"] if p["name"] == "tastytrade")
        assert provider["state"] == "ready", provider
    finally:
        hub.stop()


def test_the_combined_view_sums_ibkr_and_tastytrade(market):
    hub = market.hub()
    try:
        wait_for_sync(hub)
        hub.wait_for_ibkr("ready", timeout=20)

        def both_valued():
            body = hub.get("/api/portfolio/pnl").json()
            brokers = body["byBroker"]
            ok = "ibkr" in brokers and "tastytrade" in brokers and all(
                p["marketValue"] is not None for p in body["positions"] if p.get("valued", True))
            return body if ok else None

        body = wait_for(both_valued, 20, "both brokers valued")
        totals, brokers = body["totals"], body["byBroker"]
        for field in ("marketValue", "unrealizedPnl", "dailyPnl"):
            # Each total is rounded once from the unrounded sum: within a cent of the rounded parts' sum.
            assert abs(totals[field] - (brokers["ibkr"][field] + brokers["tastytrade"][field])) <= 0.011, (field, totals, brokers)
        assert totals["positions"] == brokers["ibkr"]["positions"] + brokers["tastytrade"]["positions"]
        assert totals["unvalued"] == 1
        summary = hub.get("/api/portfolio/summary").json()
        balances = {b: hub.get(f"/api/brokers/{b}/balances").json()["balances"] for b in ("ibkr", "tastytrade")}
        net = sum(float(x["value"]) for values in balances.values() for x in values if x["tag"] == "NetLiquidation")
        assert abs(summary["netLiquidation"] - net) <= 0.011 * 3, (summary, net)
    finally:
        hub.stop()


def test_a_grant_refused_at_start_shows_the_positions_last_synced_with_the_error(market, tmp_path):
    database = str(tmp_path / "hub.sqlite")
    first = market.hub("--db", database)
    try:
        wait_for_sync(first)
        wait_for(lambda: len(first.get("/api/positions?broker=tastytrade").json()["positions"]) == 7, 10, "stored positions")
    finally:
        first.stop()
    market.post("/tastytrade/fault/revoke-grant")
    second = market.hub("--db", database)
    try:
        status = wait_for(lambda: (s := sync_status(second)) and s["state"] == "error" and s, 15, "the error state")
        assert "TASTYTRADE_REFRESH_TOKEN" in status["detail"], status
        # The positions of the last sync, from the database, beside the error: the future still unvalued.
        shown = wait_for(lambda: (p := tasty_positions(second)) and len(p) == 7 and p, 10, "the last synced positions")
        assert {p["symbol"] for p in shown} >= {"AAPL", "MSFT", "BTC", "/ESZ6"}, shown
        assert second.get("/api/health").json()["status"] == "degraded"
    finally:
        second.stop()
