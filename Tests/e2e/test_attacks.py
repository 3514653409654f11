"""Attacks on a running hub, each written as the attacker would try it. Loopback only; every loop bounded."""
import json
import socket
import threading

from tickhub_e2e import Hub

TOKEN = "Zq7-attack-token-9f3b1c"
COOKIE = "session=Kp2-victim-cookie-77d0"


def raw_get(port, path, headers=""):
    """One HTTP/1.1 GET on a fresh socket; returns (status line, body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n{headers}\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return head.split(b"\r\n")[0].decode(), body


def test_a_split_path_echoes_only_what_was_sent_never_another_requests_header():
    """A `;` makes lws split the path into fragments; reading past the first one used to show bytes of lws's shared
    header buffer (the previous request's Authorization header) in the 404 and invalid-symbol errors."""
    hub = Hub(token=TOKEN)
    stop = threading.Event()

    def victim():
        # A client with the token, polling: its header lands in lws's buffer before every probe.
        for _ in range(2000):
            if stop.is_set():
                return
            raw_get(hub.port, "/api/health", f"Authorization: Bearer {TOKEN}\r\nCookie: {COOKIE}\r\n")

    polling = threading.Thread(target=victim, daemon=True)
    polling.start()
    try:
        seen = []
        for n in range(1, 40):
            # The static-file 404 needs no token; the quote route is probed by a client holding one, which must
            # not see another client's headers either.
            symbol = f"{'A' * (n % 8 + 1)};B"
            for path, code, sent in ((f"/{'a' * n};B", "not_found", f"/{'a' * n};B"),
                                     (f"/api/market-data/quote/{symbol}?token={TOKEN}", "invalid_symbol", symbol)):
                status, body = raw_get(hub.port, path)
                error = json.loads(body)["error"]
                assert error["code"] == code, (path, status, body)
                seen.append(error["message"])
                assert sent in error["message"], (path, error)
                assert "\u0000" not in error["message"], (path, error)
        text = "\n".join(seen)
        for secret in (TOKEN, COOKIE):
            for i in range(len(secret) - 2):
                assert secret[i:i + 3] not in text, (secret[i:i + 3], text[:500])
    finally:
        stop.set()
        polling.join(timeout=10)
        hub.stop()


ATTACK_PAGE = """<!doctype html><meta charset="utf-8"><title>cat pictures</title><script>
window.results = {};
const hub = 'http://127.0.0.1:%(port)d';
// A "simple" request: no preflight, so the browser sends it whatever the hub would say.
fetch(hub + '/api/positions', {method: 'POST', mode: 'no-cors', headers: {'content-type': 'text/plain'},
  body: JSON.stringify({broker: 'evil', account: 'X1', symbol: 'AAPL', quantity: 1000, averageCost: 1})})
  .then(() => { results.post = 'sent'; }, () => { results.post = 'failed'; });
fetch(hub + '/api/ibkr/disconnect', {method: 'POST', mode: 'no-cors'})
  .then(() => { results.disconnect = 'sent'; }, () => { results.disconnect = 'failed'; });
// WebSockets are not bound by CORS at all: only the hub's Origin check stands between this page and the P&L.
const ws = new WebSocket('ws://127.0.0.1:%(port)d/stream');
ws.onopen = () => { results.ws = 'open'; ws.send(JSON.stringify({op: 'subscribe', channels: ['pnl']})); };
ws.onmessage = (e) => { results.leak = e.data; };
ws.onclose = (e) => { results.closed = e.code; };
</script>"""


def test_a_page_from_another_origin_cannot_write_disconnect_or_read_the_stream(tmp_path):
    import functools
    import http.server
    from playwright.sync_api import sync_playwright

    hub = Hub()
    (tmp_path / "index.html").write_text(ATTACK_PAGE % {"port": hub.port})
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    site = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    try:
        hub.wait_for_ibkr("ready")
        # Once IBKR's positions are in: they arrive after `ready`, and would look like the page's writes.
        before = hub.wait_for_positions(5)
        # Its own Playwright, closed before the test ends: the others in this module run asyncio loops of their own.
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            try:
                page = browser.new_page()
                page.goto(f"http://127.0.0.1:{site.server_address[1]}/index.html")
                page.wait_for_function("window.results.post && window.results.disconnect && (window.results.closed || window.results.leak)",
                                       timeout=15_000)
                results = page.evaluate("window.results")
            finally:
                browser.close()
        assert results.get("ws") is None and "leak" not in results, results
        assert hub.get("/api/positions").json() == before
        assert hub.ibkr_state() == "ready"
    finally:
        site.shutdown()
        hub.stop()


def test_dns_rebinding_is_refused_by_host():
    """A page on evil.example whose name now resolves to 127.0.0.1 reaches the hub with its own name in Host."""
    hub = Hub()
    try:
        for path in ("/", "/api/portfolio/pnl", "/api/positions"):
            status, body = raw_get(hub.port, path)  # its own name: served
            assert status.split()[1] == "200", (path, status)
        for path in ("/", "/api/portfolio/pnl", "/api/health"):
            with socket.create_connection(("127.0.0.1", hub.port), timeout=5) as s:
                s.sendall(f"GET {path} HTTP/1.1\r\nHost: evil.example:{hub.port}\r\nConnection: close\r\n\r\n".encode())
                data = b""
                while chunk := s.recv(65536):
                    data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 403"), (path, head)
            assert json.loads(body)["error"]["code"] == "host_not_allowed"
    finally:
        hub.stop()


def test_connections_that_never_finish_their_headers_neither_stall_others_nor_hold_a_heap():
    """Each request's headers take a 96 KiB buffer until they are complete. 600 connections that send half a request
    and stop must not keep a new request waiting (a pool of 128 per thread made one wait 5 s and then reset it), and
    must not cost a buffer's worth of memory each: RSS grows by the pages their headers touch."""
    import time
    hub = Hub(providers="push", demo=False)
    held = []
    try:
        before = hub.rss_kib()
        for _ in range(600):
            s = socket.create_connection(("127.0.0.1", hub.port), timeout=5)
            s.sendall(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            held.append(s)
        for _ in range(2):
            started = time.monotonic()
            status, body = raw_get(hub.port, "/api/health")
            assert status.endswith("200 OK"), status
            assert time.monotonic() - started < 2, "a new request waited behind the half-sent ones"
        grown = hub.rss_kib() - before
        assert grown < 600 * 24, f"RSS grew {grown} KiB for 600 half-sent requests"
        print(f"600 half-sent requests: RSS +{grown} KiB")
    finally:
        for s in held:
            s.close()
        hub.stop()


def test_a_client_that_never_reads_cannot_inflate_memory_with_errors():
    """150 subscribes of 64 KiB, each full of invalid symbols, from a client that reads nothing: every symbol used to
    become a queued error (RSS 60 MB → 1.5 GB). Now at most `maxQueuedErrors` wait, and a client that earns more
    than `maxErrorsPerMinute` is closed with 1008."""
    from tickhub_e2e import RawWebSocket

    hub = Hub()
    amplifier = RawWebSocket(hub.port, "/stream", small_buffers=True)
    try:
        assert amplifier.upgraded, amplifier.response_head
        before = hub.rss_kib()
        message = json.dumps({"op": "subscribe", "symbols": ["A$"] * 13000}, separators=(",", ":"))
        assert len(message) < 65536
        sent = 0
        import select
        for _ in range(150):
            try:
                amplifier.send_text(message)
            except OSError:
                break   # closed by the hub: the point
            sent += 1
            # Stop once the hub has answered (its close frame): more data into a closed socket would make the
            # kernel reset the connection and drop the frame unread.
            if select.select([amplifier.sock], [], [], 0.05)[0]:
                break
        after = hub.rss_kib()
        assert after - before < 30 * 1024, f"RSS grew {before} → {after} KiB after {sent} messages"
        # Closed: after at most the queued errors, the socket ends (with a 1008 close frame when lws can still send
        # one; for a message this size it sometimes drops the frame, see the smaller case below).
        frames = []
        try:
            for _ in range(50):
                frames.append(amplifier.read_frame(timeout=10))
                if frames[-1][0] == 8:
                    break
        except EOFError:
            pass
        assert len(frames) <= 2, frames[:3]
        if frames and frames[-1][0] == 8:
            assert int.from_bytes(frames[-1][1][:2], "big") == 1008, frames[-1]

        # A smaller flood: the close frame says why.
        flood = RawWebSocket(hub.port, "/stream")
        flood.send_text(json.dumps({"op": "subscribe", "symbols": ["A$"] * 2000}, separators=(",", ":")))
        for _ in range(5):
            opcode, payload = flood.read_frame(timeout=10)
            if opcode == 8:
                break
        flood.close()
        assert opcode == 8 and int.from_bytes(payload[:2], "big") == 1008, (opcode, payload[:80])
        assert payload[2:] == b"more than 600 errors in a minute", payload
        metrics = hub.get("/metrics").text
        assert "tickhub_clients_closed_for_errors_total 2" in metrics
        print(f"amplifier: {sent} messages accepted before the close, RSS {before} → {after} KiB")
    finally:
        amplifier.close()
        hub.stop()


def test_errors_beyond_the_queue_are_summarised_and_the_connection_stays():
    import asyncio
    from tickhub_e2e import expect

    hub = Hub()

    async def scenario():
        async with hub.connect() as ws:
            await ws.send(json.dumps({"op": "subscribe", "symbols": [f"BAD${i}" for i in range(100)]}))
            seen = []
            summary = await expect(ws, lambda m: m.get("code") == "errors_suppressed", 5, "errors_suppressed", seen)
            await ws.send(json.dumps({"op": "ping", "id": 1}))
            await expect(ws, lambda m: m.get("type") == "pong", 5, "pong", seen)
            return summary, seen

    summary, seen = asyncio.run(asyncio.wait_for(scenario(), 20))
    try:
        errors = [m for m in seen if m.get("code") == "invalid_symbol"]
        assert len(errors) == 20 and summary["count"] == 80, (len(errors), summary)
    finally:
        hub.stop()


def test_values_no_market_shows_are_refused_at_the_edge_and_totals_stay_numbers():
    """A crossed book, 1e308 on a held symbol, an option expiring on February 30 and EUR.USD.JPY: each item is
    refused with its reason, the good items in the same batch still go through."""
    hub = Hub(providers="push", env={"TICKHUB_PUBLISH_TOKEN": "pub-tok"})
    try:
        auth = {"Authorization": "Bearer pub-tok", "Content-Type": "application/json"}
        batch = [{"symbol": "AAPL", "bid": 230.2, "ask": 230.1},
                 {"symbol": "AAPL", "last": 1e308},
                 {"symbol": "SPY 250230C00600000", "bid": 1, "ask": 1.1},
                 {"symbol": "EUR.USD.JPY", "bid": 1, "ask": 1.1},
                 {"symbol": "MSFT", "bid": 410.1, "ask": 410.2}]
        response = hub.post("/api/market-data/publish", body=json.dumps(batch).encode(), headers=auth)
        answer = response.json()
        assert answer["accepted"] == 1, answer
        assert [r["index"] for r in answer["rejected"]] == [0, 1, 2, 3], answer
        assert "crossed book" in answer["rejected"][0]["message"] and "beyond" in answer["rejected"][1]["message"]
        quote = hub.get("/api/market-data/quote/MSFT").json()
        assert quote["bid"] == 410.1, quote
        assert hub.get("/api/market-data/quote/SPY%20250230C00600000").json()["error"]["code"] == "invalid_symbol"

        # Sane alone, crossed against the book it lands on: a bid-only update above the standing ask, a low
        # above the standing high. The ask-only update after them in the same batch is fine.
        later = [{"symbol": "MSFT", "bid": 410.5},
                 {"symbol": "MSFT", "high": 415, "low": 405},
                 {"symbol": "MSFT", "low": 416},
                 {"symbol": "MSFT", "ask": 410.3}]
        answer = hub.post("/api/market-data/publish", body=json.dumps(later).encode(), headers=auth).json()
        assert [r["index"] for r in answer["rejected"]] == [0, 2] and answer["accepted"] == 2, answer
        assert "above ask 410.2" in answer["rejected"][0]["message"] and "above high 415" in answer["rejected"][1]["message"]
        quote = hub.get("/api/market-data/quote/MSFT").json()
        assert (quote["bid"], quote["ask"], quote["low"]) == (410.1, 410.3, 405), quote
    finally:
        hub.stop()


def test_a_duplicate_position_is_a_conflict_not_an_outage():
    hub = Hub()
    try:
        body = json.dumps({"broker": "tastytrade", "account": "5WT00009", "symbol": "AAPL", "quantity": 1,
                           "averageCost": 150}).encode()
        headers = {"Content-Type": "application/json"}
        assert hub.post("/api/positions", body=body, headers=headers).status == 201
        again = hub.post("/api/positions", body=body, headers=headers)
        assert again.status == 409 and again.json()["error"]["code"] == "conflict", again
    finally:
        hub.stop()


def test_yahoo_v7_gone_moves_polling_to_the_chart_endpoint():
    """Yahoo's batch endpoint answering 404 used to pause the whole provider with a growing backoff while the
    per-symbol chart endpoint still worked: every symbol then went without a fallback."""
    import asyncio
    from fake_providers import FakeProviders
    from tickhub_e2e import environment, expect

    fake = FakeProviders().start()
    fake.set_yahoo_mode("v7-gone")
    try:
        with environment(YAHOO_BASE_URL=fake.base_url):
            hub = Hub(providers="yahoo")
        try:
            async def scenario():
                async with hub.connect() as ws:
                    await ws.send(json.dumps({"op": "subscribe", "symbols": ["AAPL"]}))
                    return await expect(ws, lambda m: m.get("type") == "quote" and m.get("source") == "yahoo"
                                        and m.get("last") is not None, 15, "a Yahoo quote for AAPL")

            quote = asyncio.run(asyncio.wait_for(scenario(), 30))
            assert not quote["stale"], quote
            routes = fake.stats()["routes"]
            assert routes.get("yahoo_v7_quote", 0) >= 1 and routes.get("yahoo_chart", 0) >= 1, routes
            yahoo = [p for p in hub.get("/api/health").json()["providers"] if p["name"] == "yahoo"][0]
            assert yahoo["available"] and yahoo["state"] == "ready", yahoo
        finally:
            hub.stop()
    finally:
        fake.stop()


def test_no_mix_of_clients_makes_the_hub_follow_more_than_its_symbol_cap(tmp_path):
    """Symbols followed upstream cost IBKR lines and polls whoever asked: one reader with many symbols (or many
    HTTP lookups of distinct ones) used to grow the set without bound."""
    import asyncio
    from tickhub_e2e import expect

    config = tmp_path / "hub.json"
    config.write_text(json.dumps({"server": {"maxUpstreamSymbols": 8}}))
    hub = Hub("--config", str(config))
    try:
        # The held symbols, counted apart below, once the hub values IBKR's positions (they arrive after `ready`).
        import time
        hub.wait_for_ibkr("ready")
        deadline = time.monotonic() + 10
        while len(hub.get("/api/portfolio/pnl").json()["positions"]) < 5:
            assert time.monotonic() < deadline, "the demo positions never reached the P&L"
            time.sleep(0.05)

        async def scenario():
            async with hub.connect() as ws:
                wanted = [f"ZZ{i:02d}" for i in range(20)]
                await ws.send(json.dumps({"op": "subscribe", "symbols": wanted}))
                seen = []
                for _ in range(12):
                    await expect(ws, lambda m: m.get("code") == "unavailable" and "at most 8 symbols" in m.get("message", ""),
                                 10, "a capacity refusal", seen)
                return seen

        asyncio.run(asyncio.wait_for(scenario(), 30))
        # Held symbols are always followed (P&L needs them), whenever the positions arrive.
        held = {p["symbol"] for p in hub.get("/api/portfolio/pnl").json()["positions"]}
        health = hub.get("/api/health").json()
        followed = set(health["sources"])
        assert len(followed - held) <= 8, (sorted(followed), sorted(held))
        status = hub.get("/api/market-data/quote/QQQQ")
        assert status.status == 503 and "at most 8 symbols" in status.json()["error"]["message"], status
        assert "tickhub_symbols_refused_at_capacity_total" in hub.get("/metrics").text
    finally:
        hub.stop()


def import_csv(hub, account, symbols, broker="schwab"):
    body = ("symbol,quantity,average_cost\n" + "".join(f"{s},1,10\n" for s in symbols)).encode()
    return hub.post(f"/api/positions/import?broker={broker}&account={account}", body=body,
                    headers={"Content-Type": "text/csv"}, timeout=60)


def test_one_import_or_request_cannot_make_the_hub_follow_an_unbounded_set(tmp_path):
    """A 1 MiB CSV of 60k rows made the hub subscribe 60k symbols and pegged both cores, again after each restart;
    held symbols were followed whatever their number."""
    config = tmp_path / "hub.json"
    config.write_text(json.dumps({"server": {"maxUpstreamSymbols": 50, "maxSymbolsPerImport": 100, "maxSymbolsPerRequest": 30}}))
    hub = Hub("--config", str(config))
    try:
        hub.wait_for_positions(5)
        too_big = import_csv(hub, "A0", [f"Q{i:05d}" for i in range(101)])
        assert too_big.status == 413 and too_big.json()["error"]["code"] == "too_many_symbols", too_big
        assert "one import may hold 100" in too_big.json()["error"]["message"]
        assert len(hub.get("/api/positions?broker=schwab").json()["positions"]) == 0
        # Imports that fit, one after another, still leave held symbols within their own budget of 50.
        for n in range(3):
            assert import_csv(hub, f"A{n}", [f"Q{n}{i:03d}" for i in range(40)]).status == 200
        positions = hub.get("/api/positions?broker=schwab&limit=5000").json()["positions"]
        assert len(positions) == 120
        sources = hub.get("/api/health").json()["sources"]
        held_followed = [s for s in sources if s.startswith("Q")]
        assert len(held_followed) <= 50, len(held_followed)
        symbols = ",".join(f"R{i:03d}" for i in range(31))
        r = hub.get(f"/api/market-data/quotes?symbols={symbols}")
        assert r.status == 400 and r.json()["error"]["code"] == "too_many_symbols", r
        metrics = hub.get("/metrics").text
        assert "tickhub_requests_refused_too_many_symbols_total 2" in metrics, [l for l in metrics.splitlines() if "too_many" in l]
        # 125 symbols changed source within the minute; the log took 60 of those lines (LogAllowance).
        lines = [l for l in hub.stderr_so_far().splitlines() if ": source " in l]
        assert 30 <= len(lines) <= 61, len(lines)
    finally:
        hub.stop()


def test_twenty_five_thousand_positions_are_listed_page_by_page(tmp_path):
    """With about 25k stored positions `GET /api/positions` gave an empty reply after exactly 5 s (lws's timeout
    while the hub encoded them all). It is paged now, and an answer that takes long is no longer cut off."""
    config = tmp_path / "hub.json"
    config.write_text(json.dumps({"server": {"maxSymbolsPerImport": 1000}}))
    hub = Hub("--config", str(config))
    try:
        hub.wait_for_positions(5)
        symbols = [f"P{i:04d}" for i in range(1000)]
        for account in range(25):
            assert import_csv(hub, f"ACCT{account:02d}", symbols).status == 200
        first = hub.get("/api/positions", timeout=30)
        assert first.status == 200, first
        page = first.json()
        assert len(page["positions"]) == 1000 and page["nextCursor"]
        seen, cursor, pages = len(page["positions"]), page["nextCursor"], 1
        ids = {p["id"] for p in page["positions"]}
        while cursor and pages < 100:
            page = hub.get(f"/api/positions?limit=5000&cursor={cursor}", timeout=30).json()
            ids |= {p["id"] for p in page["positions"]}
            seen, cursor, pages = seen + len(page["positions"]), page["nextCursor"], pages + 1
        assert cursor is None and seen == len(ids) == 25_005, (seen, len(ids), pages)
        bad = hub.get("/api/positions?cursor=forged")
        assert bad.status == 400 and bad.json()["error"]["code"] == "invalid_field"
        assert hub.get("/api/positions?limit=0").status == 400
    finally:
        hub.stop()


def test_one_reader_cannot_hold_every_ibkr_line(tmp_path):
    """100 option symbols from one /stream client held all 100 IBKR lines, and every other client's symbols then
    failed over or failed. Lines now go by a fair share: another client's first symbols take the hog's last ones."""
    import asyncio
    from tickhub_e2e import expect

    config = tmp_path / "hub.json"
    config.write_text(json.dumps({"ibkr": {"lineBudget": 12}}))
    hub = Hub("--config", str(config))
    hog_symbols = [f"AAPL 271217C00{200 + i:03d}000" for i in range(30)]
    victim_symbols = ["MSFT 271217C00400000", "MSFT 271217P00400000", "NVDA"]

    def sources():
        return hub.get("/api/health").json()["sources"]

    def wait_for(predicate, what, timeout=20):
        import time
        deadline = time.monotonic() + timeout
        while True:
            current = sources()
            if predicate(current):
                return current
            assert time.monotonic() < deadline, f"{what}: {current}"
            time.sleep(0.1)

    try:
        # Once the hub values IBKR's positions: they arrive after `ready`, and hold lines first.
        wait_for(lambda _: len(hub.get("/api/portfolio/pnl").json()["positions"]) >= 5, "the demo positions valued")
        held = {p["symbol"] for p in hub.get("/api/portfolio/pnl").json()["positions"]}

        async def scenario():
            async with hub.connect() as hog, hub.connect() as victim:
                await hog.send(json.dumps({"op": "subscribe", "symbols": hog_symbols}))
                # The hog gets every line the held symbols leave.
                await asyncio.to_thread(wait_for, lambda s: sum(s.get(x) == "ibkr" for x in hog_symbols) >= 12 - len(held) - 1,
                                        "the hog's symbols at IBKR")
                await victim.send(json.dumps({"op": "subscribe", "symbols": victim_symbols}))
                after = await asyncio.to_thread(wait_for, lambda s: all(s.get(x) == "ibkr" for x in victim_symbols),
                                                "the victim's symbols at IBKR")
                for symbol in victim_symbols:
                    await expect(victim, lambda m, s=symbol: m.get("type") == "quote" and m.get("symbol") == s and m.get("bid"),
                                 10, f"a live quote for {symbol}")
                return after

        after = asyncio.run(asyncio.wait_for(scenario(), 60))
        at_ibkr = [s for s, source in after.items() if source == "ibkr"]
        assert len(at_ibkr) <= 12, at_ibkr
        assert held <= set(at_ibkr), (held, at_ibkr)
        assert sum(s in at_ibkr for s in hog_symbols) < 12 - len(held), at_ibkr
        assert hub.get("/api/ibkr/status").json()["linesInUse"] <= 12
    finally:
        hub.stop()


def test_a_database_that_cannot_be_written_turns_health_degraded_and_loses_nothing(tmp_path):
    """`/api/health` said `ok` with a damaged database. Here the file-size limit (ulimit -f, a real kernel refusal:
    EFBIG, and SIGXFSZ, which the hub ignores rather than die of) stops the database from growing mid-run."""
    db = tmp_path / "tickhub.sqlite"
    hub = Hub("--db", str(db), wrapper=("prlimit", "--fsize=600000"))
    try:
        hub.wait_for_positions(5)
        assert hub.get("/api/health").json()["database"]["ok"] is True
        results = [import_csv(hub, f"F{n}", [f"F{n}{i:04d}" for i in range(2000)]) for n in range(4)]
        statuses = [r.status for r in results]
        assert statuses[0] == 200 and 503 in statuses, statuses
        failed = next(r for r in results if r.status == 503)
        assert failed.json()["error"]["code"] == "database_unavailable"
        health = hub.get("/api/health").json()
        assert health["status"] == "degraded" and health["database"]["ok"] is False, health
        assert "position write failed" in health["database"]["detail"]
        # The hub is alive, and what was written before stays readable: every acknowledged import is there whole.
        listed = hub.get("/api/positions?broker=schwab&limit=5000").json()["positions"]
        acknowledged = {f"F{n}" for n, s in enumerate(statuses) if s == 200}
        assert {p["account"] for p in listed} == acknowledged
        assert len(listed) == 2000 * len(acknowledged)
    finally:
        hub.stop()


def test_a_tws_that_stalls_is_detected_and_health_tells_the_truth(tmp_path):
    """A TWS that keeps the socket open and sends nothing left IBKR `ready` and `/api/health` `ok` forever while
    every quote went stale. Heartbeats (reqCurrentTime) now find it, the connection is replaced, quotes resume."""
    import time
    import urllib.request
    from conftest import ROOT, start_simulator

    sim = start_simulator("--portfolio", str(ROOT / "config" / "sim-portfolio.json"), "--tick-rate", "200")
    config = tmp_path / "hub.json"
    config.write_text(json.dumps({"ibkr": {"host": "127.0.0.1", "port": int(sim.fields["port"]),
                                           "heartbeatIdleSeconds": 1, "heartbeatTimeoutSeconds": 1}}))
    hub = Hub("--config", str(config), "--db", str(tmp_path / "hub.sqlite"), demo=False)
    try:
        hub.wait_for_ibkr("ready")
        assert hub.get("/api/market-data/quote/AAPL").status == 200
        control = f"http://127.0.0.1:{sim.fields['control']}"
        urllib.request.urlopen(urllib.request.Request(f"{control}/fault/stall?seconds=6", method="POST"), timeout=5).read()
        # Found within idle + timeout (2 s) plus a reconnect, not "forever".
        deadline, states = time.monotonic() + 10, []
        while time.monotonic() < deadline:
            status = hub.get("/api/ibkr/status").json()
            states.append(status["state"])
            if status["state"] != "ready":
                break
            time.sleep(0.1)
        assert states[-1] != "ready", states[-10:]
        assert "stall" in (hub.get("/api/ibkr/status").json()["lastError"] or ""), hub.get("/api/ibkr/status").json()
        health = hub.get("/api/health").json()
        assert health["status"] != "ok", health
        # Once the stall ends, IBKR is ready again and quotes are live.
        hub.wait_for_ibkr("ready", timeout=30)
        deadline = time.monotonic() + 15
        while hub.get("/api/health").json()["status"] != "ok":
            assert time.monotonic() < deadline, hub.get("/api/health").json()
            time.sleep(0.2)
    finally:
        hub.stop()
        sim.stop()
