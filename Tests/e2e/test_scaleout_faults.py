"""Scale-out faults end to end (issue 18): a real nats-server, a tickhub-sim, `tickhub --role ingest` and
`tickhub --role edge` processes (`tickhub_e2e.ScaleOut`), and WebSocket clients on the edges. Each fault is made for
real: the NATS server killed and started again on its port and store, an edge killed, an edge cut off from NATS by a
loopback relay that stops carrying bytes, an edge stopped (SIGSTOP) while the feed runs fast.

The times measured are printed (`pytest -s`) for docs/scale-out.md."""
import asyncio
import json
import signal
import statistics
import time
import urllib.request

import pytest

from tickhub_e2e import ScaleOut, collect, decode, expect, metric, now_us, wait_for

SYMBOLS = ["AAPL", "EUR.USD", "BTC"]


def run(coroutine, timeout=90):
    return asyncio.run(asyncio.wait_for(coroutine, timeout))


def is_quote(symbol=None, **fields):
    def predicate(m):
        return (m.get("type") == "quote" and (symbol is None or m["symbol"] == symbol)
                and all(m.get(k) == v for k, v in fields.items()))
    return predicate


def is_feed(state):
    return lambda m: m.get("type") == "status" and m.get("feed") == state


async def subscribed(edge, symbols=SYMBOLS):
    """A client on `edge` subscribed to `symbols`, once it has a fresh quote of each; (ws, {symbol: last seq})."""
    ws = await edge.connect()
    await ws.send(json.dumps({"op": "subscribe", "symbols": symbols}))
    latest = {}
    for symbol in symbols:
        m = await expect(ws, is_quote(symbol, stale=False), 20, f"a fresh {symbol} quote on {edge.name}")
        latest[symbol] = m["seq"]
    return ws, latest


async def all_stale(ws, symbols, timeout, what):
    """Reads until the feed-lost notice has come and the newest quote of every symbol is stale; returns the notice
    and every message read. A fresh quote after the notice fails."""
    seen = []
    notice = await expect(ws, is_feed("lost"), timeout, f"the feed-lost notice ({what})", seen)
    newest = {m["symbol"]: m for m in seen if m.get("type") == "quote"}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not (newest.keys() >= set(symbols) and all(newest[s]["stale"] for s in symbols)):
        m = await expect(ws, is_quote(), max(0.1, deadline - loop.time()), f"every quote stale ({what})", seen)
        newest[m["symbol"]] = m
    after_notice = seen[seen.index(notice) + 1:]
    assert not [m for m in after_notice if m.get("type") == "quote" and not m["stale"]], "a fresh quote after the loss"
    for symbol in symbols:
        assert newest[symbol]["stale"] is True
    return notice, seen


async def fresh_again(ws, symbols, timeout, what, above=None):
    """Reads until the feed-live notice and then a fresh quote of every symbol (numbered above `above`'s seq)."""
    await expect(ws, is_feed("live"), timeout, f"the feed-live notice ({what})")
    for symbol in symbols:
        floor = (above or {}).get(symbol, 0)
        m = await expect(ws, lambda m, s=symbol: is_quote(s, stale=False)(m) and m["seq"] > floor, timeout,
                         f"a fresh {symbol} quote ({what})")
        assert m["seq"] > floor


# 1. The NATS server killed, then started again


def test_nats_server_killed_every_edge_quote_stale_at_once_then_recovered(tmp_path):
    with ScaleOut(tmp_path, ingests=1, edges=2) as cluster:
        async def scenario():
            clients = [await subscribed(edge) for edge in cluster.edges]
            killed = time.monotonic()
            cluster.nats.kill()
            stale_after = []
            for (ws, _), edge in zip(clients, cluster.edges):
                notice, _ = await all_stale(ws, SYMBOLS, 5, f"{edge.name} after NATS died")
                stale_after.append(time.monotonic() - killed)
                assert notice["reason"], notice
            # Nothing fresh comes while NATS is away, and the edges still answer (with what they hold, stale).
            for ws, _ in clients:
                for m in await collect(ws, 1.0):
                    assert m.get("type") != "quote" or m["stale"], m
            for edge in cluster.edges:
                assert metric(edge, "tickhub_relay_feed_lost") == 1
                quote = (await asyncio.to_thread(edge.get, "/api/market-data/quote/AAPL")).json()
                assert quote["stale"] is True, quote
                health = (await asyncio.to_thread(edge.get, "/api/health")).json()
                assert health["status"] == "degraded", health
                assert health["scaleOut"]["feed"] == "lost" and health["scaleOut"]["nats"] == "disconnected", health

            # An outage longer than the leader's lease: the ingest gives up the lead (and IBKR) before NATS is back,
            # so the recovery measured is the whole of it (the lead taken again, IBKR connected, the edges' interest).
            ingest = cluster.ingests[0]
            await asyncio.to_thread(wait_for, lambda: metric(ingest, "tickhub_relay_leader") == 0,
                                    cluster.leader_seconds + 3, "the ingest giving up the lead without NATS")
            assert ingest.get("/api/ibkr/status").json()["state"] != "ready"
            restarted = time.monotonic()
            cluster.nats.restart()
            recovered = []
            for (ws, latest), edge in zip(clients, cluster.edges):
                await fresh_again(ws, SYMBOLS, 30, f"{edge.name} after NATS came back", above=latest)
                recovered.append(time.monotonic() - restarted)
            for edge in cluster.edges:
                assert metric(edge, "tickhub_relay_feed_lost") == 0
                health = (await asyncio.to_thread(edge.get, "/api/health")).json()
                assert health["scaleOut"]["feed"] == "live" and health["scaleOut"]["nats"] == "connected", health
            for ws, _ in clients:
                await ws.close()
            return stale_after, recovered

        stale_after, recovered = run(scenario())
        print(f"\nNATS killed: every quote stale on every edge within {max(stale_after) * 1000:.0f} ms "
              f"({', '.join(f'{s * 1000:.0f}' for s in stale_after)} ms); fresh again {max(recovered):.2f} s after "
              f"the server restarted")
        assert max(stale_after) < 2.0
        # No client reconnected: one accepted per edge, all along.
        for edge in cluster.edges:
            assert metric(edge, "tickhub_clients_accepted_total") == 1


