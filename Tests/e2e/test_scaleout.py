"""Tickhub scaled out end to end (issue 18): one nats-server, a tickhub-sim, two `tickhub --role ingest` on it with
one client id (the first leads), three `tickhub --role edge`, and WebSocket clients on every edge
(`tickhub_e2e.ScaleOut`). Clients on the three edges stream quotes fed by the leader's one IBKR session; the leader
killed, the standby leads and the clients, on the same sockets, are told and then get fresh quotes numbered above the
old ones; IBKR's switch and the database's routes work through an edge.

The figures measured (takeover time, added latency of the NATS hop) are printed (`pytest -s`)."""
import asyncio
import json
import signal
import statistics
import time

from tickhub_e2e import ScaleOut, expect, metric, now_us, wait_for

SYMBOLS = ["AAPL", "EUR.USD", "MSFT"]


def run(coroutine, timeout=120):
    return asyncio.run(asyncio.wait_for(coroutine, timeout))


def is_quote(symbol=None, stale=None):
    return lambda m: (m.get("type") == "quote" and (symbol is None or m["symbol"] == symbol)
                      and (stale is None or m["stale"] is stale))


async def subscribed(hub, symbols=SYMBOLS):
    """A client on `hub` subscribed to `symbols`, once it has a fresh quote of each: (ws, {symbol: that quote})."""
    ws = await hub.connect()
    await ws.send(json.dumps({"op": "subscribe", "symbols": symbols}))
    first = {}
    for symbol in symbols:
        first[symbol] = await expect(ws, is_quote(symbol, stale=False), 20, f"a fresh {symbol} quote on {hub.name}")
    return ws, first


def test_three_edges_stream_one_ibkr_session_and_keep_their_clients_through_a_takeover(tmp_path):
    with ScaleOut(tmp_path, ingests=2, edges=3) as cluster:
        leader = cluster.leader()
        standby = next(hub for hub in cluster.ingests if hub is not leader)
        # One IBKR session: the leader's. The standby never opened one.
        assert leader.get("/api/ibkr/status").json()["state"] == "ready"
        assert standby.get("/api/ibkr/status").json()["state"] != "ready"

        async def scenario():
            clients = [await subscribed(edge) for edge in cluster.edges]
            sockets = [ws for ws, _ in clients]

            # The edges pass on the leader's bytes: a (symbol, seq) seen on two edges is the same quote, same `t`.
            seen = [{} for _ in sockets]
            for index, ws in enumerate(sockets):
                for _ in range(40):
                    m = await expect(ws, is_quote(), 10, f"quotes on edge {index}")
                    seen[index][(m["symbol"], m["seq"])] = m
            common = set(seen[0]) & set(seen[1]) | set(seen[0]) & set(seen[2])
            assert common, "no quote seen on two edges"
            for key in common:
                others = [s[key] for s in seen[1:] if key in s]
                for other in others:
                    assert other == seen[0][key], f"{key} differs between edges"

            # Every edge's lease is at the leader: it follows the union, once.
            assert metric(leader, "tickhub_relay_interest_edges") == 3
            assert metric(leader, "tickhub_relay_leader") == 1
            killed_at = time.monotonic()
            leader.proc.send_signal(signal.SIGKILL)
            leader.proc.wait()
            # Every client, on its own socket still, is told the feed is lost with every quote re-sent stale, then
            # that it is live again, then gets a fresh quote of each symbol numbered above any before.
            async def through_takeover(index, ws):
                seen = []
                notice = await expect(ws, lambda m: m.get("type") == "status" and m.get("feed") == "lost", 10,
                                      f"the feed-lost notice on edge {index}", seen)
                told = time.monotonic() - killed_at
                # Told when the old leader's silence is noticed, or at the latest when its successor's first word comes.
                assert "hears no leading ingest" in notice["reason"] or "leader changed" in notice["reason"], notice
                reasons.add(notice["reason"].split(":")[0])
                lost_at = len(seen)
                await expect(ws, lambda m: m.get("type") == "status" and m.get("feed") == "live", 20,
                             f"the feed-live notice on edge {index}", seen)
                assert not [m for m in seen[lost_at:] if m.get("type") == "quote" and not m["stale"]], \
                    "a quote shown live while the feed was lost"
                floors = {}
                for m in seen:
                    if m.get("type") == "quote":
                        floors[m["symbol"]] = max(floors.get(m["symbol"], 0), m["seq"])
                for symbol in SYMBOLS:
                    await expect(ws, lambda m, s=symbol: is_quote(s, stale=False)(m) and m["seq"] > floors.get(s, 0), 20,
                                 f"a fresh {symbol} quote from the new leader on edge {index}", seen)
                fresh = time.monotonic() - killed_at
                # No client ever sees a symbol's seq go down across the takeover.
                last = {}
                for m in seen:
                    if m.get("type") == "quote":
                        assert m["seq"] >= last.get(m["symbol"], 0), f"seq went down on edge {index}: {m}"
                        last[m["symbol"]] = m["seq"]
                return told, fresh

            reasons = set()
            resumed = await asyncio.gather(*(through_takeover(i, ws) for i, ws in enumerate(sockets)))
            took = max(fresh for _, fresh in resumed)
            print(f"\ntakeover: leader killed -> fresh quotes of {len(SYMBOLS)} symbols on all 3 edges in {took:.2f} s; "
                  f"clients told the feed was lost after {max(t for t, _ in resumed):.2f} s "
                  f"({' / '.join(sorted(reasons))}; nats.leaderSeconds {cluster.leader_seconds})")
            assert took < cluster.leader_seconds * 4 / 3 + 3
            for ws in sockets:
                assert ws.state.name == "OPEN"
                await ws.close()

        run(scenario())
        assert cluster.leader() is standby
        assert standby.get("/api/ibkr/status").json()["state"] == "ready"
        # The new leader is in a newer epoch, and every edge has heard it.
        epoch = metric(standby, "tickhub_relay_epoch")
        for edge in cluster.edges:
            health = edge.get("/api/health").json()
            assert health["scaleOut"]["role"] == "edge"
            assert health["scaleOut"]["epoch"] == epoch
            assert health["scaleOut"]["feed"] == "live", json.dumps(health["scaleOut"])


