#!/usr/bin/env python3
"""Writes the fuzzers' seed corpora (Tests/FuzzCorpus/<target>/seed-*) from the recordings in Tests/Fixtures (tws/,
yahoo/, alphavantage/) and the examples in docs/ and Tests/.

A seed is one input in the layout its target reads (Sources/TickhubFuzz/*/Fuzz*.swift): a few parameter bytes,
then the bytes under test. Real sessions give libFuzzer valid frames of every message the recordings hold to mutate
from, which random bytes would take it hours to reach. Run it again after the fixtures change; it replaces only
seed-* files, so inputs added by hand (a minimised crash kept as a regression, named otherwise) stay.
"""
import base64
import hashlib
import json
import re
import struct
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "Tests" / "Fixtures" / "tws"
HTTP_FIXTURES = ROOT / "Tests" / "Fixtures"
DOCS = ROOT / "docs"
CORPUS = ROOT / "Tests" / "FuzzCorpus"

# Parameter bytes, as the targets read them.
READS = [0x00, 0x06, 0x3F, 0x85, 0xC1]  # Chunking: 1-byte reads, 7, 64, and two varying patterns
LIMIT_DEFAULT, LIMIT_64 = 0, 1          # frameLimits: 16 MiB, 64
CLIENT_RANGE, FULL_RANGE = 0, 1         # clientRanges: 157...178, 157...200
SERVER_176, SERVER_200 = 0, 2           # serverVersions: 176, 178, 200, ...
PIECE = 2048


