"""The fake Yahoo + Alpha Vantage server (fake_providers.py) on its own, so that it is known-good independently of
the hub: each route serves the recorded body byte for byte, with the recorded status and content type, and the
modes and Alpha Vantage limits behave as documented. Loopback only; a few seconds in all."""
import datetime
import http.client
import json
import pathlib
import re
import subprocess
import sys
import time

import pytest

from fake_providers import DEFAULT_FIXTURES, FakeProviders

YAHOO = DEFAULT_FIXTURES / "yahoo"
AV = DEFAULT_FIXTURES / "alphavantage"


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def fake(clock):
    server = FakeProviders(clock=clock).start()
    try:
        yield server
    finally:
        server.stop()


def request(fake, method, path, port=None):
    connection = http.client.HTTPConnection("127.0.0.1", port or fake.port, timeout=5)
    try:
        connection.request(method, path)
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type"), response.read()
    finally:
        connection.close()


def get(fake, path):
    return request(fake, "GET", path)


def recorded(path):
    return path.read_bytes()


# Yahoo


def test_v7_serves_the_recording_covering_the_symbols(fake):
    status, content_type, body = get(fake, "/v7/finance/quote?symbols=AAPL%2CMSFT")
    assert (status, content_type) == (200, "application/json;charset=utf-8")
    assert body == recorded(YAHOO / "yahoo_quote_v7_AAPL-MSFT.json")
    assert get(fake, "/v7/finance/quote?symbols=MSFT,AAPL")[2] == body
    assert get(fake, "/v7/finance/quote?symbols=MSFT")[2] == body  # the only recording with MSFT
    assert get(fake, "/v7/finance/quote?symbols=AAPL")[2] == recorded(YAHOO / "yahoo_quote_v7_AAPL.json")
    assert get(fake, "/v7/finance/quote?symbols=EURUSD%3DX&crumb=x")[2] == recorded(
        YAHOO / "yahoo_quote_v7_EURUSD=X.json")
    assert get(fake, "/v7/finance/quote?symbols=GC=F")[2] == recorded(YAHOO / "yahoo_quote_v7_GC=F_future.json")
    # A mix: the recording covering most of them; the provider treats the rest as unknown.
    assert get(fake, "/v7/finance/quote?symbols=AAPL,ZZZZ,MSFT")[2] == body
    assert get(fake, "/v7/finance/quote?symbols=ZZZZ,OCDO.L")[2] == recorded(
        YAHOO / "yahoo_quote_v7_OCDO.L_delayed15.json")
    status, _, body = get(fake, "/v7/finance/quote?symbols=ZZZZ,NOPE")
    assert status == 200 and body == recorded(YAHOO / "yahoo_quote_v7_unknown_symbol_empty.json")
    assert json.loads(get(fake, "/v7/finance/quote")[2]) == {"quoteResponse": {"result": [], "error": None}}


def test_chart_serves_the_symbols_recording_or_the_404(fake):
    for symbol, path, name in [("AAPL", "AAPL", "yahoo_chart_AAPL.json"),
                               ("EURUSD=X", "EURUSD%3DX", "yahoo_chart_EURUSD=X.json"),
                               ("GC=F", "GC=F", "yahoo_chart_GC=F.json"),
                               ("BTC-USD", "BTC-USD", "yahoo_chart_BTC-USD.json"),
                               ("LUCYW", "LUCYW", "yahoo_chart_LUCYW_null_currency.json")]:
        status, content_type, body = get(fake, f"/v8/finance/chart/{path}?range=1d&interval=1m")
        assert (status, content_type) == (200, "application/json;charset=utf-8"), symbol
        assert body == recorded(YAHOO / name), symbol
    status, content_type, body = get(fake, "/v8/finance/chart/%5EGSPC?range=1d&interval=1m")
    assert (status, content_type) == (404, "application/json;charset=utf-8")
    assert body == recorded(YAHOO / "reconstructed" / "yahoo_chart_notfound_404.json")