def test_ibkr_switch_and_positions_through_an_edge(tmp_path):
    with ScaleOut(tmp_path, ingests=1, edges=1) as cluster:
        leader, edge = cluster.ingests[0], cluster.edges[0]
        assert edge.get("/api/ibkr/status").json()["state"] == "ready"

        answer = edge.post("/api/ibkr/disconnect")
        assert answer.status == 200 and answer.json()["state"] == "disconnected"
        assert leader.get("/api/ibkr/status").json()["state"] == "disconnected"
        answer = edge.post("/api/ibkr/connect")
        assert answer.status == 200
        wait_for(lambda: edge.get("/api/ibkr/status").json()["state"] == "ready", 15, "IBKR ready again via the edge")
        assert leader.get("/api/ibkr/status").json()["state"] == "ready"

        # A manual position written through the edge lands in the leader's database, validation included.
        body = json.dumps({"broker": "tastytrade", "account": "5WT00009", "symbol": "NVDA", "quantity": 10, "avgCost": 120.5})
        created = edge.post("/api/positions", body=body, headers={"Content-Type": "application/json"})
        assert created.status == 201, created.body
        position = created.json()
        assert any(p["id"] == position["id"] for p in leader.get("/api/positions").json()["positions"])
        assert edge.get(f"/api/positions/{position['id']}").json()["symbol"] == "NVDA"
        refused = edge.post("/api/positions", body=json.dumps({"symbol": "NVDA"}), headers={"Content-Type": "application/json"})
        assert refused.status == 400 and refused.json()["error"]["code"]

        # An alert rule made through the edge is the leader's, with its Location; the query of a GET goes along.
        rule = edge.post("/api/alerts", body=json.dumps({"symbol": "AAPL", "condition": "above", "level": 100000}),
                         headers={"Content-Type": "application/json"})
        assert rule.status == 201, rule.body
        assert rule.headers["location"] == f"/api/alerts/{rule.json()['id']}"
        assert leader.get(rule.headers["location"]).json()["id"] == rule.json()["id"]
        assert edge.get(f"/api/alerts/deliveries?alertId={rule.json()['id']}&limit=5").json() == \
            leader.get(f"/api/alerts/deliveries?alertId={rule.json()['id']}&limit=5").json()
        assert edge.get("/api/alerts/deliveries?limit=0").status == 400

        # The edge values the holdings itself from the relayed positions and its own quotes: the leader's figures.
        def same_pnl():
            mine = {p["symbol"]: p for p in edge.get("/api/portfolio/pnl").json()["positions"]}
            theirs = {p["symbol"]: p for p in leader.get("/api/portfolio/pnl").json()["positions"]}
            return "NVDA" in mine and mine.keys() == theirs.keys() and mine["NVDA"]["quantity"] == 10
        wait_for(same_pnl, 15, "the edge's P&L positions the leader's")


