"""/stream end to end: a real `tickhub --demo` (hub + in-process TWS simulator at 400 ticks/s) and real WebSocket
clients over loopback. Each test starts its own hub, so no test sees another's subscriptions or IBKR state.

Every test runs in each of `STREAM_TOPOLOGIES` (`topology`): against the one process, and against an edge hub fed
over NATS by an ingest (`tickhub_e2e.stream_hub`): the same tests (TICKHUB_E2E_TOPOLOGIES=all runs the first alone)."""
import asyncio
import json
import signal
import statistics
import time

import pytest
import websockets

from tickhub_e2e import (STREAM_TOPOLOGIES, RawWebSocket, assert_quote_shape, collect, decode, expect, now_us,
                         small_buffer_socket, stream_hub, tcp_queues)


@pytest.fixture(params=STREAM_TOPOLOGIES)
def topology(request):
    return request.param


@pytest.fixture
def fresh_hub(topology, tmp_path):
    """This module's hub: the one process or an edge (`topology`), its IBKR ready; stopped with all it started."""
    hub = stream_hub(topology, tmp_path)
    yield hub
    hub.stop()


def run(coroutine, timeout=30):
    """Runs a scenario with an overall bound on top of the per-step ones."""
    return asyncio.run(asyncio.wait_for(coroutine, timeout))


def is_quote(symbol=None, **fields):
    def predicate(m):
        return (m.get("type") == "quote" and (symbol is None or m["symbol"] == symbol)
                and all(m.get(k) == v for k, v in fields.items()))
    return predicate


def is_error(code, symbol=None):
    def predicate(m):
        return m.get("type") == "error" and m.get("code") == code and (symbol is None or m.get("symbol") == symbol)
    return predicate


# 1. Snapshot, then live updates


def test_snapshot_then_live_updates_with_increasing_seq(fresh_hub, topology):
    symbols = ["AAPL", "EUR.USD", "BTC"]

    async def scenario():
        async with fresh_hub.connect() as first, fresh_hub.connect() as second:
            await first.send(json.dumps({"op": "subscribe", "symbols": symbols}))
            first_seen = []
            for symbol in symbols:  # the hub now knows a quote for every symbol
                await expect(first, is_quote(symbol), 10, f"a first quote for {symbol}", first_seen)
            first_latest = {}
            for m in first_seen:
                first_latest[m["symbol"]] = m["seq"]

            await second.send(json.dumps({"op": "subscribe", "symbols": symbols}))
            second_seen = []

            def live_for_all():
                live = [m for m in second_seen if m.get("type") == "quote" and not m.get("snapshot")]
                return all(sum(m["symbol"] == s for m in live) >= 3 for s in symbols)

            loop = asyncio.get_running_loop()
            deadline = loop.time() + 10
            frames = {"object": 0, "array": 0}
            while not live_for_all():
                assert loop.time() < deadline, "the second client did not get live updates for every symbol"
                frame = await asyncio.wait_for(second.recv(), deadline - loop.time())
                frames["array" if frame.startswith("[") else "object"] += 1
                second_seen.extend(decode(frame))
            return first_seen, first_latest, second_seen, frames

    first_seen, first_latest, second_seen, frames = run(scenario())
    assert sum(frames.values()) > 0

    for seen in (first_seen, second_seen):
        quotes = [m for m in seen if m.get("type") == "quote"]
        assert {m["symbol"] for m in quotes} == {"AAPL", "EUR.USD", "BTC"}
        for m in quotes:
            assert_quote_shape(m)
            assert m["stale"] is False and m["delayed"] is False
        for symbol in ("AAPL", "EUR.USD", "BTC"):
            seqs = [m["seq"] for m in quotes if m["symbol"] == symbol]
            assert seqs == sorted(set(seqs)), f"{symbol}: seq not strictly increasing: {seqs}"

    # The one process's first client subscribed to an empty book: live updates only. An edge may already hold a
    # symbol's quote when the first client comes (it follows the portfolio's symbols for P&L as soon as the ingest's
    # holdings arrive): then that client's first message of the symbol is its snapshot, and the only one.
    if topology == "all":
        assert not any(m.get("snapshot") for m in first_seen)
    for symbol in ("AAPL", "EUR.USD", "BTC"):
        mine = [m for m in first_seen if m.get("type") == "quote" and m["symbol"] == symbol]
        assert all("snapshot" not in m for m in mine[1:]), [m.get("snapshot") for m in mine]
    # The second one gets, per symbol, a snapshot first (at least as new as what the first client had seen),
    # then live updates without the flag.
    for symbol in ("AAPL", "EUR.USD", "BTC"):
        mine = [m for m in second_seen if m.get("type") == "quote" and m["symbol"] == symbol]
        assert mine[0].get("snapshot") is True, mine[0]
        assert mine[0]["seq"] >= first_latest[symbol]
        assert all("snapshot" not in m for m in mine[1:]), [m.get("snapshot") for m in mine]
        assert len(mine) >= 4


