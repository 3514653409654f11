"""Other brokers' positions: created, edited, imported over the HTTP API, kept in SQLite across restarts,
valued live beside IBKR's."""
import json
import os
import signal
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request

from conftest import start_hub


def call(port, method, path, body=None, content_type="application/json"):
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method, data=data,
                                     headers={"content-type": content_type} if data is not None else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
            return response.status, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def wait_for(what, condition, timeout=15):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)
    return value


CSV = """symbol,quantity,average_cost,multiplier,currency,security_type
IBM,25,180.50,1,USD,STK
SPY 271217P00500000,-3,4.20,100,USD,OPT
"""


def test_manual_and_imported_positions_survive_a_restart_and_are_valued(tmp_path):
    env = {"TICKHUB_DATA_DIR": str(tmp_path)}
    hub = start_hub(env=env)
    try:
        port = int(hub.fields["port"])
        status, created = call(port, "POST", "/api/positions",
                               {"broker": "tastytrade", "account": "5WT00001", "symbol": "AAPL", "quantity": 1, "avgCost": 150})
        assert status == 201, created
        position_id = created["id"]
        assert created["origin"] == "manual" and created["quantity"] == 1

        # Validation: clear 400s naming the problem.
        for body, code in [
            ({"broker": "t", "account": "a", "symbol": "AAPL", "quantity": "ten", "avgCost": 1}, "invalid_field"),
            ({"broker": "t", "account": "a", "symbol": "AAPL", "quantity": 1, "avgCost": 1, "colour": "red"}, "unknown_field"),
            ({"broker": "t", "account": "a", "symbol": "AAPL", "quantity": 1, "avgCost": 1, "multiplier": 0}, "invalid"),
            ({"broker": "t", "account": "a", "symbol": "AA$L", "quantity": 1, "avgCost": 1}, "invalid"),
        ]:
            status, error = call(port, "POST", "/api/positions", body)
            assert status == 400 and error["error"]["code"] == code, (body, error)

        status, changes = call(port, "POST", "/api/positions/import?broker=tastytrade&account=5WT00002", CSV.encode(), "text/csv")
        assert status == 200 and changes["inserted"] == 2, changes
        duplicate = CSV + "IBM,1,1,1,USD,STK\n"
        status, error = call(port, "POST", "/api/positions/import?broker=tastytrade&account=5WT00002", duplicate.encode(), "text/csv")
        assert status == 400, error

        status, updated = call(port, "PUT", f"/api/positions/{position_id}", {"symbol": "AAPL", "quantity": 2, "avgCost": 155})
        assert status == 200 and updated["quantity"] == 2

        pnl = wait_for("tastytrade positions valued", lambda: (lambda p: p if sum(
            1 for x in p["positions"] if x["broker"] == "tastytrade" and x["marketPrice"] is not None) == 3 else None)(
            call(port, "GET", "/api/portfolio/pnl")[1]))
        ibm = next(x for x in pnl["positions"] if x["symbol"] == "IBM")
        assert abs(ibm["unrealizedPnl"] - (ibm["marketPrice"] - 180.5) * 25) <= 0.005 + 1e-6
        put = next(x for x in pnl["positions"] if x["symbol"] == "SPY 271217P00500000")
        # Imported option costs are per share: the multiplier applies once.
        assert abs(put["unrealizedPnl"] - (put["marketPrice"] - 4.2) * -3 * 100) <= 0.005 + 1e-6
        assert "tastytrade" in pnl["byBroker"] and "ibkr" in pnl["byBroker"]
    finally:
        hub.stop()

    # A new process on the same database still has them.
    hub = start_hub(env=env)
    try:
        port = int(hub.fields["port"])
        status, listing = call(port, "GET", "/api/positions?broker=tastytrade")
        symbols = sorted(p["symbol"] for p in listing["positions"])
        assert symbols == ["AAPL", "IBM", "SPY 271217P00500000"]
        status, _ = call(port, "DELETE", f"/api/positions/{position_id}")
        assert status == 204
        status, listing = call(port, "GET", "/api/positions?broker=tastytrade")
        assert sorted(p["symbol"] for p in listing["positions"]) == ["IBM", "SPY 271217P00500000"]
        # IBKR's positions were synced into the database too.
        status, ibkr = call(port, "GET", "/api/positions?broker=ibkr")
        assert len(ibkr["positions"]) == 5
    finally:
        hub.stop()


def exchange(port, method, path, body=None):
    """(status, headers, body text) of one request, errors included."""
    data = None if body is None else body.encode() if isinstance(body, str) else json.dumps(body).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method, data=data,
                                     headers={"content-type": "application/json"} if data is not None else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read().decode()