def test_the_nats_hop_adds_little_latency(tmp_path):
    """`t` (when the leader received the quote) to the client: on the leader itself and on an edge, same quotes."""
    with ScaleOut(tmp_path, ingests=1, edges=1) as cluster:
        leader, edge = cluster.ingests[0], cluster.edges[0]

        async def lags(hub, seconds):
            ws, _ = await subscribed(hub, ["AAPL", "MSFT"])
            values = {}
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                m = await expect(ws, is_quote(stale=False), 5, "quotes")
                values[(m["symbol"], m["seq"])] = now_us() - m["t"]
            await ws.close()
            return values

        async def scenario():
            direct, relayed = await asyncio.gather(lags(leader, 6), lags(edge, 6))
            common = sorted(set(direct) & set(relayed))
            assert len(common) > 100, f"only {len(common)} quotes seen on both"
            added = [relayed[k] - direct[k] for k in common]
            median = statistics.median(added)
            p99 = sorted(added)[int(len(added) * 0.99) - 1]
            print(f"\nlatency from t: leader median {statistics.median(direct[k] for k in common) / 1000:.2f} ms, "
                  f"edge median {statistics.median(relayed[k] for k in common) / 1000:.2f} ms; "
                  f"added by the NATS hop median {median / 1000:.2f} ms, p99 {p99 / 1000:.2f} ms over {len(common)} quotes")
            assert median < 20_000

        run(scenario())


def test_bars_and_alerts_reach_clients_on_the_edges(tmp_path):
    """A series charted on an edge is followed by the leader for it: its client gets the series, then the forming
    candle's updates; a second edge asking for it later gets the series as it stands. An alert rule made through one
    edge fires to the `alerts` clients of another."""
    with ScaleOut(tmp_path, ingests=1, edges=2) as cluster:
        first, second = cluster.edges

        async def chart(hub, updates):
            ws = await hub.connect()
            await ws.send(json.dumps({"op": "subscribe", "bars": [{"symbol": "AAPL", "interval": "1m"}]}))
            series = await expect(ws, lambda m: m.get("type") == "bars", 30, f"the AAPL 1m series on {hub.name}")
            assert series["symbol"] == "AAPL" and series["interval"] == "1m" and series["bars"], series
            times = [b["time"] for b in series["bars"]]
            assert times == sorted(set(times))
            got = []
            for _ in range(updates):
                bar = await expect(ws, lambda m: m.get("type") == "bar", 20, f"an AAPL bar update on {hub.name}")
                assert bar["symbol"] == "AAPL" and bar["interval"] == "1m" and bar["time"] >= times[-1], (bar, times[-1])
                assert bar["low"] <= min(bar["open"], bar["close"]) and bar["high"] >= max(bar["open"], bar["close"])
                got.append(bar)
            return ws, series, got

        async def scenario():
            ws1, series1, updates1 = await chart(first, 3)
            # Followed already at the leader for the first edge: the second still gets the whole series first.
            ws2, series2, updates2 = await chart(second, 2)
            assert series2["bars"][0]["time"] == series1["bars"][0]["time"]
            print(f"\nbars on the edges: {len(series1['bars'])} and {len(series2['bars'])} bars, then "
                  f"{len(updates1)} and {len(updates2)} updates")

            alerts = await second.connect()
            await alerts.send(json.dumps({"op": "subscribe", "channels": ["alerts"]}))
            await alerts.send(json.dumps({"op": "subscribe", "symbols": ["NVDA"]}))
            await expect(alerts, is_quote("NVDA"), 20, "an NVDA quote on the second edge (the subscriptions are in)")
            answer = await asyncio.to_thread(
                first.post, "/api/alerts", body=json.dumps({"symbol": "AAPL", "condition": "above", "level": 1,
                                                            "cooldownSeconds": 3600}),
                headers={"Content-Type": "application/json"})
            assert answer.status == 201, answer.body
            rule = answer.json()
            alert = await expect(alerts, lambda m: m.get("type") == "alert", 30, "the fired alert on the second edge")
            assert alert["id"] == rule["id"] and alert["symbol"] == "AAPL" and alert["condition"] == "above", alert
            assert alert["level"] == 1 and alert["price"] > 1 and alert["time"] > 0, alert
            for ws in (ws1, ws2, alerts):
                await ws.close()

        run(scenario())
