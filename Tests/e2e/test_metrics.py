"""`/metrics` as Prometheus scrapes it, from a real hub: the demo's simulator behind IBKR, Yahoo and Alpha Vantage
configured (and unreachable, or without a key), publishers enabled. Every scrape is read twice: by a strict parser
of our own (HELP and TYPE before the samples, names and labels by the format's rules, the naming conventions) and by
prometheus_client's, which Prometheus' own Python client uses. Reconnects and failovers are counted against a
`tickhub-sim` the test kills, with the fake Yahoo of fake_providers.py to fail over to."""
import asyncio
import json
import os
import pathlib
import re
import time

from prometheus_client.parser import text_string_to_metric_families

from tickhub_e2e import Hub, expect
from test_failover import Stream, failover_setup, run

ROOT = pathlib.Path(__file__).resolve().parents[2]
METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
SAMPLE = re.compile(r'(?P<name>[^{ ]+)(?:\{(?P<labels>.*)\})? (?P<value>\S+)')
LABEL = re.compile(r'(?P<name>[^=,]+)="(?P<value>(?:[^"\\]|\\.)*)",?')
PROVIDERS = {"ibkr", "yahoo", "alphavantage", "push"}
STATES = {"ready", "connecting", "reconnecting", "degraded", "disconnected", "idle", "disabled", "rate-limited", "error",
          "unknown"}


class Scrape:
    """One `/metrics` answer, parsed strictly: families by name, each with its help, type and samples."""

    def __init__(self, text):
        assert text.endswith("\n")
        self.families = {}
        for line in text.splitlines():
            if line.startswith("# HELP ") or line.startswith("# TYPE "):
                _, kind, name, *rest = line.split(" ", 3)
                family = self.families.setdefault(name, {"help": None, "type": None, "samples": []})
                key = kind.lower()
                assert family[key] is None and not family["samples"], f"{kind} of {name} repeated or after its samples"
                family[key] = rest[0] if rest else ""
                continue
            match = SAMPLE.fullmatch(line)
            assert match, f"not a sample: {line!r}"
            labels = {m["name"]: m["value"] for m in LABEL.finditer(match["labels"] or "")}
            name = match["name"]
            owner = next((f for f in (name, re.sub(r"_(bucket|sum|count)$", "", name)) if f in self.families), None)
            assert owner and self.families[owner]["type"], f"{name} has no TYPE before it"
            self.families[owner]["samples"].append((name, labels, float(match["value"])))
        # The reference parser must read the same samples.
        reference = sum(len(f.samples) for f in text_string_to_metric_families(text))
        assert reference == sum(len(f["samples"]) for f in self.families.values())

    def value(self, name, **labels):
        found = [v for f in self.families.values() for n, l, v in f["samples"] if n == name and l == labels]
        assert len(found) <= 1, (name, labels)
        return found[0] if found else None

    def series(self, name):
        return [(labels, value) for family in self.families.values() for n, labels, value in family["samples"] if n == name]


def scrape(hub):
    response = hub.get("/metrics")
    assert response.status == 200, response
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return Scrape(response.text)


def check_conventions(parsed):
    for name, family in parsed.families.items():
        assert METRIC_NAME.fullmatch(name), name
        assert family["help"], f"{name} has no HELP"
        assert family["type"] in ("counter", "gauge", "histogram"), (name, family["type"])
        assert "per_second" not in name, f"{name}: a rate is rate()'s to work out"
        assert name.endswith("_total") == (family["type"] == "counter"), f"{name} is a {family['type']}"
        for _, labels, _ in family["samples"]:
            assert all(LABEL_NAME.fullmatch(label) and not label.startswith("__") for label in labels), (name, labels)


