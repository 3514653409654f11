"""Price alerts end to end: rules made over HTTP on a real hub, fired by quotes from a publisher or the demo's TWS
simulator, delivered to the `/stream` `alerts` channel, to a webhook (a loopback HTTP server that fails twice
first) and to a fake Telegram Bot API; never fired on a stale quote; kept across a restart with what they had
seen. Loopback only; every wait is bounded."""
import asyncio
import contextlib
import http.server
import json
import threading
import time

import pytest

from tickhub_e2e import Hub, collect, expect, ready_hub

PUBLISH_TOKEN = "publish-secret-for-alert-tests"
BOT_TOKEN = "424242:alerts-e2e-bot-token"
JSON = {"Content-Type": "application/json"}


def run(coroutine, timeout=60):
    return asyncio.run(asyncio.wait_for(coroutine, timeout))


class Receiver:
    """A webhook or Bot API stand-in on a loopback port: answers each POST with the next status of `statuses` (the
    last repeated) and `answer` as JSON, keeps (path, body), and sets `got[n]` when the n-th request has come."""

    def __init__(self, statuses, answer=b"{}"):
        self.statuses = list(statuses)
        self.requests = []
        self.arrived = threading.Condition()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                with outer.arrived:
                    outer.requests.append((self.path, body.decode(), self.headers.get("content-type")))
                    status = outer.statuses[min(len(outer.requests), len(outer.statuses)) - 1]
                    outer.arrived.notify_all()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def wait_for(self, count, timeout=15):
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.requests) >= count, timeout), \
                f"{len(self.requests)} requests within {timeout} s, not {count}"
            return list(self.requests)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@contextlib.contextmanager
def receiving(statuses, answer=b"{}"):
    receiver = Receiver(statuses, answer)
    try:
        yield receiver
    finally:
        receiver.close()


def create(hub, **rule):
    response = hub.request("POST", "/api/alerts", headers=JSON, body=json.dumps(rule))
    assert response.status == 201, response
    return response.json()


def deliveries_settled(hub, alert_id, timeout=15):
    """Polls (bounded) the deliveries of one rule until none is pending; returns them."""
    deadline = time.monotonic() + timeout
    while True:
        deliveries = hub.get(f"/api/alerts/deliveries?alertId={alert_id}").json()["deliveries"]
        if deliveries and all(d["state"] != "pending" for d in deliveries):
            return deliveries
        assert time.monotonic() < deadline, f"deliveries still pending after {timeout} s: {deliveries}"
        time.sleep(0.05)


def is_alert(alert_id):
    return lambda m: m.get("type") == "alert" and m["id"] == alert_id


@pytest.fixture
def push_hub(tmp_path):
    """A hub fed by a publisher alone, so the test sets every price; retries a few tens of ms apart."""
    config = tmp_path / "tickhub.json"
    config.write_text(json.dumps({"alerts": {"retryInitialSeconds": 0.05, "retryCapSeconds": 0.2}}))
    hub = Hub("--config", str(config), providers="push", env={"TICKHUB_PUBLISH_TOKEN": PUBLISH_TOKEN})
    yield hub
    hub.stop()


def publish(hub, symbol, last):
    response = hub.post("/api/market-data/publish", body=json.dumps({"symbol": symbol, "last": last, "bid": last - 0.01, "ask": last + 0.01}),
                        headers={**JSON, "Authorization": f"Bearer {PUBLISH_TOKEN}"})
    assert response.status == 200, response