# 2. Conflation and the slow client

SLOW_TEST_SYMBOLS = ["AAPL", "MSFT", "AMZN", "NVDA", "EUR.USD", "GBP.USD", "BTC", "ETH"]
FAST_CLIENTS = 20
BASELINE_SECONDS = 2.0
# Long enough that what is published outweighs what the kernel buffers can hold for a stalled client.
STALL_SECONDS = 6.0


class Reader:
    """A client's receive loop: every quote's receipt time and hub time, the latest seq per symbol, and the
    frames (as message lists) it got. `reading` can be cleared to stop calling recv()."""

    def __init__(self, ws, symbols, stop_when_ready=False):
        self.ws = ws
        self.stop_when_ready = stop_when_ready
        self.symbols = set(symbols)
        self.samples = []  # (receipt µs, receipt - t µs)
        self.latest = {}
        self.frames = []  # (receipt µs, [messages])
        self.duplicate_frames = []
        self.reading = asyncio.Event()
        self.reading.set()
        self.ready = asyncio.Event()
        self.target = None
        self.caught_up = asyncio.Event()

    async def run(self):
        try:
            while True:
                await self.reading.wait()
                frame = await self.ws.recv()
                received = now_us()
                messages = decode(frame)
                self.frames.append((received, messages))
                live = [m["symbol"] for m in messages if m.get("type") == "quote" and not m.get("snapshot")]
                if len(live) != len(set(live)):
                    self.duplicate_frames.append(messages)
                for m in messages:
                    if m.get("type") != "quote":
                        continue
                    self.samples.append((received, received - m["t"]))
                    self.latest[m["symbol"]] = max(self.latest.get(m["symbol"], 0), m["seq"])
                if not self.ready.is_set() and self.symbols <= self.latest.keys():
                    self.ready.set()
                    if self.stop_when_ready:
                        self.reading.clear()
                if self.target and all(self.latest.get(s, 0) >= seq for s, seq in self.target.items()):
                    self.caught_up.set()
        except websockets.ConnectionClosed:
            pass

    def window(self, start, end):
        return [latency for received, latency in self.samples if start <= received < end]


def split_at_backlog(frames, target):
    """Splits a stalled client's frames at the first one that carries an update at least as new as `target` for
    some symbol: the frame the hub wrote from the client's pending updates once the socket took data again
    (everything before it was already in the kernel buffers). Returns (quotes before it, its quotes)."""
    for index, messages in enumerate(frames):
        quotes = [m for m in messages if m.get("type") == "quote"]
        if any(m["seq"] >= target[m["symbol"]] for m in quotes):
            return [m for ms in frames[:index] for m in ms if m.get("type") == "quote"], quotes
    raise AssertionError("no frame with current updates")


