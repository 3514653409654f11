"""A fake Yahoo Finance + Alpha Vantage HTTP server for the end-to-end tests. Loopback only.

It serves only the recorded responses in `Tests/Fixtures/{yahoo,alphavantage}`, byte for byte, with the status
codes and content types that `Tests/Fixtures/ORIGIN-http.md` lists for
them. The one exception is Yahoo's "down" mode, whose HTML page is written here (see `DOWN_PAGE`).

Routes, as the hub's providers call them (point `YAHOO_BASE_URL` and `ALPHAVANTAGE_BASE_URL` at this server):

- `GET /v7/finance/quote?symbols=A,B[&crumb=...]`: the recording that covers the most requested symbols
  (on a tie, the one with the fewest other symbols); none covered: the recorded empty result.
- `GET /v8/finance/chart/<SYMBOL>?...`: `yahoo_chart_<SYMBOL>.json`, else the reconstructed 404.
- `GET /v1/test/getcrumb`: the recorded crumb, text/plain.
- `GET /query?function=GLOBAL_QUOTE&symbol=X&apikey=K`: IBM and MSFT recorded, anything else the empty
  `Global Quote`; a missing key gets the invalid-key error; per key, the 26th request of the (UTC) day and later
  get the daily-limit notice and a request less than 1 s after the previous one gets the burst notice. Always
  HTTP 200 application/json, like the real service.

Control routes (not part of either API; prefixed so they cannot collide with one):

- `POST /__control/yahoo?mode=ok|rate-limited|down|crumb|v7-gone`
  rate-limited: every Yahoo route answers 429 `Edge: Too Many Requests` (text/plain);
  down: every Yahoo route answers 503 with a "Will be right back" HTML page;
  crumb: v7 answers the reconstructed 401 "Invalid Crumb" unless `crumb=` is the recorded getcrumb body;
  v7-gone: v7 answers Yahoo's recorded 404 envelope while the chart endpoint keeps working.
- `POST /__control/alphavantage?mode=ok|daily-limit`: daily-limit answers every keyed request with the
  daily-limit notice.
- `POST /__control/reset`: modes back to ok, all counters to zero.
- `GET /__control/stats`: request counts per route, per response served, Alpha Vantage requests per key
  (today), the modes, and the last requests.

Any other request gets a 404 text/plain answer naming the fake (it is not a recorded response) and is counted
as `unmatched`.

Run it: `python3 Tests/e2e/fake_providers.py --port 0` prints `fake-providers: listening port=N` and serves
until interrupted. Import it: `FakeProviders().start()` serves on a background thread.
"""
import argparse
import collections
import datetime
import http.server
import json
import os
import pathlib
import sys
import threading
import time
import urllib.parse

ROOT = pathlib.Path(__file__).resolve().parents[2]
DEFAULT_FIXTURES = pathlib.Path(os.environ.get("TICKHUB_FIXTURES", ROOT / "Tests" / "Fixtures"))

# Content types and cache headers as recorded (ORIGIN-http.md).
JSON_UTF8 = "application/json;charset=utf-8"
CHART_CACHE = "public, max-age=10, stale-while-revalidate=20"
QUOTE_CACHE = "public, max-age=1, stale-while-revalidate=9"
ERROR_CACHE = "max-age=0, private"
CRUMB_CACHE = "private, max-age=60, stale-while-revalidate=30"

# v7 recordings and the Yahoo symbols each one answers for.
V7_RECORDINGS = [
    ("yahoo_quote_v7_AAPL-MSFT.json", {"AAPL", "MSFT"}),
    ("yahoo_quote_v7_AAPL.json", {"AAPL"}),
    ("yahoo_quote_v7_AAPL-BABA_withcrumb.json", {"AAPL", "BABA"}),
    ("yahoo_quote_v7_EURUSD=X.json", {"EURUSD=X"}),
    ("yahoo_quote_v7_GC=F_future.json", {"GC=F"}),
    ("yahoo_quote_v7_OCDO.L_delayed15.json", {"OCDO.L"}),
    ("yahoo_quote_v7_SIMP_delisted_NONE.json", {"SIMP"}),
]
V7_EMPTY = "yahoo_quote_v7_unknown_symbol_empty.json"