def test_a_crossing_reaches_the_stream_and_a_webhook_that_fails_twice_then_takes_it(push_hub):
    hub = push_hub
    with receiving([500, 500, 200]) as webhook:
        async def scenario():
            # The client subscribes to the channel alone: the rule keeps ACME followed upstream by itself.
            async with hub.connect() as ws:
                await ws.send(json.dumps({"op": "subscribe", "channels": ["alerts"]}))
                rule = await asyncio.to_thread(create, hub, symbol="acme", condition="crosses", level=100, cooldownSeconds=3600,
                                               targets=[{"type": "webhook", "url": webhook.url + "/hook?secret=abc"}])
                assert rule["symbol"] == "ACME" and rule["lastFiredAt"] is None
                # Below the level, then above it; again until the rule has seen both sides (the first prices may
                # come before the symbol is followed).
                for _ in range(100):
                    await asyncio.to_thread(publish, hub, "ACME", 99.5)
                    await asyncio.to_thread(publish, hub, "ACME", 100.5)
                    alerts = [m for m in await collect(ws, 0.1) if m.get("type") == "alert"]
                    if alerts:
                        break
                assert len(alerts) == 1, alerts
                alert = alerts[0]
                assert alert == {"type": "alert", "id": rule["id"], "symbol": "ACME", "condition": "crosses", "level": 100,
                                 "price": alert["price"], "time": alert["time"]}
                assert alert["price"] in (99.5, 100.5)
                assert abs(alert["time"] - time.time() * 1000) < 60_000
                # More crossings inside the cooldown fire nothing.
                for last in (99.0, 101.0, 99.0):
                    await asyncio.to_thread(publish, hub, "ACME", last)
                assert not [m for m in await collect(ws, 0.5) if m.get("type") == "alert"]
                return rule, alert

        rule, alert = run(scenario())
        requests = webhook.wait_for(3)
        assert len(requests) == 3
        for path, body, content_type in requests:
            assert path == "/hook?secret=abc" and content_type == "application/json"
            assert json.loads(body) == alert
        deliveries = deliveries_settled(hub, rule["id"])
        assert len(deliveries) == 1
        delivery = deliveries[0]
        assert delivery["state"] == "delivered" and delivery["alertId"] == rule["id"] and delivery["price"] == alert["price"]
        assert delivery["target"] == {"type": "webhook", "url": webhook.url + "/hook?…"}
        assert [(a["attempt"], a["outcome"], a["status"]) for a in delivery["attempts"]] == \
            [(1, "failed", 500), (2, "failed", 500), (3, "delivered", 200)]
        assert all(a["detail"] for a in delivery["attempts"])
        assert hub.get(f"/api/alerts/{rule['id']}").json()["lastFiredAt"] == alert["time"]


def test_an_alert_never_fires_on_a_stale_quote():
    with ready_hub() as hub:
        async def scenario():
            async with hub.connect() as ws:
                await ws.send(json.dumps({"op": "subscribe", "channels": ["alerts"], "symbols": ["AAPL"]}))
                await expect(ws, lambda m: m.get("type") == "quote" and m["symbol"] == "AAPL" and not m["stale"], 10, "a fresh AAPL quote")
                assert (await asyncio.to_thread(hub.post, "/api/ibkr/disconnect")).status == 200
                await expect(ws, lambda m: m.get("type") == "quote" and m["symbol"] == "AAPL" and m["stale"], 10, "AAPL marked stale")
                # The condition holds on any price AAPL has; the hub's quote is stale, so nothing fires.
                rule = await asyncio.to_thread(create, hub, symbol="AAPL", condition="above", level=1, cooldownSeconds=0)
                assert rule["armed"] is True and rule["lastFiredAt"] is None
                quiet = await collect(ws, 1.5)
                assert not [m for m in quiet if m.get("type") == "alert"], quiet
                assert (await asyncio.to_thread(hub.post, "/api/ibkr/connect")).status == 200
                seen = []
                alert = await expect(ws, is_alert(rule["id"]), 15, "the alert once AAPL is live again", seen)
                fresh = [m for m in seen if m.get("type") == "quote" and m["symbol"] == "AAPL"]
                assert fresh and not fresh[-1]["stale"], "the alert came before a live AAPL quote"
                assert alert["price"] > 1
        run(scenario())