def test_getcrumb_is_plain_text(fake):
    status, content_type, body = get(fake, "/v1/test/getcrumb")
    assert (status, content_type, body) == (200, "text/plain;charset=utf-8", b"haT3oykhHqZ")


def test_yahoo_modes(fake):
    too_many = recorded(YAHOO / "reconstructed" / "yahoo_429_body.txt")
    assert request(fake, "POST", "/__control/yahoo?mode=rate-limited")[0] == 200
    for path in ("/v7/finance/quote?symbols=AAPL", "/v8/finance/chart/AAPL", "/v1/test/getcrumb"):
        assert get(fake, path) == (429, "text/plain;charset=utf-8", too_many), path

    request(fake, "POST", "/__control/yahoo?mode=down")
    for path in ("/v7/finance/quote?symbols=AAPL", "/v8/finance/chart/AAPL", "/v1/test/getcrumb"):
        status, content_type, body = get(fake, path)
        assert status == 503 and content_type.startswith("text/html") and b"Will be right back" in body, path

    request(fake, "POST", "/__control/yahoo?mode=crumb")
    invalid = recorded(YAHOO / "reconstructed" / "yahoo_quote_v7_invalid_crumb_401.json")
    assert get(fake, "/v7/finance/quote?symbols=AAPL") == (401, "application/json", invalid)
    assert get(fake, "/v7/finance/quote?symbols=AAPL&crumb=wrong")[0] == 401
    crumb = get(fake, "/v1/test/getcrumb")[2].decode()
    assert get(fake, f"/v7/finance/quote?symbols=AAPL&crumb={crumb}")[2] == recorded(
        YAHOO / "yahoo_quote_v7_AAPL.json")
    assert get(fake, "/v8/finance/chart/AAPL")[0] == 200  # chart needs no crumb

    request(fake, "POST", "/__control/yahoo?mode=ok")
    assert get(fake, "/v7/finance/quote?symbols=AAPL")[0] == 200
    status, _, body = request(fake, "POST", "/__control/yahoo?mode=sideways")
    assert status == 400 and b"mode" in body


# Alpha Vantage


def av(fake, clock, query, advance=1.5):
    clock.now += advance
    status, content_type, body = get(fake, "/query?" + query)
    assert (status, content_type) == (200, "application/json"), body  # always 200, like the real service
    return body


def test_alpha_vantage_quotes_and_errors(fake, clock):
    assert av(fake, clock, "function=GLOBAL_QUOTE&symbol=IBM&apikey=k") == recorded(AV / "av_global_quote_IBM.json")
    assert av(fake, clock, "function=GLOBAL_QUOTE&symbol=MSFT&apikey=k") == recorded(
        AV / "av_global_quote_MSFT.json")
    assert av(fake, clock, "function=GLOBAL_QUOTE&symbol=AAPL&apikey=k") == recorded(
        AV / "reconstructed" / "av_global_quote_unknown_symbol_empty.json")
    invalid_key = recorded(AV / "reconstructed" / "av_invalid_apikey.json")
    assert av(fake, clock, "function=GLOBAL_QUOTE&symbol=IBM") == invalid_key
    assert av(fake, clock, "function=GLOBAL_QUOTE&symbol=IBM&apikey=") == invalid_key
    assert av(fake, clock, "function=GLOBAL_QUOTE&apikey=k") == recorded(
        AV / "reconstructed" / "av_invalid_api_call_global_quote.json")
    assert av(fake, clock, "function=GLOBAL_QUOTE&symbol=MSFT&apikey=demo") == recorded(
        AV / "av_demo_key_information.json")


