"""The simulator's Client Portal gateway as an independent client sees it: HTTPS and WSS on one loopback port with a
certificate the client trusts from the PEM the simulator wrote, the session flow, snapshots that prime then carry
IBKR-formatted strings, the stream's changed fields, faults from the control port, and 429 after a burst."""
import http.client
import json
import pathlib
import re
import ssl
import tempfile
import time
import urllib.request

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from conftest import start_simulator

WEDNESDAY_MORNING = "2026-12-02T11:00:00-05:00"
AAPL = 265598


class Gateway:
    """A simulator with its gateway, and an HTTPS client that trusts only the certificate it wrote."""

    def __init__(self, *extra):
        self.certificate = pathlib.Path(tempfile.mkdtemp(prefix="tickhub-cp-")) / "gateway.pem"
        self.sim = start_simulator("--clock", WEDNESDAY_MORNING, "--tick-rate", "500", "--client-portal-port", "0",
                                   "--client-portal-cert-out", str(self.certificate), *extra)
        self.port = int(self.sim.fields["clientportal"])
        self.control = int(self.sim.fields["control"])
        self.context = ssl.create_default_context(cafile=str(self.certificate))

    def request(self, method, path, body=None):
        connection = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.context, timeout=10)
        try:
            headers = {"Content-Type": "application/json"} if body is not None else {}
            connection.request(method, "/v1/api" + path, body=json.dumps(body) if body is not None else None,
                               headers=headers)
            response = connection.getresponse()
            text = response.read().decode()
            return response.status, (json.loads(text) if text else None)
        finally:
            connection.close()

    def fault(self, name, **query):
        suffix = "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""
        request = urllib.request.Request(f"http://127.0.0.1:{self.control}/fault/{name}{suffix}", method="POST")
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 200

    def status(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.control}/clientportal/status", timeout=5) as response:
            return json.loads(response.read())

    def stream(self, token):
        return connect(f"wss://localhost:{self.port}/v1/api/ws", ssl=self.context, open_timeout=10,
                       additional_headers={"Cookie": "api=" + json.dumps({"session": token}, separators=(",", ":"))})

    def stop(self):
        self.sim.stop()


@pytest.fixture
def gateway():
    # Pacing off: these tests are about the answers; the burst test has pacing of its own.
    gw = Gateway("--client-portal-requests-per-second", "0")
    yield gw
    gw.stop()