def test_slow_client_is_conflated_and_does_not_slow_the_others(fresh_hub, capsys):
    hub = fresh_hub
    subscribe = json.dumps({"op": "subscribe", "symbols": SLOW_TEST_SYMBOLS})

    async def scenario():
        fast_ws = await asyncio.gather(*(hub.connect() for _ in range(FAST_CLIENTS)))
        fast = [Reader(ws, SLOW_TEST_SYMBOLS) for ws in fast_ws]
        tasks = [asyncio.create_task(r.run()) for r in fast]
        slow_ws = raw = None
        try:
            for ws in fast_ws:
                await ws.send(subscribe)
            await asyncio.wait_for(asyncio.gather(*(r.ready.wait() for r in fast)), 10)

            # Baseline: the fast clients alone.
            baseline_start = now_us()
            await asyncio.sleep(BASELINE_SECONDS)  # the measurement window, not a synchronisation
            baseline = (baseline_start, now_us())

            # The slow client subscribes, reads until it has a quote for every symbol, then stops calling recv().
            # Small socket buffers and a short library queue make the backpressure reach the hub's socket within
            # about a second. (It reads only briefly: while a connection is busy, the sender's congestion window,
            # and with it the kernel send buffer, grow to megabytes, which 400 ticks/s would take a minute to fill.)
            slow_ws = await hub.connect(max_queue=2, sock=_small_buffer_socket(hub.port))
            slow = Reader(slow_ws, SLOW_TEST_SYMBOLS, stop_when_ready=True)
            tasks.append(asyncio.create_task(slow.run()))
            await slow_ws.send(subscribe)
            await asyncio.wait_for(slow.ready.wait(), 10)
            # And a raw client that never reads at all after the handshake.
            raw = await asyncio.to_thread(RawWebSocket, hub.port, "/stream", True)
            assert raw.upgraded, raw.response_head
            await asyncio.to_thread(raw.send_text, subscribe)

            # The stall.
            stall_start = now_us()
            rss = [hub.rss_kib()]
            frames_at_stall = len(slow.frames)
            slow_seq_at_stall = dict(slow.latest)
            while now_us() - stall_start < STALL_SECONDS * 1e6:
                await asyncio.sleep(0.25)  # sampling cadence for RSS
                rss.append(hub.rss_kib())
            stall = (stall_start, now_us())
            # The kernel buffers towards both stalled clients are full: data waits in the hub's socket.
            raw_queues = tcp_queues(hub.port, raw.local_port)
            slow_queues = tcp_queues(hub.port, slow_ws.local_address[1])

            # Resume: the slow clients must catch up with what the fast clients have now.
            target = {s: max(r.latest[s] for r in fast) for s in SLOW_TEST_SYMBOLS}
            slow.target = target
            slow.reading.set()
            raw_frames = await asyncio.to_thread(_read_raw_until, raw, target, 10)
            await asyncio.wait_for(slow.caught_up.wait(), 10)
            return dict(fast=fast, slow=slow, baseline=baseline, stall=stall, rss=rss, target=target,
                        raw_frames=raw_frames, raw_queues=raw_queues, slow_queues=slow_queues,
                        slow_frames_after_stall=slow.frames[frames_at_stall:],
                        slow_seq_at_stall=slow_seq_at_stall)
        finally:
            if raw:
                raw.close()
            for ws in fast_ws + ([slow_ws] if slow_ws else []):
                await ws.close()
            outcomes = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 10)
            failures = [o for o in outcomes if isinstance(o, BaseException)]
            if failures:
                raise failures[0]

    r = run(scenario(), timeout=60)
    fast, baseline, stall, target = r["fast"], r["baseline"], r["stall"], r["target"]

    base_latencies = [x for f in fast for x in f.window(*baseline)]
    stall_latencies = [x for f in fast for x in f.window(*stall)]
    base_rate = len(base_latencies) / ((baseline[1] - baseline[0]) / 1e6) / FAST_CLIENTS
    stall_rate = len(stall_latencies) / ((stall[1] - stall[0]) / 1e6) / FAST_CLIENTS
    base_median = statistics.median(base_latencies) / 1000
    stall_median = statistics.median(stall_latencies) / 1000
    stall_p90 = statistics.quantiles(stall_latencies, n=10)[-1] / 1000
    rss_growth = (max(r["rss"]) - r["rss"][0]) / 1024

    # What each stalled client reads once it reads again: whatever was already in the kernel buffers, then one
    # frame with the pending updates. Between its seq at the stall (the raw client: its snapshot) and that frame,
    # `published` updates happened; `skipped` of them never reached it (conflated away).
    stalled = {}
    for name, frames, seq_at_stall in (
            ("slow", [ms for _, ms in r["slow"].frames], r["slow_seq_at_stall"]),
            ("raw", r["raw_frames"], None)):
        before, backlog = split_at_backlog(frames, target)
        start = seq_at_stall or {sym: min(m["seq"] for m in before if m["symbol"] == sym)
                                 for sym in SLOW_TEST_SYMBOLS}
        published = skipped = 0
        for last in backlog:
            sym = last["symbol"]
            delivered = {m["seq"] for m in before + [last]
                         if m["symbol"] == sym and start[sym] < m["seq"] <= last["seq"]}
            published += last["seq"] - start[sym]
            skipped += last["seq"] - start[sym] - len(delivered)
        stalled[name] = dict(backlog=backlog, skipped=skipped, published=published)
    slow_read = sum(1 for _, ms in r["slow_frames_after_stall"] for m in ms if m.get("type") == "quote")

    with capsys.disabled():
        print(f"\n  fast clients: baseline {base_rate:.0f} updates/s/client, median latency {base_median:.2f} ms; "
              f"slow client stalled: {stall_rate:.0f} updates/s/client, median {stall_median:.2f} ms, "
              f"p90 {stall_p90:.2f} ms\n"
              f"  hub RSS {r['rss'][0] / 1024:.1f} MiB at stall start, max {max(r['rss']) / 1024:.1f} MiB "
              f"(+{rss_growth:.2f} MiB); unsent bytes in the hub's sockets: to raw {r['raw_queues'][0]}, to slow "
              f"{r['slow_queues'][0]}\n"
              f"  slow: read {slow_read} quotes to catch up, {stalled['slow']['skipped']} of "
              f"{stalled['slow']['published']} updates conflated away; raw: {stalled['raw']['skipped']} of "
              f"{stalled['raw']['published']}")

    # The stall really reached the hub: unsent bytes sit in its socket towards the clients that stopped reading.
    assert r["raw_queues"] and r["raw_queues"][0] > 0, r["raw_queues"]
    assert r["slow_queues"] and r["slow_queues"][0] > 0, r["slow_queues"]

    # The fast clients did not notice: same rate, latency of the same order and small in absolute terms.
    for f in fast:
        assert len(f.window(*stall)) >= 0.5 * len(f.window(*baseline)) * STALL_SECONDS / BASELINE_SECONDS
    assert stall_rate >= 0.7 * base_rate
    assert stall_median <= max(3 * base_median, base_median + 20), (base_median, stall_median)
    assert stall_median < 100, stall_median
    assert all(not f.duplicate_frames for f in fast), "a frame held two live updates of one symbol"

    # Memory stays bounded while clients are stalled (conflation: at most one pending update per symbol).
    assert rss_growth < 16, f"hub RSS grew {rss_growth:.1f} MiB during the stall"

    for name, result in stalled.items():
        # Exactly one update per symbol in the backlog frame, each at least as new as the fast clients' latest.
        symbols = [m["symbol"] for m in result["backlog"]]
        assert sorted(symbols) == sorted(SLOW_TEST_SYMBOLS), f"{name}: backlog frame holds {symbols}"
        for m in result["backlog"]:
            assert m["seq"] >= target[m["symbol"]], f"{name}: {m['symbol']} seq {m['seq']} < {target}"
            assert "snapshot" not in m
        # Conflation, not queueing: a good part of what was published during the stall never reached the client.
        assert result["skipped"] >= 0.25 * result["published"], (name, result["skipped"], result["published"])
    assert not r["slow"].duplicate_frames