def test_alpha_vantage_burst_and_daily_limits(fake, clock):
    msft = recorded(AV / "av_global_quote_MSFT.json")
    burst = recorded(AV / "reconstructed" / "av_rate_limit_burst_information.json")
    daily = recorded(AV / "reconstructed" / "av_rate_limit_daily_information.json")
    assert av(fake, clock, "function=GLOBAL_QUOTE&symbol=MSFT&apikey=k") == msft
    assert av(fake, clock, "function=GLOBAL_QUOTE&symbol=MSFT&apikey=k", advance=0.5) == burst
    assert av(fake, clock, "function=GLOBAL_QUOTE&symbol=MSFT&apikey=other", advance=0) == msft  # per key
    for _ in range(23):  # requests 3..25 of key k, spaced out
        assert av(fake, clock, "function=GLOBAL_QUOTE&symbol=MSFT&apikey=k") == msft
    assert av(fake, clock, "function=GLOBAL_QUOTE&symbol=MSFT&apikey=k") == daily  # the 26th
    assert av(fake, clock, "function=GLOBAL_QUOTE&symbol=MSFT&apikey=k", advance=60) == daily
    assert av(fake, clock, "function=GLOBAL_QUOTE&symbol=MSFT&apikey=other") == msft
    stats = json.loads(get(fake, "/__control/stats")[2])
    assert stats["alphavantage"]["requestsByKey"] == {"k": 27, "other": 2}
    assert all("apikey=k" not in r["target"] for r in stats["recent"])  # keys are not shown

    # A new (UTC) day starts from zero.
    fake.today = lambda: datetime.date(2100, 1, 1)
    assert av(fake, clock, "function=GLOBAL_QUOTE&symbol=MSFT&apikey=k") == msft


def test_alpha_vantage_daily_limit_mode(fake, clock):
    daily = recorded(AV / "reconstructed" / "av_rate_limit_daily_information.json")
    assert request(fake, "POST", "/__control/alphavantage?mode=daily-limit")[0] == 200
    assert av(fake, clock, "function=GLOBAL_QUOTE&symbol=IBM&apikey=k") == daily
    request(fake, "POST", "/__control/alphavantage?mode=ok")
    assert av(fake, clock, "function=GLOBAL_QUOTE&symbol=IBM&apikey=k") == recorded(AV / "av_global_quote_IBM.json")


# Control and the command line


def test_stats_count_requests_per_route(fake, clock):
    get(fake, "/v7/finance/quote?symbols=AAPL")
    get(fake, "/v7/finance/quote?symbols=MSFT")
    get(fake, "/v8/finance/chart/AAPL")
    get(fake, "/v1/test/getcrumb")
    av(fake, clock, "function=GLOBAL_QUOTE&symbol=IBM&apikey=k")
    status, _, body = get(fake, "/v6/finance/quote?symbols=AAPL")  # not a route the fake knows
    assert status == 404 and body.startswith(b"fake-providers:")
    stats = json.loads(get(fake, "/__control/stats")[2])
    assert stats["routes"] == {"yahoo_v7_quote": 2, "yahoo_chart": 1, "yahoo_getcrumb": 1,
                               "alphavantage_query": 1, "unmatched": 1}
    assert stats["served"]["yahoo/yahoo_quote_v7_AAPL-MSFT.json"] == 1
    assert stats["modes"] == {"yahoo": "ok", "alphavantage": "ok"}
    request(fake, "POST", "/__control/reset")
    assert json.loads(get(fake, "/__control/stats")[2])["routes"] == {}


def test_runs_from_the_command_line():
    script = pathlib.Path(__file__).with_name("fake_providers.py")
    proc = subprocess.Popen([sys.executable, str(script), "--port", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        match = re.fullmatch(r"fake-providers: listening port=(\d+)\n", line)
        assert match, line
        port = int(match.group(1))
        status, _, body = request(None, "GET", "/v7/finance/quote?symbols=AAPL,MSFT", port=port)
        assert status == 200 and body == recorded(YAHOO / "yahoo_quote_v7_AAPL-MSFT.json")
    finally:
        proc.terminate()
        proc.wait(timeout=5)
