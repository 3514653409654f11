"""A hub of two service threads (`server.threads: 2`): both listen on one port and the kernel gives each new
connection to one of them. Whatever shard a client or a request lands on, it sees the whole hub: a quote pushed on
/publish reaches every subscriber of every shard with one `seq`, HTTP lookups are answered by either, /api/health
and /metrics count both shards, and a symbol is released upstream only when no shard streams it any more."""
import asyncio
import json
import time

import pytest

from tickhub_e2e import Hub, expect

TOKEN = "publish-secret-for-shards"
CLIENTS = 24


def run(coroutine, timeout=60):
    return asyncio.run(asyncio.wait_for(coroutine, timeout))


def compact(value):
    return json.dumps(value, separators=(",", ":"))


@pytest.fixture
def two_shards(tmp_path):
    config = tmp_path / "hub.json"
    config.write_text(json.dumps({"server": {"threads": 2, "releaseIdleSymbolsSeconds": 1}}))
    hub = Hub("--config", str(config), providers="push", env={"TICKHUB_PUBLISH_TOKEN": TOKEN})
    assert hub.fields["threads"] == "2"
    yield hub
    hub.stop()


def wait_for_health(hub, predicate, what, timeout=10):
    deadline = time.monotonic() + timeout
    while True:
        health = hub.get("/api/health").json()
        if predicate(health):
            return health
        assert time.monotonic() < deadline, f"/api/health never showed {what}: {health}"
        time.sleep(0.05)


def metric_lines(hub):
    return hub.get("/metrics").text.splitlines()


def test_every_client_of_both_shards_gets_a_published_quote_and_either_shard_answers(two_shards):
    hub = two_shards

    async def scenario():
        clients = [await hub.connect() for _ in range(CLIENTS)]
        try:
            for ws in clients:
                await ws.send(compact({"op": "subscribe", "symbols": ["ACME"]}))
            health = await asyncio.to_thread(wait_for_health, hub, lambda h: h["subscriptions"] == CLIENTS, "every subscription")
            assert health["clients"] == CLIENTS and len(health["shards"]) == 2, health
            per_shard = [shard["clients"] for shard in health["shards"]]
            assert sum(per_shard) == CLIENTS and all(count > 0 for count in per_shard), f"one shard got every client: {per_shard}"
            assert "ACME" in health["sources"], health
            lines = await asyncio.to_thread(metric_lines, hub)
            assert f"tickhub_clients {CLIENTS}" in lines
            assert [line for line in lines if line.startswith("tickhub_shard_clients{")] == [
                f'tickhub_shard_clients{{shard="{index}"}} {count}' for index, count in enumerate(per_shard)]

            # The publisher lands on one shard; its quote comes back through the push provider to both.
            async with hub.connect("/publish", additional_headers={"Authorization": f"Bearer {TOKEN}"}) as publisher:
                await publisher.send(compact({"symbol": "ACME", "bid": 10.5, "ask": 10.52, "last": 10.51}))
                quotes = [await expect(ws, lambda m: m.get("type") == "quote" and m["symbol"] == "ACME" and m["bid"] == 10.5,
                                       10, "the published ACME quote") for ws in clients]
            assert {q["source"] for q in quotes} == {"push"}
            assert len({q["seq"] for q in quotes}) == 1, "the shards numbered one update differently"
            # Whichever shard a late subscriber lands on, its snapshot is no older than what the others were sent.
            late = [await hub.connect() for _ in range(8)]
            clients.extend(late)
            for ws in late:
                await ws.send(compact({"op": "subscribe", "symbols": ["ACME"]}))
                snapshot = await expect(ws, lambda m: m.get("type") == "quote" and m["symbol"] == "ACME", 10, "an ACME snapshot")
                assert snapshot.get("snapshot") is True and snapshot["seq"] >= quotes[0]["seq"], snapshot

            # HTTP on fresh connections, which the kernel spreads over both shards: each one knows the quote.
            for _ in range(8):
                response = await asyncio.to_thread(hub.get, "/api/market-data/quote/ACME")
                assert response.status == 200 and response.json()["bid"] == 10.5, response
            metrics = await asyncio.to_thread(metric_lines, hub)
            assert "tickhub_published_quotes_total 1" in metrics
            # Every client on both shards was written the update (the snapshot-less subscribers all count).
            delivered = next(float(line.split()[1]) for line in metrics if line.startswith("tickhub_updates_out_total "))
            assert delivered >= CLIENTS
        finally:
            for ws in clients:
                await ws.close()

    run(scenario())
    wait_for_health(hub, lambda h: h["clients"] == 0 and all(s["clients"] == 0 for s in h["shards"]), "every client gone")


def test_a_symbol_is_released_upstream_only_when_no_shard_streams_it(two_shards):
    hub = two_shards
    auth = {"Authorization": f"Bearer {TOKEN}"}

    async def scenario():
        clients = [await hub.connect() for _ in range(CLIENTS)]
        for ws in clients:
            await ws.send(compact({"op": "subscribe", "symbols": ["ACME"]}))
        health = await asyncio.to_thread(wait_for_health, hub, lambda h: h["subscriptions"] == CLIENTS, "every subscription")
        assert all(shard["clients"] > 0 for shard in health["shards"]), health["shards"]

        # Close every client but one: the shards without clients let ACME go, the survivor's keeps it followed.
        survivor, others = clients[0], clients[1:]
        for ws in others:
            await ws.close()
        await asyncio.to_thread(wait_for_health, hub, lambda h: h["clients"] == 1, "one client left")
        await asyncio.sleep(2.5)  # past releaseIdleSymbolsSeconds, with housekeeping's second in between
        health = (await asyncio.to_thread(hub.get, "/api/health")).json()
        assert "ACME" in health["sources"], f"released while a shard streams it: {health}"
        async with hub.connect("/publish", additional_headers=auth) as publisher:
            await publisher.send(compact({"symbol": "ACME", "bid": 11.0, "ask": 11.02}))
            await expect(survivor, lambda m: m.get("type") == "quote" and m.get("bid") == 11.0, 10, "a quote after the others left")
        await survivor.close()

    run(scenario())
    # The last one gone: released upstream, and no shard serves it.
    wait_for_health(hub, lambda h: "ACME" not in h["sources"], "ACME released", timeout=10)