def _small_buffer_socket(port):
    sock = small_buffer_socket()
    sock.settimeout(5)
    sock.connect(("127.0.0.1", port))
    sock.setblocking(False)
    return sock


def _read_raw_until(raw, target, timeout):
    """Reads the raw client's frames until it has, for every symbol, an update at least as new as `target`."""
    deadline = time.monotonic() + timeout
    frames, latest = [], {}
    while not all(latest.get(s, 0) >= seq for s, seq in target.items()):
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"the raw client did not catch up: {latest} vs {target}"
        opcode, payload = raw.read_frame(remaining)
        assert opcode == 1, (opcode, payload[:100])
        messages = decode(payload)
        frames.append(messages)
        for m in messages:
            if m.get("type") == "quote":
                latest[m["symbol"]] = max(latest.get(m["symbol"], 0), m["seq"])
    return frames


# 3. Bad input: an error message each, and the connection stays


def test_bad_input_gets_errors_and_the_connection_stays(fresh_hub):
    async def scenario():
        async with fresh_hub.connect() as ws:
            async def check(send, code, **fields):
                await ws.send(send)
                error = await expect(ws, lambda m: m.get("type") == "error", 5, f"an error for {send!r:.60}")
                assert error["code"] == code, error
                assert isinstance(error["message"], str) and len(error["message"]) > 10, error
                for k, v in fields.items():
                    assert error.get(k) == v, error
                return error

            await check("this is not json", "bad_json")
            await check("[1, 2, 3]", "bad_json")
            await check(json.dumps({"op": "frobnicate"}), "unknown_op")
            await check(json.dumps({"symbols": ["AAPL"]}), "missing_op")
            await check(json.dumps({"op": "subscribe"}), "bad_request")
            await check(json.dumps({"op": "subscribe", "symbols": "AAPL"}), "bad_request")
            await check(json.dumps({"op": "subscribe", "symbols": [42]}), "invalid_symbol", symbol=None)
            error = await check(json.dumps({"op": "subscribe", "symbols": ["AA$L"]}), "invalid_symbol", symbol="AA$L")
            assert "AA$L" in error["message"]
            await check(bytes([0x81, 0x00, 0xFF]), "binary_frame")
            error = await check(json.dumps({"op": "subscribe", "channels": ["weather"]}), "unknown_channel")
            assert "weather" in error["message"]

            await ws.send(json.dumps({"op": "ping", "id": "still-here"}))
            pong = await expect(ws, lambda m: m.get("type") == "pong", 5, "a pong")
            assert pong["id"] == "still-here"
            # A valid subscription on the same connection still works.
            await ws.send(json.dumps({"op": "subscribe", "symbols": ["AAPL"]}))
            assert_quote_shape(await expect(ws, is_quote("AAPL"), 10, "an AAPL quote"))

    run(scenario())


