"""The ingest role end to end, with real processes over loopback: one `nats-server -js`, one `tickhub-sim`, two
`tickhub --role ingest` pointed at it with the same IBKR client id, and this test playing an edge over NATS's own
protocol (nats_wire.py): its interest renewals, the quotes on `tickhub.quote.<token>`, control requests.

What is checked: one ingest leads and connects to IBKR, the other stands by without a session; the leader relays
quotes as the hub encoded them with its epoch; killing it (SIGKILL, no goodbye) moves the IBKR session to the standby,
whose quotes carry the next epoch and continue every `seq` upward (the takeover time is printed: run with -s); IBKR
status and connect/disconnect, and an HTTP write, are answered by the leader for the edge; a lease not renewed is
released at the ingest."""
import json
import time

from conftest import start_simulator
from nats_wire import NATSWire
from tickhub_e2e import Hub, start_nats_server

LEADER_SECONDS = 3
CLIENT_ID = 17


def start_ingest(nats, sim, *extra):
    return Hub("--role", "ingest", "--nats-url", nats.url, "--ibkr-port", sim.fields["port"], "--ibkr-client-id",
               str(CLIENT_ID), "--offline", "--no-dashboard", *extra, demo=False, providers="ibkr")


def renew(edge, symbols, lease_ms=10_000, name="e2e-edge"):
    answer = edge.request("tickhub.interest", json.dumps(
        {"edge": name, "symbols": symbols, "leaseMilliseconds": lease_ms}).encode())
    assert "Tickhub-Error" not in answer.headers, answer.headers
    return answer.json()


def leader_and_standby(first, second, timeout=10):
    """Polls IBKR's status on both (bounded) until exactly one has a session: the leader."""
    deadline = time.monotonic() + timeout
    while True:
        states = [hub.get("/api/ibkr/status").json()["state"] for hub in (first, second)]
        if states.count("ready") == 1:
            return (first, second) if states[0] == "ready" else (second, first)
        assert time.monotonic() < deadline, f"IBKR states {states} after {timeout} s: not one leader"
        time.sleep(0.05)


def test_one_ingest_leads_and_the_standby_takes_over_when_it_is_killed(tmp_path):
    nats = start_nats_server(tmp_path)
    sim = start_simulator("--tick-rate", "500")
    first = second = edge = None
    try:
        first = start_ingest(nats, sim)
        second = start_ingest(nats, sim)
        leader, standby = leader_and_standby(first, second)
        led = leader.get("/api/health").json()["scaleOut"]
        stood = standby.get("/api/health").json()["scaleOut"]
        assert (led["role"], led["state"], led["nats"]) == ("ingest", "leader", "connected"), led
        assert (stood["state"], stood["epoch"]) == ("standby", None), stood
        # The standby has no IBKR session: there must never be two with one client id.
        assert standby.get("/api/ibkr/status").json()["state"] == "disconnected"

        edge = NATSWire(nats.port, name="e2e-edge")
        edge.subscribe("tickhub.quote.NVDA")
        edge.subscribe("tickhub.status.>")
        edge.flush()
        # NVDA is in no portfolio: only the edge's interest makes the ingests follow it.
        grant = renew(edge, ["NVDA", "NOT/A/SYMBOL"])
        first_epoch = grant["epoch"]
        assert first_epoch >= 1 and list(grant["unknown"]) == ["NOT/A/SYMBOL"], grant

        quote = edge.wait_for(lambda m: m.subject == "tickhub.quote.NVDA", 10, "an NVDA quote from the leader")
        assert quote.headers["Tickhub-Epoch"] == str(first_epoch)
        body = quote.json()
        assert body["type"] == "quote" and body["symbol"] == "NVDA" and body["source"] == "ibkr", body
        # The leader's status messages carry its epoch too.
        status = edge.wait_for(lambda m: m.subject == "tickhub.status.ibkr", 10, "the leader's IBKR status")
        assert status.headers["Tickhub-Epoch"] == str(first_epoch)

        # IBKR's status through the leader, for an edge.
        relayed = edge.request("tickhub.control.ibkr.status")
        assert relayed.json()["state"] == "ready" and relayed.headers["Tickhub-Epoch"] == str(first_epoch)

        # The leader dies without a word; the standby, which kept the edge's interest (no renewal is sent after the
        # kill), takes the session over and follows NVDA at once.
        last_seq = max(m.json()["seq"] for m in edge.taken(lambda m: m.subject == "tickhub.quote.NVDA"))
        leader.proc.kill()
        killed = time.monotonic()
        leader.proc.wait(timeout=10)
        fresh = edge.wait_for(
            lambda m: m.subject == "tickhub.quote.NVDA" and m.headers.get("Tickhub-Epoch") not in (None, str(first_epoch)),
            LEADER_SECONDS + 8, "a quote from the new leader")
        takeover = fresh.received - killed
        print(f"\ntakeover: leader killed -> first quote of the new leader on NATS after {takeover:.2f} s "
              f"(nats.leaderSeconds {LEADER_SECONDS})")
        assert int(fresh.headers["Tickhub-Epoch"]) > first_epoch
        assert fresh.json()["seq"] > last_seq, "seq went down across the takeover"
        assert takeover < LEADER_SECONDS + 1 + 2, f"takeover took {takeover:.2f} s"
        assert standby.get("/api/ibkr/status").json()["state"] == "ready"
        assert standby.get("/api/health").json()["scaleOut"]["epoch"] == int(fresh.headers["Tickhub-Epoch"])
        # Every quote the new leader sent is numbered above every one the old leader sent.
        new_epoch = fresh.headers["Tickhub-Epoch"]
        old = [m.json()["seq"] for m in edge.taken(lambda m: m.subject == "tickhub.quote.NVDA"
                                                     and m.headers.get("Tickhub-Epoch") == str(first_epoch))]
        new = [m.json()["seq"] for m in edge.taken(lambda m: m.subject == "tickhub.quote.NVDA"
                                                     and m.headers.get("Tickhub-Epoch") == new_epoch)]
        assert min(new) > max(old)
        assert "client id is already in use" not in standby.stderr_so_far()
    finally:
        for process in (edge, first, second):
            if process is not None:
                process.close() if process is edge else process.stop()
        sim.stop()
        nats.stop()