# 2. An edge killed: its lease runs out and what only it wanted is released at the ingest


def test_killed_edge_lease_expires_and_its_symbols_are_released(tmp_path):
    config = {"server": {"releaseIdleSymbolsSeconds": 1}}
    with ScaleOut(tmp_path, ingests=1, edges=2, config=config, lease_seconds=3) as cluster:
        ingest = cluster.leader()
        doomed, survivor = cluster.edges

        def lines():
            return ingest.get("/api/ibkr/status").json()["linesInUse"]

        def interest():
            return metric(ingest, "tickhub_relay_interest_edges"), metric(ingest, "tickhub_relay_interest_symbols")

        # The portfolio's symbols hold their lines at the ingest for good: count from there.
        ingest.wait_for_positions(5, timeout=20)
        held = wait_for(lambda: (n := lines()) >= 5 and n, 20, "the portfolio's lines")

        async def scenario():
            ws_doomed, _ = await subscribed(doomed, ["NVDA"])
            ws_survivor, _ = await subscribed(survivor, ["TSLA"])
            assert lines() == held + 2
            edges, symbols = await asyncio.to_thread(wait_for, lambda: (e := interest())[0] == 2 and e, 10,
                                                     "both edges' leases at the ingest")
            assert "NVDA" in ingest.get("/api/health").json()["sources"]

            killed = time.monotonic()
            doomed.proc.send_signal(signal.SIGKILL)
            doomed.proc.wait(timeout=5)
            # The lease lasts lease_seconds from its last renewal (every third of it).
            await asyncio.to_thread(wait_for, lambda: interest()[0] == 1, cluster.lease_seconds + 3,
                                    "the killed edge's lease expiring")
            expired = time.monotonic() - killed
            assert interest()[1] == symbols - 1, "only NVDA (the killed edge's alone) leaves the union"
            await asyncio.to_thread(wait_for, lambda: lines() == held + 1, 5, "NVDA's IBKR line freed")
            freed = time.monotonic() - killed
            assert "NVDA" not in ingest.get("/api/health").json()["sources"]
            # The other edge's symbol keeps its line and its client keeps getting fresh quotes.
            await expect(ws_survivor, is_quote("TSLA", stale=False), 5, "a fresh TSLA quote after the kill")
            assert lines() == held + 1
            await ws_survivor.close()
            await ws_doomed.close()
            return expired, freed

        expired, freed = run(scenario())
        print(f"\nedge killed: its lease gone at the ingest after {expired:.2f} s, its IBKR line freed after {freed:.2f} s "
              f"(lease {cluster.lease_seconds} s)")
        assert expired <= cluster.lease_seconds + 1.5


# 3. An edge cut off from NATS (packets dropped, sockets open), then reconnected


def test_partitioned_edge_goes_stale_then_recovers_and_the_others_never_notice(tmp_path):
    with ScaleOut(tmp_path, ingests=1, edges=2, partitioned=(0,)) as cluster:
        cut, whole = cluster.edges
        partition = cluster.partitions[0]

        async def scenario():
            ws_cut, latest = await subscribed(cut)
            ws_whole, _ = await subscribed(whole)
            blocked = time.monotonic()
            partition.block()
            # Nothing tells the edge at once: its pings (or an unanswered interest renewal) find the link dead.
            await all_stale(ws_cut, SYMBOLS, 20, "the cut-off edge")
            noticed = time.monotonic() - blocked
            # The other edge never lost anything.
            for m in await collect(ws_whole, 1.0):
                assert m.get("type") != "status" or m.get("feed") != "lost", m
                assert m.get("type") != "quote" or not m["stale"], m
            await expect(ws_whole, is_quote(stale=False), 5, "fresh quotes on the edge that was not cut off")

            unblocked = time.monotonic()
            partition.unblock()
            await fresh_again(ws_cut, SYMBOLS, 30, "the cut-off edge reconnected", above=latest)
            recovered = time.monotonic() - unblocked
            await ws_cut.close()
            await ws_whole.close()
            return noticed, recovered

        noticed, recovered = run(scenario())
        print(f"\npartitioned edge: stale {noticed:.2f} s after its link was blocked; fresh again {recovered:.2f} s "
              f"after it was unblocked")
        assert metric(cut, "tickhub_clients_accepted_total") == 1