def test_unknown_instrument_gets_unknown_symbol(fresh_hub):
    async def scenario():
        async with fresh_hub.connect() as ws:
            await ws.send(json.dumps({"op": "subscribe", "symbols": ["ZZZZ", "MSFT"]}))
            error = await expect(ws, is_error("unknown_symbol", "ZZZZ"), 10, "unknown_symbol for ZZZZ")
            assert "ZZZZ" in error["message"]
            # The known symbol in the same request is unaffected.
            await expect(ws, is_quote("MSFT"), 10, "an MSFT quote")

    run(scenario())


def test_more_than_1000_symbols_is_refused(fresh_hub):
    symbols = [f"S{i:04d}" for i in range(1, 1002)]

    async def scenario():
        async with fresh_hub.connect() as ws:
            await ws.send(json.dumps({"op": "subscribe", "symbols": symbols}))
            seen = []
            error = await expect(ws, is_error("too_many_symbols"), 10, "too_many_symbols", seen)
            assert error["symbol"] == "S1001" and "1000" in error["message"], error
            assert sum(m.get("code") == "too_many_symbols" for m in seen) == 1
            # Still connected, and still answering.
            await ws.send(json.dumps({"op": "ping", "id": 1001}))
            await expect(ws, lambda m: m.get("type") == "pong" and m.get("id") == 1001, 10, "a pong")
            # Already at the limit: one more is refused, one it has is not an addition.
            await ws.send(json.dumps({"op": "subscribe", "symbols": ["S0001", "AAPL"]}))
            error = await expect(ws, is_error("too_many_symbols"), 10, "too_many_symbols again")
            assert error["symbol"] == "AAPL"
            health = (await asyncio.to_thread(fresh_hub.get, "/api/health")).json()
            assert health["clients"] == 1 and health["subscriptions"] == 1000, health

    run(scenario())