def test_the_leader_answers_an_edge_s_control_requests_and_releases_an_expired_lease(tmp_path):
    nats = start_nats_server(tmp_path)
    sim = start_simulator("--tick-rate", "200")
    ingest = edge = None
    try:
        ingest = start_ingest(nats, sim)
        ingest.wait_for_ibkr("ready")
        edge = NATSWire(nats.port, name="e2e-edge")

        # IBKR disconnect and connect, asked by an edge, carried out by the leader.
        down = edge.request("tickhub.control.ibkr.disconnect")
        assert down.json()["state"] == "disconnected"
        assert ingest.get("/api/ibkr/status").json()["state"] == "disconnected"
        edge.request("tickhub.control.ibkr.connect")
        ingest.wait_for_ibkr("ready")

        # An HTTP write relayed to the leader: answered as its own API answers, and kept in its database.
        position = {"broker": "tastytrade", "account": "5WT1", "symbol": "IBM", "quantity": 10, "avgCost": 180}
        made = edge.request("tickhub.control.http", json.dumps(position).encode(), headers={
            "Tickhub-Method": "POST", "Tickhub-Path": "/api/positions", "Content-Type": "application/json"})
        assert made.headers["Tickhub-Status"] == "201", (made.headers, made.data)
        stored = ingest.get("/api/positions?broker=tastytrade").json()["positions"]
        assert [(p["symbol"], p["quantity"]) for p in stored] == [("IBM", 10)], stored
        refused = edge.request("tickhub.control.http", b"{}", headers={
            "Tickhub-Method": "POST", "Tickhub-Path": "/api/positions", "Content-Type": "application/json"})
        assert refused.headers["Tickhub-Status"] == "400", refused.headers
        outside = edge.request("tickhub.control.http", headers={"Tickhub-Method": "GET", "Tickhub-Path": "/metrics"})
        assert "/api/" in outside.headers["Tickhub-Error"]

        # A symbol only the edge wants is followed while its lease lives, and released when it runs out.
        renew(edge, ["NVDA"], lease_ms=3_000, name="short-lived")
        deadline = time.monotonic() + 10
        while "NVDA" not in ingest.get("/api/health").json()["sources"]:
            assert time.monotonic() < deadline, "NVDA never followed for the edge"
            time.sleep(0.05)
        renewed = time.monotonic()
        while "NVDA" in ingest.get("/api/health").json()["sources"]:
            assert time.monotonic() < renewed + 6, "NVDA still followed 6 s after a 3 s lease"
            time.sleep(0.05)
        released = time.monotonic() - renewed
        assert released >= 2.5, f"released after {released:.2f} s, before the lease ran out"
        metrics = ingest.get("/metrics").body.decode()
        assert "tickhub_relay_leader 1" in metrics
        assert "tickhub_relay_interest_edges 0" in metrics
    finally:
        if edge is not None:
            edge.close()
        if ingest is not None:
            ingest.stop()
        sim.stop()
        nats.stop()