CHART_RECORDINGS = {
    "AAPL": "yahoo_chart_AAPL.json",
    "BTC-USD": "yahoo_chart_BTC-USD.json",
    "EURUSD=X": "yahoo_chart_EURUSD=X.json",
    "GC=F": "yahoo_chart_GC=F.json",
    "GS2C.DE": "yahoo_chart_GS2C.DE.json",
    "OCDO.L": "yahoo_chart_OCDO.L.json",
    "LUCYW": "yahoo_chart_LUCYW_null_currency.json",
}
CHART_NOT_FOUND = "reconstructed/yahoo_chart_notfound_404.json"
# Yahoo's 404 envelope as recorded (from quoteSummary): what a retired or moved v7 endpoint answers.
V7_GONE = "yahoo_quoteSummary_notfound_404.json"
CRUMB = "yahoo_getcrumb_body.txt"
INVALID_CRUMB = "reconstructed/yahoo_quote_v7_invalid_crumb_401.json"
TOO_MANY_REQUESTS = "reconstructed/yahoo_429_body.txt"

AV_QUOTES = {"IBM": "av_global_quote_IBM.json", "MSFT": "av_global_quote_MSFT.json"}
AV_EMPTY_QUOTE = "reconstructed/av_global_quote_unknown_symbol_empty.json"
AV_INVALID_KEY = "reconstructed/av_invalid_apikey.json"
AV_INVALID_CALL = "reconstructed/av_invalid_api_call_global_quote.json"
AV_DAILY = "reconstructed/av_rate_limit_daily_information.json"
AV_BURST = "reconstructed/av_rate_limit_burst_information.json"
AV_DEMO = "av_demo_key_information.json"
AV_DAILY_LIMIT = 25
AV_BURST_SECONDS = 1.0

# NOT a recorded response: no recording of Yahoo's maintenance page was found. The docs only say it is an HTML
# page containing "Will be right back" (yfinance checks for that text), served with 200 or a 5xx. Kept minimal.
DOWN_PAGE = (b"<!DOCTYPE html>\n<html><head><title>Yahoo</title></head>"
             b"<body><p>Will be right back...</p></body></html>\n")

YAHOO_MODES = ("ok", "rate-limited", "down", "crumb", "v7-gone")
AV_MODES = ("ok", "daily-limit")


class Reply:
    def __init__(self, status, content_type, body, name, headers=()):
        self.status = status
        self.content_type = content_type
        self.body = body
        self.name = name  # the fixture served, for the stats
        self.headers = list(headers)