def test_message_over_64_kib_closes_with_1009(fresh_hub):
    async def scenario():
        async with fresh_hub.connect() as ws:
            await ws.send(json.dumps({"op": "ping", "id": "x" * (64 * 1024)}))
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 5)
            assert ws.close_code == 1009, (ws.close_code, ws.close_reason)
        # Other clients are unaffected.
        async with fresh_hub.connect() as ws:
            await ws.send(json.dumps({"op": "ping", "id": 2}))
            await expect(ws, lambda m: m.get("type") == "pong", 5, "a pong")

    run(scenario())


# 4. Ping


def test_ping_gets_pong_with_the_same_id(fresh_hub):
    async def scenario():
        async with fresh_hub.connect() as ws:
            await ws.send(json.dumps({"op": "ping", "id": 7}))
            pong = await expect(ws, lambda m: m.get("type") == "pong", 5, "a pong")
            assert pong["id"] == 7 and isinstance(pong["id"], int), pong
            assert abs(pong["t"] - now_us()) < 60_000_000

    run(scenario())


# 5. Status channel through an IBKR disconnect and reconnect


def test_status_channel_and_stale_quotes_across_ibkr_disconnect(fresh_hub):
    hub = fresh_hub
    symbols = ["AAPL", "EUR.USD"]

    def is_status(state):
        return lambda m: m.get("type") == "status" and m["ibkr"]["state"] == state

    async def scenario():
        async with hub.connect() as ws:
            await ws.send(json.dumps({"op": "subscribe", "channels": ["status"], "symbols": symbols}))
            first = await expect(ws, lambda m: m.get("type") == "status", 5, "a status message")
            assert first["ibkr"]["state"] == "ready", first
            assert first["ibkr"]["serverVersion"] == 176 and first["ibkr"]["accounts"] == ["DU1234567"]
            for symbol in symbols:
                await expect(ws, is_quote(symbol, stale=False), 10, f"a fresh {symbol} quote")

            response = await asyncio.to_thread(hub.post, "/api/ibkr/disconnect")
            assert response.status == 200, response
            # The status change and every subscribed symbol's quote marked stale (in whichever order the frames
            # bring them: statuses go ahead of pending quotes within a frame).
            during = []
            await expect(ws, is_status("disconnected"), 10, "status disconnected", during)

            def latest_all_stale():
                latest = {m["symbol"]: m for m in during if m.get("type") == "quote"}
                return latest.keys() == set(symbols) and all(m["stale"] for m in latest.values())

            while not latest_all_stale():
                await expect(ws, lambda m: m.get("type") == "quote", 5, "a stale quote for every symbol", during)
            # Nothing fresh follows while disconnected.
            for m in await collect(ws, 0.5):
                assert m.get("type") != "quote" or m["stale"], m

            response = await asyncio.to_thread(hub.post, "/api/ibkr/connect")
            assert response.status == 200, response
            await expect(ws, is_status("ready"), 10, "status ready again")
            for symbol in symbols:
                await expect(ws, is_quote(symbol, stale=False), 10, f"a fresh {symbol} quote after reconnecting")

    run(scenario())
    # One WebSocket client all along: it never reconnected.
    assert "tickhub_clients_accepted_total 1\n" in hub.get("/metrics").text


