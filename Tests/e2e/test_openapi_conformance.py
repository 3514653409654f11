"""docs/openapi.yaml against the hub it describes: every GET path of the spec is called on a demo hub (its simulator's
portfolio, plus a position added by hand), with real values for its parameters, and each answer is checked against
the schema the spec gives for its status, strictly: an object may hold only the properties the spec names, so a
field the hub sends and the spec does not document fails as surely as a missing one."""
import copy
import json
import pathlib
import time
import urllib.parse

import pytest
import yaml
from openapi_schema_validator import OAS30Validator

from tickhub_e2e import Hub, ready_hub

SPEC = yaml.safe_load((pathlib.Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml").read_text())
OPTION = "SPY 271217C00600000"


def resolve(node):
    """The schema with every `$ref` replaced by what it names (the spec has no cycles)."""
    if isinstance(node, dict):
        if "$ref" in node:
            target = SPEC
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            return resolve(target)
        return {key: resolve(value) for key, value in node.items()}
    if isinstance(node, list):
        return [resolve(value) for value in node]
    return node


def strict(schema):
    """Every object schema that lists its properties and says nothing of others admits no others."""
    schema = copy.deepcopy(schema)

    def walk(node):
        if isinstance(node, dict):
            if "properties" in node and "additionalProperties" not in node:
                node["additionalProperties"] = False
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return schema


def schema_for(path, status, content_type="application/json"):
    responses = operations()[path]["get"]["responses"]
    response = resolve(responses.get(str(status)) or responses.get("default") or {})
    assert response, f"GET {path} answered {status}, which the spec does not list ({sorted(responses)})"
    content = response.get("content", {})
    assert content_type in content, f"GET {path} {status}: the spec gives {sorted(content)}, the hub {content_type}"
    return content[content_type].get("schema", {})


def validate(path, status, body):
    errors = sorted(OAS30Validator(strict(schema_for(path, status))).iter_errors(body), key=lambda e: list(e.path))
    assert not errors, f"GET {path}: " + "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


@pytest.fixture(scope="module")
def hub():
    with ready_hub() as hub:
        hub.wait_for_positions(5)
        created = hub.request("POST", "/api/positions", headers={"Content-Type": "application/json"}, body=json.dumps(
            {"broker": "tastytrade", "account": "5WT1", "symbol": "IBM", "quantity": 10, "avgCost": 180.25}))
        assert created.status == 201, created
        hub.manual_id = created.json()["id"]
        # An alert that fires at once, its webhook a closed port: a rule and a delivery with failed attempts to list.
        alert = hub.request("POST", "/api/alerts", headers={"Content-Type": "application/json"}, body=json.dumps(
            {"symbol": "AAPL", "condition": "above", "level": 1, "targets": [{"type": "webhook", "url": "http://127.0.0.1:9/hook"}]}))
        assert alert.status == 201, alert
        hub.alert_id = alert.json()["id"]
        # Every position valued and the option's greeks computed, so that no field is null for want of waiting.
        deadline = time.monotonic() + 15
        while True:
            pnl = hub.get("/api/portfolio/pnl").json()
            if len(pnl["positions"]) == 6 and all(p["marketPrice"] is not None for p in pnl["positions"]) and \
                    any(p.get("delta") is not None for p in pnl["positions"]):
                break
            assert time.monotonic() < deadline, f"positions not all valued: {pnl['positions']}"
            time.sleep(0.1)
        yield hub


def values_for(hub):
    """Real values for each path parameter: every one is called with each."""
    return {
        "symbol": ["AAPL", "EUR.USD", "BTC", OPTION],
        "name": ["ibkr", "tastytrade"],
        "id": [str(hub.manual_id), str(hub.get("/api/positions").json()["positions"][0]["id"])],
        "alertId": [hub.alert_id],
    }


QUERIES = {
    "/api/market-data/quotes": {"symbols": f"AAPL,EUR.USD,BTC,{OPTION},NOPE1"},
    "/api/market-data/bars/{symbol}": {"interval": "5m", "range": "2d"},
}


def operations():
    """Every path of the spec with its operations, a path that is an alias of another (`$ref`) resolved."""
    return {path: resolve(item) for path, item in SPEC["paths"].items()}


def targets(hub, values=None):
    """(spec path, URL) for every GET in the spec, each path parameter filled in with each of its values."""
    values = values or values_for(hub)
    for path, item in operations().items():
        if "get" not in item:
            continue
        names = [p["name"] for p in item["get"].get("parameters", []) if p["in"] == "path"]
        missing = [n for n in names if n not in values]
        assert not missing, f"GET {path}: no value for the path parameter(s) {missing}: add them to values_for"
        urls = [path]
        for name in names:
            urls = [u.replace("{" + name + "}", urllib.parse.quote(v, safe="")) for u in urls for v in values[name]]
        query = QUERIES.get(path)
        for url in urls:
            yield path, url + ("?" + urllib.parse.urlencode(query) if query else "")


def test_every_get_in_the_spec_answers_what_the_spec_says(hub):
    called = set()
    for path, url in targets(hub):
        response = hub.get(url, timeout=15)
        content_type = response.headers.get("content-type", "").split(";")[0].strip()
        called.add(path)
        if content_type != "application/json":
            # The dashboard, the metrics and this document: the type is the spec's, and the body is there.
            schema_for(path, response.status, content_type)
            assert response.status == 200 and response.body, (url, response)
            continue
        assert response.status == 200, (url, response)
        validate(path, response.status, response.json())
    assert called == {p for p, item in operations().items() if "get" in item}


def test_the_fields_that_prove_the_new_vocabulary_are_there(hub):
    """Not only valid: the answers carry what the spec now promises (a test that the schemas are not too loose)."""
    option = hub.get("/api/market-data/quote/" + urllib.parse.quote(OPTION)).json()
    assert isinstance(option["marketOpen"], bool) and isinstance(option["delta"], float)
    assert "delta" not in hub.get("/api/market-data/quote/AAPL").json()
    positions = hub.get("/api/portfolio/pnl").json()["positions"]
    valued_option = next(p for p in positions if p["secType"] == "OPT")
    assert valued_option["deltaExposure"] == pytest.approx(valued_option["delta"] * valued_option["quantity"] * 100, abs=0.01)
    assert all(isinstance(p["quoteTimestamp"], int) and "mark" not in p for p in positions)
    assert all(isinstance(p["marketOpen"], bool) for p in positions)
    # Crypto trades always: the session is open whatever the day.
    assert next(p for p in positions if p["secType"] == "CRYPTO")["marketOpen"] is True
    summary = hub.get("/api/portfolio/summary").json()
    assert isinstance(summary["netLiquidationUpdatedAt"], int) and isinstance(summary["cashUpdatedAt"], int)
    assert abs(summary["netLiquidationUpdatedAt"] - time.time() * 1000) < 120_000
    health = hub.get("/api/health").json()
    assert health["publishers"] == 0


def test_an_undocumented_field_fails_the_check(hub):
    """The strict check bites: the summary with one field more than the spec names is refused."""
    summary = hub.get("/api/portfolio/summary").json()
    validate("/api/portfolio/summary", 200, summary)
    with pytest.raises(AssertionError, match="Additional properties"):
        validate("/api/portfolio/summary", 200, {**summary, "mark": 1})
    position = hub.get("/api/portfolio/pnl").json()
    position["positions"][0]["mark"] = position["positions"][0]["marketPrice"]
    with pytest.raises(AssertionError, match="Additional properties"):
        validate("/api/portfolio/pnl", 200, position)


def test_error_answers_match_the_spec_too(hub):
    for url, path, status, code in [
        ("/api/brokers/nobody/positions", "/api/brokers/{name}/positions", 404, "unknown_broker"),
        ("/api/positions/999999", "/api/positions/{id}", 404, "not_found"),
        ("/api/market-data/quote/a%20b%20c", "/api/market-data/quote/{symbol}", 400, "invalid_symbol"),
    ]:
        response = hub.get(url)
        assert response.status == status, (url, response)
        validate(path, status, response.json())
        assert response.json()["error"]["code"] == code
    codes = resolve(SPEC["components"]["schemas"]["Error"])["properties"]["error"]["properties"]["code"]["enum"]
    assert {"unknown_broker", "unknown_field"} <= set(codes)


def test_every_get_the_spec_guards_answers_401_as_documented_without_the_token():
    """A hub with a token: each GET path but the dashboard's answers 401 without it, and the spec says so."""
    hub = Hub(token="conformance-token")
    try:
        checked = 0
        values = {"symbol": ["AAPL"], "name": ["ibkr"], "id": ["1"], "alertId": ["1"]}
        for path, url in targets(hub, values):
            if operations()[path]["get"].get("security") == []:
                continue
            response = hub.get(url)
            assert response.status == 401, (url, response)
            validate(path, 401, response.json())
            checked += 1
        assert checked >= 15
    finally:
        hub.stop()