class FakeProviders:
    """The server and its state. `clock` (seconds, monotonic) and `today` (a date) can be replaced by tests."""

    def __init__(self, port=0, fixtures=DEFAULT_FIXTURES, clock=time.monotonic,
                 today=lambda: datetime.datetime.now(datetime.timezone.utc).date(), verbose=False):
        self.fixtures = pathlib.Path(fixtures)
        if not (self.fixtures / "yahoo" / CRUMB).is_file():
            raise FileNotFoundError(f"no Yahoo fixtures under {self.fixtures}")
        self.clock = clock
        self.today = today
        self.verbose = verbose
        self.lock = threading.Lock()
        self._cache = {}
        self.reset()
        handler = type("Handler", (_Handler,), {"fake": self})
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._thread = None

    # Lifecycle

    def start(self):
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="fake-providers", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # State

    def reset(self):
        with self.lock:
            self.yahoo_mode = "ok"
            self.av_mode = "ok"
            self.routes = collections.Counter()
            self.served = collections.Counter()
            self.av_day = None
            self.av_counts = collections.Counter()
            self.av_last = {}
            self.recent = collections.deque(maxlen=50)

    def set_yahoo_mode(self, mode):
        if mode not in YAHOO_MODES:
            raise ValueError(f"yahoo mode must be one of {', '.join(YAHOO_MODES)}")
        with self.lock:
            self.yahoo_mode = mode

    def set_alphavantage_mode(self, mode):
        if mode not in AV_MODES:
            raise ValueError(f"alphavantage mode must be one of {', '.join(AV_MODES)}")
        with self.lock:
            self.av_mode = mode

    def stats(self):
        with self.lock:
            return {
                "routes": dict(self.routes),
                "served": dict(self.served),
                "alphavantage": {"day": self.av_day.isoformat() if self.av_day else None,
                                 "requestsByKey": dict(self.av_counts)},
                "modes": {"yahoo": self.yahoo_mode, "alphavantage": self.av_mode},
                "recent": list(self.recent),
            }

    # Fixtures

    def fixture(self, name):
        body = self._cache.get(name)
        if body is None:
            body = (self.fixtures / name).read_bytes()
            self._cache[name] = body
        return body

    def yahoo(self, status, name, content_type=JSON_UTF8, cache=None):
        headers = [("Cache-Control", cache)] if cache else []
        return Reply(status, content_type, self.fixture("yahoo/" + name), "yahoo/" + name, headers)

    def av(self, name):
        # AV answers everything with 200; these two headers are the recorded ones (docs/providers.md, Alpha Vantage).
        return Reply(200, "application/json", self.fixture("alphavantage/" + name), "alphavantage/" + name,
                     [("Allow", "GET, HEAD, OPTIONS"), ("Vary", "Cookie, Origin")])

    # Routing

    def route(self, method, target):
        """(route name, Reply) for one request."""
        parsed = urllib.parse.urlsplit(target)
        path = parsed.path
        query = urllib.parse.parse_qs(parsed.query, keep_blank_values=True)

        def param(name):
            values = query.get(name)
            return values[0] if values else None

        if path.startswith("/__control/"):
            return "control", self.control(method, path, param)
        if method != "GET":
            return "unmatched", self.unmatched(method, target)
        if path == "/v7/finance/quote":
            return "yahoo_v7_quote", self.yahoo_blocked() or self.v7_quote(param("symbols"), param("crumb"))
        if path.startswith("/v8/finance/chart/"):
            symbol = urllib.parse.unquote(path[len("/v8/finance/chart/"):])
            return "yahoo_chart", self.yahoo_blocked() or self.chart(symbol)
        if path == "/v1/test/getcrumb":
            return "yahoo_getcrumb", self.yahoo_blocked() or self.yahoo(200, CRUMB, "text/plain;charset=utf-8",
                                                                        CRUMB_CACHE)
        if path == "/query":
            return "alphavantage_query", self.alpha_vantage(param("function"), param("symbol"), param("apikey"))
        return "unmatched", self.unmatched(method, target)

    def yahoo_blocked(self):
        with self.lock:
            mode = self.yahoo_mode
        if mode == "rate-limited":
            return self.yahoo(429, TOO_MANY_REQUESTS, "text/plain;charset=utf-8")
        if mode == "down":
            return Reply(503, "text/html; charset=utf-8", DOWN_PAGE, "inline/will-be-right-back.html")
        return None

    def v7_quote(self, symbols, crumb):
        with self.lock:
            mode = self.yahoo_mode
        if mode == "v7-gone":
            return self.yahoo(404, V7_GONE, JSON_UTF8, ERROR_CACHE)
        if mode == "crumb" and crumb != self.fixture("yahoo/" + CRUMB).decode().strip():
            return self.yahoo(401, INVALID_CRUMB, "application/json", ERROR_CACHE)
        wanted = {s.strip().upper() for s in (symbols or "").split(",") if s.strip()}
        best, best_key = None, None
        for name, covers in V7_RECORDINGS:
            covered = len(wanted & covers)
            if covered == 0:
                continue
            key = (covered, -len(covers - wanted))
            if best_key is None or key > best_key:
                best, best_key = name, key
        return self.yahoo(200, best or V7_EMPTY, JSON_UTF8, QUOTE_CACHE)

    def chart(self, symbol):
        name = CHART_RECORDINGS.get(symbol.upper())
        if name is None:
            return self.yahoo(404, CHART_NOT_FOUND, JSON_UTF8, ERROR_CACHE)
        return self.yahoo(200, name, JSON_UTF8, CHART_CACHE)

    def alpha_vantage(self, function, symbol, apikey):
        if not apikey:
            return self.av(AV_INVALID_KEY)
        if apikey == "demo":
            # The demo key works only for the documented example URL.
            if function == "GLOBAL_QUOTE" and (symbol or "").upper() == "IBM":
                return self.av(AV_QUOTES["IBM"])
            return self.av(AV_DEMO)
        now, today = self.clock(), self.today()
        with self.lock:
            if self.av_day != today:
                self.av_day = today
                self.av_counts.clear()
            self.av_counts[apikey] += 1
            count = self.av_counts[apikey]
            previous = self.av_last.get(apikey)
            self.av_last[apikey] = now
            mode = self.av_mode
        if mode == "daily-limit" or count > AV_DAILY_LIMIT:
            return self.av(AV_DAILY)
        if previous is not None and now - previous < AV_BURST_SECONDS:
            return self.av(AV_BURST)
        if function != "GLOBAL_QUOTE" or not symbol:
            return self.av(AV_INVALID_CALL) if function == "GLOBAL_QUOTE" else self.unmatched(
                "GET", f"/query?function={function}")
        return self.av(AV_QUOTES.get(symbol.upper(), AV_EMPTY_QUOTE))

    def control(self, method, path, param):
        try:
            if method == "POST" and path == "/__control/yahoo":
                self.set_yahoo_mode(param("mode"))
            elif method == "POST" and path == "/__control/alphavantage":
                self.set_alphavantage_mode(param("mode"))
            elif method == "POST" and path == "/__control/reset":
                self.reset()
            elif method == "GET" and path == "/__control/stats":
                pass
            else:
                return self.unmatched(method, path)
        except ValueError as error:
            return Reply(400, "application/json", json.dumps({"error": str(error)}).encode(), "control")
        return Reply(200, "application/json", json.dumps(self.stats()).encode(), "control")

    @staticmethod
    def unmatched(method, target):
        # NOT a recorded response: the fake has nothing for this request.
        body = f"fake-providers: no recorded response for {method} {target}\n".encode()
        return Reply(404, "text/plain;charset=utf-8", body, "unmatched")

    def record(self, route, method, target, reply):
        with self.lock:
            if route != "control":
                self.routes["unmatched" if reply.name == "unmatched" else route] += 1
                self.served[reply.name] += 1
                self.recent.append({"t": time.time(), "method": method, "target": redact_key(target),
                                    "status": reply.status, "served": reply.name})