# 6. Shutdown


def test_sigterm_sends_1001_and_exits_0(fresh_hub):
    hub = fresh_hub
    # One more client that never reads: it cannot take a close frame, and must not hold the shutdown up.
    stuck = RawWebSocket(hub.port, "/stream", small_buffers=True)
    assert stuck.upgraded
    stuck.send_text(json.dumps({"op": "subscribe", "symbols": ["AAPL", "MSFT", "BTC", "EUR.USD"]}))

    async def scenario():
        clients = [await hub.connect() for _ in range(3)]
        for ws in clients:
            await ws.send(json.dumps({"op": "subscribe", "symbols": ["AAPL"]}))
            await expect(ws, is_quote("AAPL"), 10, "an AAPL quote")
        hub.proc.send_signal(signal.SIGTERM)
        started = time.monotonic()
        for ws in clients:
            await asyncio.wait_for(ws.wait_closed(), 5)
            assert (ws.close_code, ws.close_reason) == (1001, "server shutting down")
        return time.monotonic() - started

    try:
        closed_after = run(scenario())
        assert closed_after < 3
        assert hub.proc.wait(timeout=5) == 0
    finally:
        stuck.close()


# 7. Upgrades anywhere but /stream


@pytest.mark.parametrize("path", ["/", "/other", "/api/health", "/stream/x", "/streams"])
def test_upgrade_elsewhere_is_refused(fresh_hub, path):
    raw = RawWebSocket(fresh_hub.port, path)
    try:
        assert not raw.upgraded, raw.response_head
    finally:
        raw.close()

    async def scenario():
        with pytest.raises(websockets.InvalidHandshake):
            async with fresh_hub.connect(path):
                pass
        async with fresh_hub.connect() as ws:  # /stream itself still upgrades
            await ws.send(json.dumps({"op": "ping", "id": 1}))
            await expect(ws, lambda m: m.get("type") == "pong", 5, "a pong")

    run(scenario())


# 8. Lines are released when nobody wants a symbol any more


def test_idle_symbols_are_released_upstream(topology, tmp_path):
    hub = stream_hub(topology, tmp_path, config={"server": {"releaseIdleSymbolsSeconds": 1}})
    try:

        def lines():
            return hub.get("/api/ibkr/status").json()["linesInUse"]

        # The demo account's positions hold their own lines for good; count from there.
        held = None
        deadline = time.monotonic() + 10
        while held is None or held < 5:
            held = lines()
            assert time.monotonic() < deadline, "the demo portfolio's symbols never got their lines"
            time.sleep(0.1)

        async def scenario():
            async with hub.connect() as ws:
                await ws.send(json.dumps({"op": "subscribe", "symbols": ["NVDA", "TSLA"]}))
                await expect(ws, is_quote("NVDA"), 10, "an NVDA quote")
                assert lines() == held + 2
                await ws.send(json.dumps({"op": "unsubscribe", "symbols": ["NVDA"]}))
                deadline = time.monotonic() + 10
                while lines() != held + 1:
                    assert time.monotonic() < deadline, "NVDA's line was never released"
                    await asyncio.sleep(0.2)
                # TSLA, still streamed, keeps its line and keeps ticking.
                await expect(ws, is_quote("TSLA"), 5, "a TSLA quote")
            # Nobody left: TSLA goes too (held symbols stay), and a released symbol is not served from a
            # forgotten quote.
            deadline = time.monotonic() + 10
            while lines() != held:
                assert time.monotonic() < deadline, "TSLA's line was never released"
                await asyncio.sleep(0.2)
            sources = hub.get("/api/health").json()["sources"]
            assert "NVDA" not in sources and "TSLA" not in sources

        run(scenario())
        # Asking again over HTTP subscribes on demand and serves a fresh quote.
        quote = hub.get("/api/market-data/quote/NVDA").json()
        assert quote["symbol"] == "NVDA" and quote["stale"] is False and quote["seq"] >= 1
    finally:
        hub.stop()