def test_a_restart_keeps_the_rules_and_does_not_fire_again_inside_the_cooldown(tmp_path):
    database = str(tmp_path / "alerts.sqlite")
    with ready_hub("--db", database) as hub:
        async def first():
            async with hub.connect() as ws:
                await ws.send(json.dumps({"op": "subscribe", "channels": ["alerts"]}))
                rule = await asyncio.to_thread(create, hub, symbol="AAPL", condition="above", level=1, cooldownSeconds=3600)
                quiet = await asyncio.to_thread(create, hub, symbol="MSFT", condition="below", level=1,
                                                expiresAt=int(time.time() * 1000) + 86_400_000)
                alert = await expect(ws, is_alert(rule["id"]), 15, "the AAPL alert")
                return rule, quiet, alert
        rule, quiet, alert = run(first())
        # The firing's memory is written right after it is published.
        deadline = time.monotonic() + 5
        while hub.get(f"/api/alerts/{rule['id']}").json()["lastFiredAt"] is None:
            assert time.monotonic() < deadline
            time.sleep(0.05)

    with ready_hub("--db", database) as hub:
        listed = {r["id"]: r for r in hub.get("/api/alerts").json()["alerts"]}
        assert set(listed) == {rule["id"], quiet["id"]}
        assert listed[rule["id"]]["lastFiredAt"] == alert["time"] and listed[rule["id"]]["armed"] is False
        assert listed[quiet["id"]]["expiresAt"] == quiet["expiresAt"]

        async def second():
            async with hub.connect() as ws:
                await ws.send(json.dumps({"op": "subscribe", "channels": ["alerts"], "symbols": ["AAPL"]}))
                seen = await collect(ws, 2.0)
                live = [m for m in seen if m.get("type") == "quote" and m["symbol"] == "AAPL" and not m["stale"]]
                assert live, "no live AAPL quote to judge the rule on"
                assert not [m for m in seen if m.get("type") == "alert"], seen
        run(second())


def test_telegram_gets_the_alert_from_a_fake_bot_api_and_the_token_is_shown_nowhere():
    answer = json.dumps({"ok": True, "result": {"message_id": 1}}).encode()
    with receiving([200], answer) as bot:
        hub = Hub(env={"TELEGRAM_BOT_TOKEN": BOT_TOKEN, "TELEGRAM_BASE_URL": bot.url})
        try:
            hub.wait_for_ibkr("ready")
            rule = create(hub, symbol="AAPL", condition="above", level=1, targets=[{"type": "telegram", "chatId": -1001234}])
            assert rule["targets"] == [{"type": "telegram", "chatId": "-1001234"}]
            path, body, content_type = bot.wait_for(1)[0]
            assert path == f"/bot{BOT_TOKEN}/sendMessage" and content_type == "application/json"
            message = json.loads(body)
            assert message["chat_id"] == "-1001234" and message["text"].startswith("AAPL is above 1 at ")
            deliveries = deliveries_settled(hub, rule["id"])
            assert deliveries[0]["state"] == "delivered" and deliveries[0]["target"] == {"type": "telegram", "chatId": "-1001234"}
            for path in ("/api/alerts", f"/api/alerts/{rule['id']}", "/api/alerts/deliveries", "/api/health"):
                assert BOT_TOKEN.split(":")[1] not in hub.get(path).text, path
        finally:
            stdout, stderr = hub.output()
        assert BOT_TOKEN.split(":")[1] not in stdout + stderr


def test_bad_rules_are_refused_with_the_field_at_fault(push_hub):
    hub = push_hub
    for body, status, code in [
        ({"symbol": "AAPL", "condition": "sideways", "level": 1}, 400, "unknown_condition"),
        ({"symbol": "AAPL", "condition": "above"}, 400, "missing_field"),
        ({"symbol": "AAPL", "condition": "above", "level": 1, "targets": [{"type": "webhook", "url": "file:///etc/passwd"}]}, 400, "invalid_target"),
        ({"symbol": "AAPL", "condition": "above", "level": 1, "targets": [{"type": "telegram", "chatId": "1"}]}, 422, "telegram_not_configured"),
    ]:
        response = hub.request("POST", "/api/alerts", headers=JSON, body=json.dumps(body))
        assert response.status == status and response.json()["error"]["code"] == code, (body, response)
    assert hub.get("/api/alerts").json() == {"alerts": []}
    assert hub.get("/api/alerts/nope").status == 404
    assert hub.request("DELETE", "/api/alerts/nope").status == 404