def frame(payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + payload


def fields(values) -> bytes:
    return b"".join(v.encode() + b"\0" for v in values)


def pipes(text: str) -> bytes:
    """Pipe notation as in the fixtures: every field NUL-terminated; a trailing '|' is an empty last field."""
    return fields(text.split("|"))


def client_hello(text: str) -> bytes:
    return b"API\0" + struct.pack(">I", len(text)) + text.encode()


def yaml_raw_strings(path: Path):
    """The `raw:` strings of the rust-ibapi recording, with YAML's double-quoted escapes undone (\\0 and the like)."""
    for kind, text in re.findall(r'^\s*(-\s+raw|raw):\s*"(.*)"\s*$', path.read_text(), re.M):
        yield ("response" if kind.startswith("-") else "request"), text.encode().decode("unicode_escape").encode("latin-1")


class Corpus:
    def __init__(self, target: str):
        self.dir = CORPUS / target
        self.dir.mkdir(parents=True, exist_ok=True)
        for old in self.dir.glob("seed-*"):
            old.unlink()
        self.count = 0

    def add(self, name: str, data: bytes):
        # A short hash keeps names unique when two recordings give the same label.
        digest = hashlib.sha1(data).hexdigest()[:8]
        (self.dir / f"seed-{name}-{digest}").write_bytes(data)
        self.count += 1


def split_frames(data: bytes):
    """The complete frames in a stream, each with its length prefix."""
    frames, i = [], 0
    while i + 4 <= len(data):
        end = i + 4 + struct.unpack(">I", data[i:i + 4])[0]
        if end > len(data):
            break
        frames.append(data[i:end])
        i = end
    return frames


def pieces(name, frames):
    """Frames in runs of at most PIECE bytes: libFuzzer mutates up to the largest seed's size, and long inputs make
    every run slow. A single frame larger than that stays whole."""
    runs, run = [], b""
    for f in frames:
        if run and len(run) + len(f) > PIECE:
            runs.append(run)
            run = b""
        run += f
    if run:
        runs.append(run)
    for i, run in enumerate(runs):
        yield (name if len(runs) == 1 else f"{name}-{i}"), run


def server_streams():
    """(name, server version, bytes TWS sent): each starting with the server hello, as a client reads them."""
    recording = json.loads((FIXTURES / "EncertAI-ib_insync_request_response.json").read_text())
    hello = b"".join(base64.b64decode(c) for c in recording["API_"])
    for key, chunks in recording.items():
        if key == "API_":
            continue
        data = b"".join(base64.b64decode(c) for c in chunks)
        for name, run in pieces(f"ib_insync-{key}", split_frames(data)):
            yield name, 176, hello + run

    hello200 = frame(fields(["200", "20260405 21:49:26 Greenwich Mean Time"]))
    captured = json.loads((FIXTURES / "ibkr-go" / "ibkr-go_sv200_captured_payloads.json").read_text())
    server_frames = [(e["test"].removeprefix("TestCaptureDecode_"), frame(fields(e["payload_fields"])))
                     for e in captured if e["test"].startswith("TestCaptureDecode")]
    extra = json.loads((FIXTURES / "ibkr-go" / "ibkr-go_sv200_additional_frames.json").read_text())
    for e in extra["frames"]:
        if not e["pipe_fields"].startswith("["):  # the server-206 frame's binary message id is beyond this codec
            server_frames.append((e["what"].split(" ")[0], frame(pipes(e["pipe_fields"]))))
    for name, data in server_frames:
        yield f"ibkr-go-{name}", 200, hello200 + data
    for name, run in pieces("ibkr-go-all", [d for _, d in server_frames]):
        yield name, 200, hello200 + run

    hello173 = frame(fields(["173", "20250715 19:05:07 UTC"]))
    responses = [raw for kind, raw in yaml_raw_strings(FIXTURES / "rust-ibapi_tws_interactions.yaml") if kind == "response"]
    yield "rust-ibapi-all", 173, hello173 + b"".join(frame(r) for r in responses)


def client_streams():
    """(name, bytes a client sent): each starting with the client hello, as the simulator reads them."""
    recording = json.loads((FIXTURES / "EncertAI-ib_insync_request_response.first_commit.json").read_text())
    raw = [base64.b64decode(k) for k in recording]
    hellos = [r for r in raw if r.startswith(b"API\0")]
    hello = hellos[0]
    requests = [r for r in raw if not r.startswith(b"API\0")]
    for i, data in enumerate(requests):
        yield f"ib_insync-{i:02d}", hello + data
    yield "ib_insync-session", hello + b"".join(requests)

    captured = json.loads((FIXTURES / "ibkr-go" / "ibkr-go_sv200_captured_payloads.json").read_text())
    ibkr_go = b"".join(frame(fields(e["payload_fields"])) for e in captured if e["test"].startswith("TestCaptureEncode"))
    yield "ibkr-go-requests", client_hello("v100..200") + ibkr_go

    requests = [raw for kind, raw in yaml_raw_strings(FIXTURES / "rust-ibapi_tws_interactions.yaml") if kind == "request"]
    yield "rust-ibapi-requests", client_hello("v100..173 +PACEAPI") + b"".join(frame(r) for r in requests)


def tws_frames():
    corpus = Corpus("fuzz-tws-frames")
    for i, (name, version, stream) in enumerate(server_streams()):
        versions = CLIENT_RANGE if version <= 178 else FULL_RANGE
        corpus.add(name, bytes([READS[i % len(READS)], LIMIT_DEFAULT, versions]) + stream)
    # One with a small limit, so refusing an oversized frame is in the corpus from the start.
    name, version, stream = next(iter(server_streams()))
    corpus.add("limit-64", bytes([0x85, LIMIT_64, CLIENT_RANGE]) + stream)
    return corpus


def tws_requests():
    corpus = Corpus("fuzz-tws-requests")
    for i, (name, stream) in enumerate(client_streams()):
        server = SERVER_200 if name.startswith("ibkr-go") else SERVER_176
        corpus.add(name, bytes([READS[i % len(READS)], LIMIT_DEFAULT, server]) + stream)
    corpus.add("limit-64", bytes([0x85, LIMIT_64, SERVER_176]) + next(iter(client_streams()))[1])
    return corpus


# Symbols from docs/protocol.md and Tests/TickhubCoreTests, accepted and refused.
SYMBOLS = [
    "AAPL", "aapl", " BRK B ", "BRK B", "BF B", "BRK.B", "EUR.USD", "USD.JPY", "GBP.CHF", "BTC", "ETH", "BTCX",
    "SPY 250321P00250000", "SPY   250321P00250000", "spy 250321p00250000", "AAPL 260116C00187500",
    "SPY 280229C00600000", "SPY 270229C00600000", "SPY 251321P00250000", "SPY 250321X00250000", "A B C",
    "EUR.USD.JPY", "EUR.USD.", "AA$L", "<script>", "OCDO.L", "TSCO.LON", "BRK-B", "EURUSD=X", "JPY=X", "^GSPC",
    "GC=F", "BTC-USD", "SPY250321P00250000", "", "A" * 40, "Ä", "ﬀ",
]


def symbols():
    corpus = Corpus("fuzz-symbols")
    for s in SYMBOLS:
        label = re.sub(r"[^A-Za-z0-9]+", "_", s).strip("_") or "blank"
        corpus.add(label[:24], s.encode())
    return corpus


def quote_patches():
    """Programs for fuzz-quote-patch: [symbols in play] then operations (see its header)."""
    corpus = Corpus("fuzz-quote-patch")

    def update(symbol, values, source_time=None, delayed=None, stale=None, step=1):
        mask, operands = 0, b""
        for bit, tag in sorted(values.items()):  # bit: field index; tag: 0 null, 1...127 a notable value
            mask |= 1 << bit
            operands += bytes([tag]) if isinstance(tag, int) else b"\x80" + struct.pack("<d", tag)
        if source_time is not None:
            mask |= 1 << 11
            operands += struct.pack("<q", source_time)
        if delayed is not None:
            mask |= 1 << 12
            operands += bytes([delayed])
        if stale is not None:
            mask |= 1 << 13
            operands += bytes([stale])
        return bytes([1, symbol]) + struct.pack("<H", mask) + operands + bytes([step])

    def remove(symbol):
        return bytes([0, symbol])

    BID, ASK, LAST, BID_SIZE, ASK_SIZE, LAST_SIZE, VOLUME, OPEN, HIGH, LOW, CLOSE = range(11)
    corpus.add("book", bytes([3])
               + update(0, {BID: 150.25, ASK: 150.26, BID_SIZE: 100.0, ASK_SIZE: 200.0}, source_time=1_795_320_831_924_126)
               + update(0, {LAST: 150.255, LAST_SIZE: 5.0, VOLUME: 1_000_000.0})
               + update(0, {BID: 0}, delayed=1)
               + update(1, {BID: 1.0845, ASK: 1.0846})
               + remove(0)
               + update(0, {LAST: 151.0, CLOSE: 150.0}, stale=1))
    corpus.add("session", bytes([1])
               + update(0, {OPEN: 149.0, HIGH: 152.0, LOW: 148.5, CLOSE: 150.0})
               + update(0, {BID: 5, ASK: 6, LAST: 7}, step=200)
               + update(0, {BID: 0, ASK: 0, LAST: 0}, step=255))
    corpus.add("crossed", bytes([2]) + update(1, {BID: 10.0, ASK: 9.0}) + update(1, {BID: -1.0, ASK: 1.0}))
    return corpus


def code_blocks(path: Path, language: str):
    """The fenced ```language blocks of a Markdown file."""
    return re.findall(r"^```" + language + r"\n(.*?)^```", path.read_text(), re.M | re.S)


def label(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_")[:40] or "blank"


# docs/positions-csv.md's example is read from the file; these are the other files Tests/StoreTests and Tests/e2e
# import or refuse.
CSV_FILES = [
    "symbol,quantity,average_cost,multiplier,currency,security_type\nIBM,25,180.50,1,USD,STK\nSPY 271217P00500000,-3,4.20,100,USD,OPT\n",
    "symbol,quantity,average_cost\nKO,10,60\n",
    "symbol,quantity,average_cost,strike\nAAPL,1,1,100\n",
    'symbol,quantity,average_cost\nAAPL,10,150\nMSFT,ten,300\nNVDA,"1,000",1\n',
    "symbol,quantity,average_cost,multiplier\nAAPL,10,150,1\nSPY 251219C00600000,1,2,0\n",
    "symbol,quantity,average_cost\nAAPL,10,150\nMSFT,1,300\naapl,5,151\n",
    "symbol,quantity\nAAPL,10\n",
    "symbol,quantity,average_cost,multiplier,currency,security_type\nAAPL,10,150,1,USD,STK\n,1,1,1,USD,STK\n"
    "MSFT,0,300,1,USD,STK\nIBM,1,,1,USD,STK\nGE,1,1,1,US,STK\nF,1,1,1,USD,BOND\nT,1,1,1,USD\n\"KO,1,1,1,USD,STK\n",
    "\ufeffSymbol,Quantity,Average_Cost\r\n\r\n\"BRK B\",\"-1.5e3\",\"1\"\"2\"\r\nEUR.USD , 10000 , 1.0842\r\n",
    "",
]


def positions_csv():
    corpus = Corpus("fuzz-positions-csv")
    for i, text in enumerate(code_blocks(DOCS / "positions-csv.md", "csv")):
        corpus.add(f"docs-{i}", text.encode())
    for text in CSV_FILES:
        corpus.add(label(text.split("\n")[1] if "\n" in text else text), text.encode())
    return corpus


# fuzz-yahoo's parameter bytes: indices into its `statuses`, `contentTypes`; `askedSymbols` is a bit mask.
YAHOO_STATUSES = [200, 200, 200, 201, 404, 401, 403, 429, 500, 503, 302, 400, 422, 0, 999]
YAHOO_JSON, YAHOO_PLAIN = 0, 4
YAHOO_AAPL, YAHOO_MSFT, YAHOO_BABA, YAHOO_EURUSD = 1, 2, 4, 8
YAHOO_BARS_1D = 5 << 2  # form bits 2 and up: the interval a chart is read as bars of (BarInterval.allCases[5] is 1d)
YAHOO_BARS_30M = 3 << 2
YAHOO_ROOTS = ["chart", "quoteResponse", "finance", "quoteSummary"]
YAHOO_CODES = ["Not Found", "not found", "Unauthorized", "Forbidden", "Too Many Requests", "Bad Request",
               "Internal Server Error", "Unprocessable Entity", ""]


def ascii_tail(text: str) -> bytes:
    """Bytes a target maps back to this printable ASCII text (0x20 + byte % 0x5F)."""
    return bytes(ord(c) - 0x20 for c in text)


def yahoo():
    corpus = Corpus("fuzz-yahoo")
    for path in sorted((HTTP_FIXTURES / "yahoo").rglob("*.*")):
        name = path.name
        code = next((int(c) for c in re.findall(r"_(\d{3})(?:_|\.|$)", name) if 400 <= int(c) < 600), 200)
        status = YAHOO_STATUSES.index(code)
        kind = YAHOO_PLAIN if path.suffix == ".txt" else YAHOO_JSON
        forms = [0] if "chart" in name else [1] if "quote_v7" in name else [0, 1]
        asked = {"AAPL": YAHOO_AAPL, "MSFT": YAHOO_MSFT, "BABA": YAHOO_BABA, "EURUSD": YAHOO_EURUSD}
        mask = sum(bit for ticker, bit in asked.items() if ticker in name) or YAHOO_AAPL
        for form in forms:
            corpus.add(f"{'chart' if form == 0 else 'v7'}-{path.stem}", bytes([form, status, kind, mask]) + path.read_bytes())
        # Form 0 reads a chart as 1m bars as well; the daily recordings read as daily bars reach the trading dates.
        if "chart" in name and "1m" not in name:
            corpus.add(f"bars-1d-{path.stem}", bytes([YAHOO_BARS_1D, status, kind, mask]) + path.read_bytes())
        # Six months of days said to be half hours: rows for the folding into hours to start from.
        if name == "yahoo_chart_AAPL_6mo_1d.json":
            halves = path.read_bytes().replace(b'"dataGranularity":"1d"', b'"dataGranularity":"30m"')
            corpus.add(f"bars-30m-{path.stem}", bytes([YAHOO_BARS_30M, status, kind, mask]) + halves)
    for form in (2, 3):
        for status in (200, 404, 401):
            for code in range(len(YAHOO_CODES)):
                corpus.add(f"envelope-{form}-{status}-{label(YAHOO_CODES[code])}",
                           bytes([form, YAHOO_STATUSES.index(status), YAHOO_JSON, YAHOO_AAPL, form % 4, code])
                           + ascii_tail("No data found, symbol may be delisted"))
    return corpus


# fuzz-alphavantage's parameter bytes: indices into `statuses`, `contentTypes` and `apiKeys`.
AV_OK, AV_JSON, AV_KEY = 0, 0, 1
AV_NOTICE_TEXTS = 8


def alphavantage():
    corpus = Corpus("fuzz-alphavantage")
    for path in sorted((HTTP_FIXTURES / "alphavantage").rglob("*.json")):
        forms = [1] if "exchange_rate" in path.name else [0] if "global_quote" in path.name else [0, 1]
        for form in forms:
            corpus.add(f"{form}-{path.stem}", bytes([form, AV_OK, AV_JSON, AV_KEY]) + path.read_bytes())
    for form in (2, 3):
        for member in range(3):
            for text in range(AV_NOTICE_TEXTS):
                corpus.add(f"notice-{form}-{member}-{text}", bytes([form, AV_OK, AV_JSON, AV_KEY, member, text, text % 4]))
    return corpus


# fuzz-clientportal's first byte: the reader (`Form` in Sources/TickhubFuzz/ClientPortal/FuzzClientPortal.swift).
CP_FORMS = ["streamMessage", "snapshot", "formattedNumber", "availability", "authStatus", "tickle", "brokerageAccounts",
            "secdefSearch", "stocks", "portfolioAccounts", "positions", "summary", "partitionedPnL", "streamCommand",
            "encoderRoundTrip", "secdefInfo", "currencyPairs", "history"]
CP_FILES = [("snapshot_", "snapshot"), ("auth_status", "authStatus"), ("tickle", "tickle"),
            ("iserver_accounts", "brokerageAccounts"), ("secdef_search", "secdefSearch"), ("trsrv_stocks", "stocks"),
            ("portfolio_accounts", "portfolioAccounts"), ("portfolio_positions", "positions"),
            ("portfolio_summary", "summary"), ("pnl_partitioned", "partitionedPnL"), ("secdef_info", "secdefInfo"),
            ("currency_pairs", "currencyPairs"), ("marketdata_history", "history")]
CP_NUMBERS = ["382.89", "1,300", "1.2K", "45.6M", "1.5B", "C382.10", "H12.5", "0.08%", "", "N/A", "-1,234.5", "CH1", "1,23"]
CP_AVAILABILITY = ["R", "RpB", "DPB", "Z", "Yp", "N", "", "x"]
CP_COMMANDS = ['smd+265598+{"fields":["31","84","86","88","85","7059","7762","87","6509"]}', "umd+265598+{}", "tic",
               '{"session":"bb665d0f55b6289d70bc3a2fd4bd4d1d"}', "smd+265598@SMART+{\"fields\":[]}", "smd+1+{}"]


def clientportal():
    corpus = Corpus("fuzz-clientportal")
    form = {name: bytes([i]) for i, name in enumerate(CP_FORMS)}
    directory = HTTP_FIXTURES / "clientportal"
    for path in sorted(directory.glob("*.json")):
        kind = next((f for prefix, f in CP_FILES if path.name.startswith(prefix)), None)
        if kind:
            corpus.add(f"{kind}-{path.stem}", form[kind] + path.read_bytes())
    for i, line in enumerate((directory / "ws_messages.jsonl").read_bytes().splitlines()):
        corpus.add(f"stream-{i}", form["streamMessage"] + line)
    for text in CP_NUMBERS:
        corpus.add(f"number-{label(text)}", form["formattedNumber"] + text.encode())
    for text in CP_AVAILABILITY:
        corpus.add(f"availability-{label(text)}", form["availability"] + text.encode())
    for text in CP_COMMANDS:
        corpus.add(f"command-{label(text)}", form["streamCommand"] + text.encode())
    # Encoder programs: [conid u32][updated u64] then [field][kind][value f64] per field (EncoderProgram.swift).
    program = struct.pack("<IQ", 265597, 1733505600000)
    for field, kind, value in [(0, 0, 382.891), (8, 4, 45612345.0), (6, 3, 1300.0), (18, 1, 238.04), (5, 2, 12.5), (19, 5, 45612345.0)]:
        program += bytes([field, kind]) + struct.pack("<d", value)
    corpus.add("encoders", form["encoderRoundTrip"] + program)
    corpus.add("encoders-priming", form["encoderRoundTrip"] + struct.pack("<IQ", 8313, 5))
    return corpus


# fuzz-tastytrade's first byte: the reader (`Form` in Sources/TickhubFuzz/TastyTrade/FuzzTastyTrade.swift).
TT_FORMS = ["token", "apiError", "accounts", "positions", "balances", "quoteToken", "streamer", "streamerRequest", "dxlink",
            "feedData", "orderSymbol", "streamerSymbol"]
# Longest prefix first: streamer_connect_request is a request, the other streamer_ files are the streamer's.
TT_FILES = [("oauth_token", "token"), ("error_", "apiError"), ("no_user_agent", "apiError"),
            ("customers_me_accounts", "accounts"), ("positions", "positions"), ("balances", "balances"),
            ("api_quote_tokens", "quoteToken"), ("streamer_connect_request", "streamerRequest"), ("streamer_", "streamer"),
            ("dxlink_", "dxlink")]
# Second byte of orderSymbol: TastyInstrumentType's case (0 Equity … 4 Cryptocurrency; beyond: unknown type).
TT_ORDER_SYMBOLS = [(0, "AAPL"), (0, "BRK/B"), (1, "SPY   230731C00393000"), (1, "GOOGLL230818P00002500"), (2, "/ESU3"),
                    (3, "./ESU3 E3AN3 230717C5600"), (4, "BTC/USD"), (4, "DOGE/USD"), (9, "/ESZ6"), (9, "SPX   261218P05000500")]
TT_STREAMER_SYMBOLS = ["AAPL", "BRK/B", ".SPY230731C393", ".F261218P2.5", "BTC/USD:CXTALP", "/ESU23:XCME", "./E3AN23C5600:XCME"]


def tastytrade():
    corpus = Corpus("fuzz-tastytrade")
    form = {name: bytes([i]) for i, name in enumerate(TT_FORMS)}
    directory = HTTP_FIXTURES / "tastytrade"
    for path in sorted(directory.glob("*")):
        kind = next((f for prefix, f in TT_FILES if path.name.startswith(prefix)), None)
        if kind and path.suffix in (".json", ".html"):
            corpus.add(f"{kind}-{path.stem}", form[kind] + path.read_bytes())
    # A FEED_CONFIG on one line, then a FEED_DATA: the events read with that config's field order.
    data = json.dumps(json.loads((directory / "dxlink_feed_data.json").read_text()), separators=(",", ":"))
    for config in ("dxlink_feed_config.json", "dxlink_feed_config_lazy.json"):
        line = json.dumps(json.loads((directory / config).read_text()), separators=(",", ":"))
        corpus.add(f"feedData-{Path(config).stem}", form["feedData"] + f"{line}\n{data}".encode())
    for kind, text in TT_ORDER_SYMBOLS:
        corpus.add(f"orderSymbol-{label(text)}", form["orderSymbol"] + bytes([kind]) + text.encode())
    for text in TT_STREAMER_SYMBOLS:
        corpus.add(f"streamerSymbol-{label(text)}", form["streamerSymbol"] + text.encode())
    return corpus


# Bodies from docs/protocol.md (read from it), Tests/e2e/test_publish.py and Tests/HubProtocolTests.
PUBLISH_BODIES = [
    '{"symbol":"ACME","last":10.51,"lastSize":100,"ts":1795320831925}',
    '{"symbol":"ACME","bid":null}',
    '{"symbol":"ACME","bid":1', '{"symbol":"ACME","bid":"10.5"}', '{"symbol":"ACME","bidSize":-5}',
    '{"symbol":"ACME","bidd":10.5}', '{"symbol":"AC ME X","bid":10.5}', '{"symbol":"ACME"}',
    '{"symbol":"ACME","bid":1,"ts":1795324431924126}', '{"symbol":"ACME","bid":1e999}', '{"symbol":"ACME","bid":01}',
    '[{"symbol":"ACME","bid":10.1},{"symbol":"ACME","ask":"x"},{"symbol":"ACME","ask":10.3},{"nope":1}]',
    '[{"symbol":"ACME","bid":10.5,"ask":10.6},{"symbol":"ACME","last":"x"}]', '[{"symbol":"ACME"}]',
    '[{"symbol":"A","bid":1},{"symbol":"B","bid":"1"},7,{"symbol":"C","ask":2}, {"x":[1,{"y":2}]}]',
    '{"type":"quote","symbol":"A","bid":1,"seq":3,"t":1,"source":"ibkr","change":null,"snapshot":true}',
    '{"sym\\u0062ol":"BRK\\u0020B","bid":1}', '{"symbol":"AAPL","bid":230.1,"ask":230.1}',
    '{"symbol":"AAPL","bid":230.2,"ask":230.1}', '{"symbol":"AAPL","high":1,"low":2}',
    '{"symbol":"AAPL","volume":1e16}', '{"symbol":"AAPL","last":-1e9,"close":1000000000.5}',
    '[]', ' [ ] ', '{}', '[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]', '"AAPL"',
    '{"symbol":"spy 250321p00250000","bid":0.05,"ask":0.06,"delayed":true,"stale":false}',
    '{"symbol":"EUR.USD","bid":1.08410000000000001,"ask":1.0843e0,"lastSize":0.000001}',
]


def publish():
    corpus = Corpus("fuzz-publish")
    section = (DOCS / "protocol.md").read_text().split("## Publishing", 1)[1].split("\n## ", 1)[0]
    for i, body in enumerate(re.findall(r"^```json\n(.*?)^```", section, re.M | re.S)):
        corpus.add(f"docs-{i}", b"\0" + body.encode())
    for body in PUBLISH_BODIES:
        corpus.add(label(body), b"\0" + body.encode())

    # Programs (Sources/TickhubFuzz/Publish/QuoteItem.swift): [1][header][spacing] then items
    # [symbol][spelling][mask: 2 bytes][operands].
    def item(symbol, spelling, fields, ts=None, flags=b""):
        mask, operands = 0, b""
        for bit, value in fields:
            mask |= 1 << bit
            operands += bytes([value]) if isinstance(value, int) else b"\x80" + struct.pack("<d", value)
        if ts is not None:
            mask |= 1 << 11
            operands += bytes([ts[0]]) + struct.pack("<q", ts[1])
        for bit, byte in flags:
            mask |= 1 << bit
            operands += bytes([byte])
        return bytes([symbol, spelling]) + struct.pack("<H", mask) + operands

    BID, ASK, LAST, BID_SIZE, ASK_SIZE, LAST_SIZE, VOLUME, OPEN, HIGH, LOW, CLOSE = range(11)
    corpus.add("program-book", bytes([1, 0, 0]) + item(0, 0, [(BID, 150.25), (ASK, 150.26), (BID_SIZE, 300.0), (ASK_SIZE, 500.0)], ts=(2, 0)))
    corpus.add("program-array", bytes([1, 2, 1])
               + item(1, 1, [(BID, 1.0841), (ASK, 1.0843)], ts=(1, -5))
               + item(3, 2, [(LAST, 0.05), (VOLUME, 0)], flags=[(12, 1), (13, 0), (14, 7)])
               + item(4, 3, [(OPEN, 1), (HIGH, 2), (LOW, 3), (CLOSE, 0)]))
    corpus.add("program-refused", bytes([1, 3, 3])
               + item(7, 0, [(BID, 1)]) + item(0, 0, [(BID, 2.0), (ASK, 1.0)]) + item(0, 0, [(BID_SIZE, -1.0)])
               + item(5, 0, [(LAST, 1e9 + 1)], ts=(0, 1_000)) + item(5, 0, [(LAST, 1.0)], flags=[(15, 0)]))
    return corpus


STREAM_MESSAGES = [
    '{"op":"subscribe","symbols":["AAPL","MSFT"]}', '{"op":"subscribe","channels":["status","pnl"]}',
    '{"op":"subscribe","symbols":["AAPL",1,null,{"x":1}],"channels":["pnl"]}', '{"op":"unsubscribe","symbols":["AAPL"]}',
    '{"op":"unsubscribe","channels":["status"]}', '{"op":"subscribe"}', '{"op":"subscribe","symbols":"AAPL"}',
    '{"op":"subscribe","channels":[1]}', '{"op":"ping","id":7}', '{"op":"ping","id":"a"}', '{"op":"ping"}',
    '{"op":"auth","token":"t0k"}', '{"op":"auth"}', '{"op":"nope"}', '{"op":"\u0000x"}', '{"symbols":[]}', '[]',
    'not json', '', '{"op":"subscribe","symbols":["SPY 271217C00600000","EUR.USD","BRK B","btc"]}',
]


def stream_requests():
    corpus = Corpus("fuzz-stream-request")
    for message in STREAM_MESSAGES:
        corpus.add(label(message), message.encode())
    return corpus


# Request targets the tests send as attacks; the documented paths come from docs/openapi.yaml.
HTTP_TARGETS = [
    "/", "/index.html", "/../etc/passwd", "/.git/config", "/api/market-data/quote/A;B", "/api/market-data/quote/A%00B",
    "/api/market-data/quotes?symbols=AAPL,MSFT&token=x", "/api/health?x=%00", "/api/brokers/ibkr%1f/positions",
    "/api/market-data/quote/%2500", "/api/positions/import", "/api/positions/7", "/%2e%2e/%2e%2e/etc/passwd",
]
HTTP_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]


def http_paths():
    """Byte 0 the method, byte 1 the cuts (fuzz-http-path), then the request line."""
    corpus = Corpus("fuzz-http-path")
    documented = re.findall(r"^  (/[^:\s]*):\s*$", (ROOT / "docs/openapi.yaml").read_text(), re.M)
    targets = [re.sub(r"\{[^}]*\}", "AAPL", path) for path in documented] + HTTP_TARGETS
    for index, target in enumerate(targets):
        method = index % len(HTTP_METHODS)
        line = f"{HTTP_METHODS[method]} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
        corpus.add(label(target), bytes([method, index * 37 % 256]) + line)
    return corpus


def main():
    for corpus in (tws_frames(), tws_requests(), symbols(), quote_patches(), positions_csv(), yahoo(), alphavantage(), publish(),
                   stream_requests(), http_paths(), clientportal(), tastytrade()):
        print(f"{corpus.dir.relative_to(ROOT)}: {corpus.count} seeds")


if __name__ == "__main__":
    main()