# 9. A client that stops draining its socket is let go (1013) and counted, and the others carry on


def test_client_that_never_drains_is_closed_and_counted(topology, tmp_path):
    hub = stream_hub(topology, tmp_path, config={"server": {"slowClientSeconds": 2}})
    stuck = None
    try:
        symbols = ["AAPL", "MSFT", "EUR.USD", "BTC", "AMZN", "NVDA"]
        stuck = RawWebSocket(hub.port, small_buffers=True)
        assert stuck.upgraded
        stuck.send_text(json.dumps({"op": "subscribe", "symbols": symbols}))

        def slow_closed():
            for line in hub.get("/metrics").text.splitlines():
                if line.startswith('tickhub_slow_clients_closed_total{code="1013"} '):
                    return int(line.split()[1])
            return 0

        async def scenario():
            async with hub.connect() as ws:
                await ws.send(json.dumps({"op": "subscribe", "symbols": symbols}))
                deadline = time.monotonic() + 20
                while slow_closed() < 1:
                    assert time.monotonic() < deadline, "the stuck client was never closed"
                    await expect(ws, is_quote(), 5, "quotes for the reading client")
                # The reading client is still served after the stuck one is gone.
                await expect(ws, is_quote(), 5, "a quote after the stuck client was closed")

        run(scenario(), timeout=40)
        assert slow_closed() == 1
        # The stuck socket was dropped by the hub: reading it out ends in EOF (or a reset), not more quotes forever.
        stuck.sock.settimeout(5)
        ended = False
        for _ in range(10_000):
            try:
                if not stuck.sock.recv(65536):
                    ended = True
                    break
            except (ConnectionResetError, OSError):
                ended = True
                break
        assert ended
    finally:
        if stuck:
            stuck.close()
        hub.stop()


def test_idle_clients_are_pinged_and_silent_ones_dropped(topology, tmp_path):
    """After pingIdleSeconds of silence the hub pings; a client answering nothing for idleHangupSeconds is closed,
    while one whose library answers pings stays."""
    hub = stream_hub(topology, tmp_path, config={"server": {"pingIdleSeconds": 1, "idleHangupSeconds": 3}})
    try:
        async def answering():
            async with hub.connect() as ws:
                await ws.send(json.dumps({"op": "subscribe", "symbols": ["AAPL"]}))
                # Reading all along: the library answers the hub's pings as it reads.
                await collect(ws, 5)
                await ws.send(json.dumps({"op": "ping", "id": "still-here"}))
                await expect(ws, lambda m: m.get("type") == "pong" and m.get("id") == "still-here", what="a pong after 5 s")

        mute = RawWebSocket(hub.port)
        assert mute.upgraded
        started = time.monotonic()
        opcode, _ = mute.read_frame(timeout=4, controls=True)
        assert opcode == 9, "a ping after a second of silence"
        assert 0.8 < time.monotonic() - started < 3.5
        run(answering(), timeout=20)
        # The mute client never answered: by now (over 5 s) it has been dropped. A timeout here is a failure,
        # not a close.
        closed = False
        try:
            while not closed:
                opcode, _ = mute.read_frame(timeout=3, controls=True)
                closed = opcode == 8
        except (EOFError, ConnectionResetError):
            closed = True
        assert closed, "the silent client is still connected"
        mute.close()
        assert "tickhub_idle_clients_closed_total 1" in hub.get("/metrics").text
    finally:
        hub.stop()