def until(predicate, timeout=10.0, every=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    return None


def receive(ws, wanted, timeout=10.0):
    """The first message that `wanted` accepts, within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        assert left > 0, "timed out waiting for a message"
        message = json.loads(ws.recv(timeout=left))
        if wanted(message):
            return message


def test_listening_line_names_the_port_and_a_certificate_python_trusts(gateway):
    assert gateway.sim.fields["clientportalCert"] == str(gateway.certificate)
    assert gateway.certificate.read_text().startswith("-----BEGIN CERTIFICATE-----")
    # The TWS side is there as before.
    assert int(gateway.sim.fields["port"]) > 0
    untrusting = ssl.create_default_context()
    connection = http.client.HTTPSConnection("127.0.0.1", gateway.port, context=untrusting, timeout=5)
    with pytest.raises(ssl.SSLCertVerificationError):
        connection.request("GET", "/v1/api/iserver/auth/status")
    connection.close()


def test_session_flow_then_a_snapshot_primes_and_then_carries_formatted_strings(gateway):
    status, auth = gateway.request("POST", "/iserver/auth/status")
    assert status == 200 and auth["authenticated"] is True and auth["competing"] is False
    status, tickle = gateway.request("POST", "/tickle")
    assert status == 200 and re.fullmatch(r"[0-9a-f]{32}", tickle["session"])
    assert tickle["iserver"]["authStatus"]["authenticated"] is True

    status, accounts = gateway.request("GET", "/iserver/accounts")
    assert status == 200 and accounts["accounts"] == ["DU1234567"]
    status, found = gateway.request("GET", "/iserver/secdef/search?symbol=AAPL")
    assert status == 200 and found[0]["conid"] == str(AAPL)
    status, stocks = gateway.request("GET", "/trsrv/stocks?symbols=AAPL")
    assert stocks["AAPL"][0]["contracts"][0]["conid"] == AAPL

    path = f"/iserver/marketdata/snapshot?conids={AAPL}&fields=31,84,86,88,85,7059,87,7762,70,71,7295,7741,82,83,6509"
    status, priming = gateway.request("GET", path)
    assert status == 200 and priming == [{"conidEx": str(AAPL), "conid": AAPL}]
    status, rows = gateway.request("GET", path)
    row = rows[0]
    assert row["conid"] == AAPL and isinstance(row["_updated"], int)
    assert all(isinstance(row[f], str) for f in ("31", "84", "86", "88", "85", "87", "7762"))
    assert float(row["84"]) < float(row["86"])
    assert re.fullmatch(r"\d{1,3}(,\d{3})*", row["88"]) and re.fullmatch(r"\d{1,3}(,\d{3})*", row["85"])
    assert re.fullmatch(r"\d+(\.\d)?[KMB]?", row["87"])
    assert re.fullmatch(r"\d+", row["7762"])
    assert re.fullmatch(r"-?\d+\.\d\d%", row["83"])
    assert row["6509"] == "RpB"
    assert float(row["71"]) <= float(row["31"]) <= float(row["70"])


def test_the_stream_sends_subscribed_fields_then_only_what_changed(gateway):
    gateway.request("GET", "/iserver/accounts")
    _, tickle = gateway.request("POST", "/tickle")
    with gateway.stream(tickle["session"]) as ws:
        receive(ws, lambda m: m.get("topic") == "system" and "success" in m)
        receive(ws, lambda m: m.get("topic") == "sts" and m["args"]["authenticated"] is True)
        ws.send(f'smd+{AAPL}+{{"fields":["31","84","86","88","85"]}}')
        first = receive(ws, lambda m: m.get("topic") == f"smd+{AAPL}")
        assert {"31", "84", "86", "88", "85", "6509"} <= set(first) and first["conid"] == AAPL
        updates = [receive(ws, lambda m: m.get("topic") == f"smd+{AAPL}") for _ in range(8)]
        assert any(len({"31", "84", "86", "88", "85"} & set(u)) < 5 for u in updates), updates
        assert all("6509" not in u for u in updates)
        stamps = [m["_updated"] for m in [first] + updates]
        assert stamps == sorted(stamps)
        ws.send("tic")
        receive(ws, lambda m: m.get("topic") == "tic")
        ws.send(f"umd+{AAPL}+{{}}")
        assert until(lambda: gateway.status()["streamSubscriptions"] == 0, timeout=5)


def test_competing_session_then_taken_back_and_a_nightly_outage(gateway):
    gateway.request("GET", "/iserver/accounts")
    _, tickle = gateway.request("POST", "/tickle")
    with gateway.stream(tickle["session"]) as ws:
        receive(ws, lambda m: m.get("topic") == "sts")
        gateway.fault("cp-competing")
        _, auth = gateway.request("GET", "/iserver/auth/status")
        assert auth["competing"] is True and auth["authenticated"] is False
        assert gateway.request("GET", f"/iserver/marketdata/snapshot?conids={AAPL}")[0] == 401
        receive(ws, lambda m: m.get("topic") == "sts" and m["args"]["authenticated"] is False)
        status, opened = gateway.request("POST", "/iserver/auth/ssodh/init", {"publish": True, "compete": True})
        assert status == 200 and opened["authenticated"] is True
        receive(ws, lambda m: m.get("topic") == "sts" and m["args"]["authenticated"] is True)

        gateway.fault("cp-outage", seconds=1)
        assert gateway.request("GET", "/iserver/accounts")[0] == 503
        assert gateway.request("GET", "/portfolio/accounts")[0] == 200
        with pytest.raises(ConnectionClosed):
            for _ in range(100):
                ws.recv(timeout=5)
    assert until(lambda: gateway.request("GET", "/iserver/accounts")[0] == 200, timeout=10)


def test_portfolio_positions_summary_and_pnl(gateway):
    status, positions = gateway.request("GET", "/portfolio/DU1234567/positions/0")
    assert status == 200
    by_conid = {p["conid"]: p for p in positions}
    assert by_conid[AAPL]["position"] == 100 and by_conid[AAPL]["avgCost"] == 190.25
    option = next(p for p in positions if p["assetClass"] == "OPT")
    assert option["multiplier"] == 100 and option["avgPrice"] == 10.5
    _, summary = gateway.request("GET", "/portfolio/DU1234567/summary")
    assert summary["totalcashvalue"]["amount"] == 250000
    _, pnl = gateway.request("GET", "/iserver/account/pnl/partitioned")
    core = pnl["upnl"]["DU1234567.Core"]
    assert core["nl"] == summary["netliquidation"]["amount"]


def test_a_burst_over_ten_a_second_gets_429_and_the_penalty_box():
    gw = Gateway("--client-portal-penalty-seconds", "2")
    try:
        # One kept-alive connection, so that the burst is as fast as the gateway answers, not as TLS handshakes.
        connection = http.client.HTTPSConnection("127.0.0.1", gw.port, context=gw.context, timeout=10)
        statuses = []
        for _ in range(15):
            connection.request("GET", "/v1/api/iserver/auth/status")
            response = connection.getresponse()
            response.read()
            statuses.append(response.status)
        connection.close()
        assert statuses[:10] == [200] * 10, statuses
        assert 429 in statuses, statuses
        assert gw.request("GET", "/portfolio/accounts")[0] == 429
        penalty = gw.status()["penaltySeconds"]
        assert 0 < penalty <= 2
        time.sleep(penalty + 0.2)
        assert gw.request("GET", "/iserver/auth/status")[0] == 200
    finally:
        gw.stop()