def test_a_position_read_goes_back_unchanged_and_old_names_are_marked_deprecated():
    hub = start_hub()
    try:
        port = int(hub.fields["port"])
        status, headers, text = exchange(port, "POST", "/api/positions", {
            "broker": "tastytrade", "account": "5WT1", "symbol": "EUR.USD", "quantity": 25000, "averageCost": 1.0812,
            "securityType": "CASH"})
        assert status == 201 and headers.get("deprecation") == "true", (status, headers, text)
        assert "field-names" in headers.get("link", "")
        created = json.loads(text)
        assert created["avgCost"] == 1.0812 and created["secType"] == "CASH" and "averageCost" not in created

        # GET, then PUT the very body back: accepted, nothing changes, no deprecation.
        status, _, read = exchange(port, "GET", f"/api/positions/{created['id']}")
        assert status == 200 and json.loads(read) == created
        status, headers, written = exchange(port, "PUT", f"/api/positions/{created['id']}", read)
        assert status == 200 and "deprecation" not in headers, written
        assert json.loads(written) == created
        # The new names work the same, and a read-only field that differs is refused by name.
        changed = {**created, "quantity": 30000, "avgCost": 1.09}
        status, _, written = exchange(port, "PUT", f"/api/positions/{created['id']}", changed)
        assert status == 200 and json.loads(written)["quantity"] == 30000, written
        status, _, error = exchange(port, "PUT", f"/api/positions/{created['id']}", {**json.loads(written), "origin": "import"})
        assert status == 400 and json.loads(error)["error"]["code"] == "invalid_field", error
        # What was read before the change above is out of date: sending it back would undo that change.
        status, _, error = exchange(port, "PUT", f"/api/positions/{created['id']}", read)
        assert status == 409 and json.loads(error)["error"]["code"] == "conflict", error
        status, _, error = exchange(port, "PUT", f"/api/positions/{created['id']}", {**created, "mark": 1})
        assert status == 400 and json.loads(error)["error"]["code"] == "unknown_field", error

        # An IBKR position reads the same way and stays IBKR's.
        ibkr = wait_for("IBKR's positions synced", lambda: [p for p in call(port, "GET", "/api/positions?broker=ibkr")[1]["positions"]])
        status, _, read = exchange(port, "GET", f"/api/positions/{ibkr[0]['id']}")
        assert status == 200 and json.loads(read) == ibkr[0]
        status, _, error = exchange(port, "PUT", f"/api/positions/{ibkr[0]['id']}", read)
        assert status == 400 and json.loads(error)["error"]["code"] == "read_only_broker", error
        assert exchange(port, "GET", "/api/positions/987654")[0] == 404
    finally:
        hub.stop()


def test_sigkill_while_writing_loses_no_committed_position(tmp_path):
    env = {"TICKHUB_DATA_DIR": str(tmp_path)}
    hub = start_hub(env=env)
    port = int(hub.fields["port"])
    committed = []
    for i in range(40):
        status, created = call(port, "POST", "/api/positions",
                               {"broker": "manual", "account": "M1", "symbol": f"S{i:04d}", "quantity": i + 1, "avgCost": 10})
        assert status == 201
        committed.append(created["id"])
    # Kill it in the middle of more writes.
    writer = subprocess.Popen(["python3", "-c", f"""
import json, urllib.request
for i in range(40, 400):
    r = urllib.request.Request("http://127.0.0.1:{port}/api/positions", method="POST",
        data=json.dumps({{"broker":"manual","account":"M1","symbol":"S%04d" % i,"quantity":1,"avgCost":1}}).encode(),
        headers={{"content-type":"application/json"}})
    try: urllib.request.urlopen(r, timeout=5).read()
    except Exception: break
"""])
    time.sleep(0.3)
    os.kill(hub.proc.pid, signal.SIGKILL)
    hub.proc.wait(timeout=10)
    writer.wait(timeout=30)

    database = tmp_path / "tickhub.sqlite"
    connection = sqlite3.connect(database)
    assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    ids = {row[0] for row in connection.execute("SELECT id FROM position WHERE broker = 'manual'")}
    connection.close()
    assert set(committed) <= ids

    hub = start_hub(env=env)
    try:
        port = int(hub.fields["port"])
        status, listing = call(port, "GET", "/api/positions?broker=manual")
        assert status == 200 and {p["id"] for p in listing["positions"]} >= set(committed)
    finally:
        hub.stop()


def test_history_is_recorded_and_last_prices_survive_a_restart_stale(tmp_path):
    config = tmp_path / "hub.json"
    config.write_text(json.dumps({"server": {"snapshotSeconds": 1}}))
    env = {"TICKHUB_DATA_DIR": str(tmp_path)}
    hub = start_hub("--config", str(config), env=env)
    try:
        port = int(hub.fields["port"])
        live = wait_for("a live AAPL quote", lambda: (lambda q: q if not q["stale"] else None)(
            call(port, "GET", "/api/market-data/quote/AAPL")[1]))
        history = wait_for("P&L snapshots", lambda: (lambda h: h if len(h["snapshots"]) >= 2 else None)(
            call(port, "GET", "/api/portfolio/history?scope=total")[1]), timeout=20)
        assert all(s["scope"] == "total" for s in history["snapshots"])
        # Quotes are saved every ten seconds; wait for one save to land.
        wait_for("quotes saved", lambda: sqlite3.connect(tmp_path / "tickhub.sqlite").execute(
            "SELECT count(*) FROM lastQuote WHERE symbol = 'AAPL'").fetchone()[0] == 1, timeout=20)
    finally:
        hub.stop()

    # Restarted without any reachable TWS: the last known AAPL price is shown, flagged stale.
    free = subprocess.run(["python3", "-c", "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])"],
                          capture_output=True, text=True).stdout.strip()
    from conftest import Process, BIN, DEMO_ENV
    hub = Process([str(BIN / "tickhub"), "--listen", "127.0.0.1:0", "--ibkr-port", free], r"tickhub: listening",
                  env={**DEMO_ENV, **env})
    try:
        port = int(hub.fields["port"])
        status, quote = call(port, "GET", "/api/market-data/quote/AAPL")
        assert status == 200 and quote["stale"] is True
        assert abs(quote["last"] - live["last"]) < 5
    finally:
        hub.stop()
