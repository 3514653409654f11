"""Push ingestion end to end: publishers on /publish and POST /api/market-data/publish feed a real hub, and
/stream clients see the quotes with `source: "push"`. Bad input is refused with a clear error and counted."""
import asyncio
import json
import time

import pytest
import websockets

from tickhub_e2e import Hub, RawWebSocket, collect, expect, now_us, wait_until

TOKEN = "publish-secret-for-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def run(coroutine, timeout=30):
    return asyncio.run(asyncio.wait_for(coroutine, timeout))


@pytest.fixture
def push_hub():
    """A hub whose only source is push."""
    hub = Hub(providers="push", env={"TICKHUB_PUBLISH_TOKEN": TOKEN})
    yield hub
    hub.stop()


def compact(value):
    return json.dumps(value, separators=(",", ":"))


def is_quote(symbol, **fields):
    return lambda m: m.get("type") == "quote" and m["symbol"] == symbol and all(m.get(k) == v for k, v in fields.items())


def metric(hub, name):
    for line in hub.get("/metrics").text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"no metric {name}")


def test_published_quotes_reach_subscribers_with_their_source_time(push_hub):
    async def scenario():
        async with push_hub.connect() as client, push_hub.connect("/publish", additional_headers=AUTH) as publisher:
            await client.send(compact({"op": "subscribe", "symbols": ["ACME", "EUR.USD"]}))
            ts = now_us()
            await publisher.send(compact([
                {"symbol": "ACME", "bid": 10.5, "ask": 10.52, "bidSize": 300, "askSize": 500, "ts": ts},
                {"symbol": "eur.usd", "bid": 1.0841, "ask": 1.0843},
            ]))
            # One frame may carry both, in either order.
            seen = []
            await expect(client, lambda m: {"ACME", "EUR.USD"} <= {q.get("symbol") for q in seen if q["type"] == "quote"},
                         seen=seen, what="both published quotes")
            acme = next(q for q in seen if q["type"] == "quote" and q["symbol"] == "ACME")
            assert acme["source"] == "push" and acme["bid"] == 10.5 and acme["ask"] == 10.52 and acme["bidSize"] == 300
            assert acme["ts"] == ts and acme["timestamp"] == ts // 1000 and acme["stale"] is False
            assert acme["t"] >= ts
            fx = next(q for q in seen if q["type"] == "quote" and q["symbol"] == "EUR.USD")
            assert fx["bid"] == 1.0841 and "ts" not in fx

            # An update names only what changed; null clears a field; ts in milliseconds is accepted.
            await publisher.send(compact({"symbol": "ACME", "last": 10.51, "lastSize": 100, "ts": ts // 1000 + 1}))
            update = await expect(client, is_quote("ACME", last=10.51), what="the partial update")
            assert update["bid"] == 10.5 and update["ask"] == 10.52 and update["seq"] == acme["seq"] + 1
            assert update["ts"] == (ts // 1000 + 1) * 1000
            await publisher.send(compact({"symbol": "ACME", "bid": None}))
            cleared = await expect(client, is_quote("ACME", bid=None), what="bid cleared")
            assert cleared["ask"] == 10.52

        def push_health():
            return next(p for p in push_hub.get("/api/health").json()["providers"] if p["name"] == "push")

        # The publisher's close reaches the provider's health through the manager and every shard: a few hops, so
        # the state is awaited, not read once.
        assert await wait_until(lambda: push_health()["state"] == "idle", timeout=5), push_health()
        assert push_health()["available"] is False

    run(scenario())
    assert metric(push_hub, "tickhub_published_quotes_total") == 4
    assert metric(push_hub, "tickhub_published_quotes_rejected_total") == 0


def test_bad_publish_input_is_refused_counted_and_the_rest_goes_through(push_hub):
    async def scenario():
        async with push_hub.connect() as client, push_hub.connect("/publish", additional_headers=AUTH) as publisher:
            await client.send(compact({"op": "subscribe", "symbols": ["ACME"]}))
            bad = [
                ("not json", "bad_json", "send a quote object"),
                ('{"symbol":"ACME","bid":1', "bad_json", "ends early"),
                ("[1,2,3]", "bad_quote", "each item must be a quote object"),
                ('{"symbol":"ACME","bid":"10.5"}', "bad_quote", "bid must be a number"),
                ('{"symbol":"ACME","bidSize":-5}', "bad_quote", "must not be negative"),
                ('{"symbol":"ACME","bidd":10.5}', "bad_quote", 'unknown field "bidd"'),
                ('{"bid":10.5}', "bad_quote", "needs a \"symbol\""),
                ('{"symbol":"AC ME X","bid":10.5}', "bad_quote", "not a symbol"),
                ('{"symbol":"ACME"}', "bad_quote", "at least one of"),
                (compact({"symbol": "ACME", "bid": 1, "ts": now_us() + 3_600_000_000}), "bad_quote", "ahead"),
                ('{"symbol":"ACME","bid":1e999}', "bad_json", "out of range"),
                ('{"symbol":"ACME","bid":01}', "bad_json", "leading zero"),
                ("\u00ff" * 10, "bad_json", "send a quote object"),
            ]
            for text, code, words in bad:
                await publisher.send(text)
                error = await expect(publisher, lambda m: m.get("type") == "error", what=f"an error for {text!r}")
                assert error["code"] == code and words in error["message"], (text, error)

            # Good items in a message with bad ones still go through; one error tells how many were dropped.
            await publisher.send(compact([{"symbol": "ACME", "bid": 10.1}, {"symbol": "ACME", "ask": "x"},
                                          {"symbol": "ACME", "ask": 10.3}, {"nope": 1}]))
            error = await expect(publisher, lambda m: m.get("type") == "error", what="the summary error")
            assert error["index"] == 1 and error["rejected"] == 2 and "and 1 more" in error["message"]
            quote = await expect(client, is_quote("ACME", ask=10.3), what="the good items")
            assert quote["bid"] == 10.1 and quote["source"] == "push"

            # Still connected and still publishing after all that.
            await publisher.send(compact({"symbol": "ACME", "last": 10.2}))
            await expect(client, is_quote("ACME", last=10.2), what="a quote after the bad input")

    run(scenario())
    assert metric(push_hub, "tickhub_bad_publish_messages_total") == 5
    # [1,2,3] is three rejected items; six more single ones; two in the mixed message.
    assert metric(push_hub, "tickhub_published_quotes_rejected_total") == 3 + 7 + 2
    assert metric(push_hub, "tickhub_published_quotes_total") == 3
    assert push_hub.proc.poll() is None


def test_oversized_publish_message_closes_with_1009_and_the_hub_carries_on(push_hub):
    async def scenario():
        async with push_hub.connect("/publish", additional_headers=AUTH, max_size=None) as publisher:
            huge = compact([{"symbol": "ACME", "bid": 1.5}] * 60_000)
            assert len(huge) > 1 << 20
            await publisher.send(huge)
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(publisher.recv(), 5)
            assert closed.value.rcvd.code == 1009
        async with push_hub.connect("/publish", additional_headers=AUTH) as publisher:
            await publisher.send(compact({"symbol": "ACME", "bid": 1.5}))
        assert push_hub.get("/api/health").status == 200

    run(scenario())
    assert metric(push_hub, "tickhub_bad_publish_messages_total") == 1


def test_publishing_needs_the_publish_token():
    disabled = Hub(providers="ibkr,push", env={"TICKHUB_PUBLISH_TOKEN": None})
    try:
        ws = RawWebSocket(disabled.port, "/publish")
        assert not ws.upgraded and " 403" in ws.response_head.splitlines()[0]
        ws.close()
        response = disabled.post("/api/market-data/publish", body=b'{"symbol":"ACME","bid":1}', headers=AUTH)
        assert response.status == 403 and response.json()["error"]["code"] == "publishing_disabled"
        push = next(p for p in disabled.get("/api/health").json()["providers"] if p["name"] == "push")
        assert push["state"] == "disabled"
    finally:
        disabled.stop()

    # A reader's token is not a publisher's, and the publish token is never echoed.
    hub = Hub(providers="push", token="reader-token", env={"TICKHUB_PUBLISH_TOKEN": TOKEN})
    try:
        for headers in ([], [("Authorization", "Bearer wrong")], [("Authorization", "Bearer reader-token")]):
            ws = RawWebSocket(hub.port, "/publish", headers=headers)
            assert not ws.upgraded and " 401" in ws.response_head.splitlines()[0], ws.response_head
            ws.close()
        assert RawWebSocket(hub.port, f"/publish?token={TOKEN}").upgraded
        response = hub.post("/api/market-data/publish", body=b'{"symbol":"ACME","bid":1}',
                            headers={"Authorization": "Bearer reader-token"})
        assert response.status == 401 and TOKEN not in response.text
    finally:
        _, stderr = hub.output()
    assert TOKEN not in stderr


def test_http_publish_is_served_then_goes_stale(tmp_path):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"push": {"staleSeconds": 1}}))
    hub = Hub("--config", str(config), providers="push", env={"TICKHUB_PUBLISH_TOKEN": TOKEN})
    try:
        body = compact([{"symbol": "ACME", "bid": 10.5, "ask": 10.6}, {"symbol": "ACME", "last": "x"}]).encode()
        response = hub.post("/api/market-data/publish", body=body, headers={**AUTH, "Content-Type": "application/json"})
        assert response.status == 200, response
        assert response.json() == {"accepted": 1, "rejected": [
            {"index": 1, "code": "bad_quote", "message": "last must be a number or null"}]}
        bad = hub.post("/api/market-data/publish", body=b"{", headers=AUTH)
        assert bad.status == 400 and bad.json()["error"]["code"] == "bad_json"
        allbad = hub.post("/api/market-data/publish", body=b'[{"symbol":"ACME"}]', headers=AUTH)
        assert allbad.status == 400 and allbad.json()["accepted"] == 0

        # The quote endpoint subscribes on demand; the push provider still has the posted quote.
        quote = hub.get("/api/market-data/quote/ACME").json()
        assert quote["source"] == "push" and quote["bid"] == 10.5 and quote["stale"] is False

        async def watch():
            async with hub.connect() as client:
                await client.send(compact({"op": "subscribe", "symbols": ["ACME"]}))
                await expect(client, is_quote("ACME", stale=True), timeout=5, what="the posted quote going stale")

        run(watch())
    finally:
        hub.stop()


def test_a_publisher_that_disconnects_leaves_its_quotes_stale(push_hub):
    async def scenario():
        async with push_hub.connect() as client:
            await client.send(compact({"op": "subscribe", "symbols": ["ACME"]}))
            async with push_hub.connect("/publish", additional_headers=AUTH) as publisher:
                await publisher.send(compact({"symbol": "ACME", "bid": 10.5, "ask": 10.6}))
                await expect(client, is_quote("ACME", stale=False), what="the live quote")
            started = time.monotonic()
            stale = await expect(client, is_quote("ACME", stale=True), what="the stale quote")
            assert stale["bid"] == 10.5 and time.monotonic() - started < 2

    run(scenario())


def test_push_priority_in_the_provider_order(tmp_path):
    """push before ibkr: a symbol IBKR serves moves to the publisher once it publishes steadily, and back to
    IBKR the moment the publisher goes."""
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"providers": {"failbackSeconds": 0.5}}))
    hub = Hub("--config", str(config), providers="push,ibkr", env={"TICKHUB_PUBLISH_TOKEN": TOKEN})
    try:
        hub.wait_for_ibkr("ready")

        async def scenario():
            async with hub.connect() as client:
                await client.send(compact({"op": "subscribe", "symbols": ["AAPL"]}))
                await expect(client, is_quote("AAPL", source="ibkr", stale=False), what="IBKR's quote first")
                async with hub.connect("/publish", additional_headers=AUTH) as publisher:
                    async def feed():
                        for i in range(200):
                            await publisher.send(compact({"symbol": "AAPL", "bid": 500 + i / 100, "ask": 501}))
                            await asyncio.sleep(0.02)
                    feeding = asyncio.create_task(feed())
                    change = await expect(client, lambda m: m.get("type") == "status" and m.get("source") == "push",
                                          timeout=4, what="the switch to push")
                    assert change["previousSource"] == "ibkr"
                    await expect(client, is_quote("AAPL", source="push"), what="pushed AAPL")
                    feeding.cancel()
                back = await expect(client, lambda m: m.get("type") == "status" and m.get("source") == "ibkr",
                                    timeout=3, what="the failover back to IBKR")
                assert back["previousSource"] == "push"
                await expect(client, is_quote("AAPL", source="ibkr", stale=False), what="IBKR's quote again")

        run(scenario())
    finally:
        hub.stop()