def redact_key(target):
    """The target with an `apikey` value replaced, so stats never show a real key."""
    parts = urllib.parse.urlsplit(target)
    if "apikey=" not in parts.query:
        return target
    query = [(k, "REDACTED" if k == "apikey" and v else v)
             for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query, safe=",")))


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30
    fake = None  # set per server

    def version_string(self):
        return "ATS"  # Yahoo's edge says `server: ATS`

    def handle_one(self, method):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        try:
            route, reply = self.fake.route(method, self.path)
        except Exception as error:  # a bug in the fake: say so rather than hang the client
            route, reply = "unmatched", Reply(500, "text/plain", f"fake-providers: {error!r}\n".encode(), "error")
        self.fake.record(route, method, self.path, reply)
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers:
            self.send_header(name, value)
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(reply.body)

    def do_GET(self):
        self.handle_one("GET")

    def do_POST(self):
        self.handle_one("POST")

    def log_message(self, format, *args):
        if self.fake.verbose:
            sys.stderr.write("fake-providers: %s %s\n" % (self.address_string(), format % args))


def main(argv=None):
    parser = argparse.ArgumentParser(description="Fake Yahoo Finance + Alpha Vantage server (loopback only).")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0 picks a free one)")
    parser.add_argument("--fixtures", default=str(DEFAULT_FIXTURES), help="the recorded fixtures directory")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)
    fake = FakeProviders(port=args.port, fixtures=args.fixtures, verbose=args.verbose)
    print(f"fake-providers: listening port={fake.port}", flush=True)
    try:
        fake.server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        fake.server.server_close()


if __name__ == "__main__":
    main()