def test_a_scrape_counts_what_clients_and_requests_did():
    hub = Hub(providers="ibkr,yahoo,alphavantage", env={"TICKHUB_PUBLISH_TOKEN": "publisher-secret"})
    try:
        hub.wait_for_ibkr("ready")
        first = scrape(hub)
        check_conventions(first)

        async def client():
            async with hub.connect() as ws:
                await ws.send(json.dumps({"op": "subscribe", "symbols": ["AAPL", "MSFT"]}))
                for _ in range(5):
                    await expect(ws, lambda m: m.get("type") == "quote", 10, "quotes")
                # Requests while the client is connected, then the scrape that must count them.
                for path, status in (("/api/health", 200), ("/api/market-data/quote/AAPL", 200), ("/api/no-such", 404),
                                     (f"/api/no-such-{time.time_ns()}", 404)):
                    assert (await asyncio.to_thread(hub.get, path)).status == status, path
                assert (await asyncio.to_thread(hub.post, "/metrics")).status == 405
                return await asyncio.to_thread(scrape, hub)

        second = asyncio.run(asyncio.wait_for(client(), 30))
        check_conventions(second)

        # Counters only grow, and the ones that counted something grew by it.
        for family in first.families.values():
            if family["type"] in ("counter", "histogram"):
                for name, labels, value in family["samples"]:
                    later = second.value(name, **labels)
                    assert later is not None and later >= value, (name, labels, value, later)

        def requests(scrape_, route, status):
            return scrape_.value("tickhub_http_requests_total", route=route, status=str(status)) or 0

        assert requests(second, "health", 200) == requests(first, "health", 200) + 1
        assert requests(second, "quote", 200) >= requests(first, "quote", 200) + 1
        assert requests(second, "metrics", 200) == requests(first, "metrics", 200) + 1
        assert requests(second, "metrics", 405) == requests(first, "metrics", 405) + 1
        # Made-up paths share one label, whatever they were.
        assert requests(second, "unmatched", 404) == requests(first, "unmatched", 404) + 2
        assert not [l for l, _ in second.series("tickhub_http_requests_total") if "no-such" in json.dumps(l)]
        assert second.value("tickhub_updates_out_total") >= first.value("tickhub_updates_out_total") + 5
        assert second.value("tickhub_written_bytes_total") > first.value("tickhub_written_bytes_total")
        assert second.value("tickhub_clients") == 1 and second.value("tickhub_clients_accepted_total") >= 1
        assert second.value("tickhub_slow_clients_closed_total", code="1013") == 0

        # A state set for every configured provider: each in exactly one state.
        states = second.series("tickhub_provider_state")
        assert {labels["provider"] for labels, _ in states} == PROVIDERS
        for provider in PROVIDERS:
            mine = {labels["state"]: value for labels, value in states if labels["provider"] == provider}
            assert set(mine) == STATES and sorted(mine.values()) == [0] * (len(STATES) - 1) + [1], (provider, mine)
            assert second.value("tickhub_provider_available", provider=provider) in (0, 1)
        assert second.value("tickhub_provider_state", provider="ibkr", state="ready") == 1
        assert second.value("tickhub_provider_state", provider="alphavantage", state="disabled") == 1, "no key"
        assert second.value("tickhub_provider_available", provider="ibkr") == 1

        # What the market looks like now.
        assert second.value("tickhub_stale_symbols") == 0
        assert 0 <= second.value("tickhub_oldest_live_quote_age_seconds") < 60
        assert second.value("tickhub_ibkr_market_data_line_budget") == 100
        # Lines are as IBKR's status last said (every 2 s): the two symbols' show within a few seconds.
        deadline = time.monotonic() + 6
        while scrape(hub).value("tickhub_ibkr_market_data_lines") < 2:
            assert time.monotonic() < deadline, "IBKR's lines for AAPL and MSFT never showed"
            time.sleep(0.2)
        assert second.value("tickhub_ibkr_reconnects_total") == 0

        # The process, as /proc sees it from outside.
        with open(f"/proc/{hub.pid}/status") as f:
            rss = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmRSS:"))
        assert 0.5 * rss < second.value("process_resident_memory_bytes") < 2 * rss
        assert abs(second.value("process_start_time_seconds") - time.time()) < 120
        assert 0 < second.value("process_open_fds") <= second.value("process_max_fds")
        assert second.value("process_open_fds") >= len(os.listdir(f"/proc/{hub.pid}/fd")) - 8
        assert second.value("process_virtual_memory_bytes") >= second.value("process_resident_memory_bytes")
        assert second.value("process_cpu_seconds_total") > 0
        version = (ROOT / "VERSION").read_text().strip()
        (labels, value), = second.series("tickhub_build_info")
        assert labels["version"] == version and value == 1 and labels["commit"]
    finally:
        hub.stop()


def test_reconnects_and_failovers_are_counted(tmp_path):
    """IBKR's simulator killed under a streaming client: the hub counts its reconnects, and the symbols' move to
    Yahoo as failovers from ibkr to yahoo."""
    with failover_setup(tmp_path) as setup:
        hub = setup.hub
        setup.start_simulator()
        hub.wait_for_ibkr("ready")
        before = scrape(hub)
        assert before.value("tickhub_ibkr_reconnects_total") == 0

        async def scenario():
            async with hub.connect() as ws:
                stream = Stream(ws)
                await ws.send(json.dumps({"op": "subscribe", "symbols": ["AAPL", "MSFT"]}))
                deadline = time.monotonic() + 15
                while not any(m.get("source") == "ibkr" for _, m in stream.messages):
                    assert time.monotonic() < deadline, "no IBKR quote"
                    await asyncio.sleep(0.05)
                setup.simulators[-1].stop()

                async def until(what, predicate):
                    deadline = time.monotonic() + 20
                    while not predicate(now := await asyncio.to_thread(scrape, hub)):
                        assert time.monotonic() < deadline, f"{what} never counted"
                        await asyncio.sleep(0.2)
                    return now

                def moved(now, source, target):
                    return now.value("tickhub_failovers_total", **{"from": source, "to": target}) or 0

                down = await until("the move of AAPL and MSFT to Yahoo", lambda now: moved(now, "ibkr", "yahoo") >= 2)
                assert down.value("tickhub_ibkr_reconnects_total") == 0, "a connection refused is no reconnect"
                assert down.value("tickhub_provider_available", provider="ibkr") == 0
                assert down.value("tickhub_provider_state", provider="ibkr", state="ready") == 0
                await asyncio.to_thread(setup.start_simulator)
                return await until("IBKR's reconnect and the move back",
                                   lambda now: now.value("tickhub_ibkr_reconnects_total") == 1 and moved(now, "yahoo", "ibkr") >= 2)

        after = run(scenario(), 60)
        check_conventions(after)
        family = after.families["tickhub_failovers_total"]
        assert family["type"] == "counter" and "from" in family["help"]
        assert after.value("tickhub_provider_state", provider="ibkr", state="ready") == 1