# 4. A slow edge never slows the ingest or the other edges


def nats_varz(monitor_port):
    with urllib.request.urlopen(f"http://127.0.0.1:{monitor_port}/varz", timeout=5) as response:
        return json.load(response)


def free_port():
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def quote_flow(ws, until):
    """Reads `ws` until `until()` holds (checked between frames and at least every 0.2 s): fresh quotes a second and
    their median latency from the ingest's `t` to their receipt here (ms)."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    latencies = []
    while not await asyncio.to_thread(until):
        try:
            frame = await asyncio.wait_for(ws.recv(), 0.2)
        except asyncio.TimeoutError:
            continue
        received = now_us()
        for m in decode(frame):
            if m.get("type") == "quote" and not m["stale"]:
                latencies.append(received - m["t"])
    seconds = loop.time() - started
    return len(latencies) / seconds, (statistics.median(latencies) / 1000 if latencies else None), seconds


def test_slow_edge_never_slows_the_ingest_or_the_other_edges(tmp_path):
    monitor = free_port()
    # The server lets a client fall 256 KiB behind its socket, or stall a write for 1 s, before it cuts it off as a
    # slow consumer (the kernel's buffers on loopback take a few MiB first).
    nats_configuration = f"http: 127.0.0.1:{monitor}\nmax_payload: 65536\nmax_pending: 262144\nwrite_deadline: \"1s\"\n"
    symbols = [f"S{n:04d}" for n in range(1, 81)]
    with ScaleOut(tmp_path, ingests=1, edges=2, nats_configuration=nats_configuration,
                  sim_args=("--tick-rate", "20000", "--synthetic", "80")) as cluster:
        ingest = cluster.leader()
        slow, healthy = cluster.edges

        def published():
            return metric(ingest, "tickhub_relay_published_total", '{kind="quote"}') or 0

        async def scenario():
            ws_slow, latest = await subscribed(slow, symbols)
            ws_healthy, _ = await subscribed(healthy, symbols)
            await collect(ws_healthy, 1.0)
            count = published()
            window = time.monotonic() + 3
            before = await quote_flow(ws_healthy, lambda: time.monotonic() > window)
            before_publish = (published() - count) / before[2]

            slow_consumers = nats_varz(monitor)["slow_consumers"]
            slow.proc.send_signal(signal.SIGSTOP)
            try:
                count = published()
                limit = time.monotonic() + 90
                # The healthy edge's clients, read while NATS's buffers for the stopped edge fill, until NATS cuts it off.
                during = await quote_flow(ws_healthy, lambda: nats_varz(monitor)["slow_consumers"] > slow_consumers
                                          or time.monotonic() > limit)
                during_publish = (published() - count) / during[2]
                cut_off = nats_varz(monitor)["slow_consumers"] - slow_consumers
            finally:
                slow.proc.send_signal(signal.SIGCONT)
            # The stopped edge, cut off, finds its link gone, tells its client, reconnects and is fresh again.
            resumed = time.monotonic()
            await expect(ws_slow, is_feed("lost"), 20, "the feed-lost notice on the edge that was stopped")
            await fresh_again(ws_slow, symbols[:3], 30, "the edge that was stopped", above=latest)
            recovered = time.monotonic() - resumed
            await ws_slow.close()
            await ws_healthy.close()
            return before, during, before_publish, during_publish, cut_off, recovered

        before, during, before_publish, during_publish, cut_off, recovered = run(scenario(), timeout=200)
        print(f"\nslow edge (stopped {during[2]:.1f} s until NATS cut it off): healthy edge {before[0]:.0f} → "
              f"{during[0]:.0f} quotes/s, median t→client {before[1]:.1f} → {during[1]:.1f} ms; ingest published "
              f"{before_publish:.0f} → {during_publish:.0f}/s; NATS counted {cut_off} slow consumer(s); the stopped edge "
              f"fresh again {recovered:.2f} s after it resumed; its tickhub_relay_slow_consumer_total "
              f"{metric(slow, 'tickhub_relay_slow_consumer_total')}")
        assert cut_off >= 1, "NATS never counted the stopped edge a slow consumer"
        assert during[0] >= 0.5 * before[0]
        assert during[1] < max(4 * before[1], 50)
        assert during_publish >= 0.5 * before_publish
        assert metric(ingest, "tickhub_relay_publish_failures_total") == 0
        assert metric(ingest, "tickhub_relay_queue_dropped_total") == 0
        assert metric(healthy, "tickhub_relay_feed_lost") == 0
