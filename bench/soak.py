#!/usr/bin/env python3
"""A soak of the whole hub: tickhub-sim → tickhub → churning WebSocket and HTTP clients, with TWS faults on a
schedule, watching the hub's memory and file descriptors for growth.

    python3 bench/soak.py --minutes 30 [--bin DIR] [--out DIR] [--seed N]

Normally started by bench/soak.sh. Loopback only, no outside service (`--offline`); every loop is bounded in
count and time, every wait has a timeout, and both processes are stopped at the end. bench/README.md (Soak)
says what is measured and how the verdict is reached; the rules are in `Soak.windows()` and `Soak.report()`.
"""
import argparse
import asyncio
import collections
import contextlib
import csv
import datetime
import http.client
import json
import os
import pathlib
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse

import websockets

ROOT = pathlib.Path(__file__).resolve().parents[1]

# What the simulator lists (docs/simulator.md), plus --synthetic stocks S0001…; options on any listed stock exist.
NAMED_STOCKS = ["AAPL", "MSFT", "AMZN", "GOOGL", "NVDA", "TSLA", "META", "IBM", "JPM", "BRK B", "SPY", "QQQ"]
FX_PAIRS = ["EUR.USD", "GBP.USD", "USD.JPY"]
COINS = ["BTC", "ETH"]
OPTIONS = ["AAPL 271217C00200000", "MSFT 271217P00400000", "NVDA 271217C00150000", "QQQ 271217P00450000",
           "TSLA 271217C00300000", "SPY 271217P00550000"]
SYNTHETIC_STOCKS = 300
# Entries the symbol grammar refuses (invalid_symbol); a trader's typos and a confused program's values.
INVALID_ENTRIES = ["a b c", "", "AA$L", "X" * 40, "SPY 2712", "EUR..USD", 42, None]
# Error codes a well-behaved client can be sent for what this load does; anything else means the hub
# misread a valid message.
EXPECTED_STREAM_ERRORS = {"invalid_symbol", "unknown_symbol", "unavailable", "errors_suppressed"}
# The manual book: a fixed set of names, so the symbols it holds (always followed upstream) stay bounded.
BOOK_SYMBOLS = ["IBM", "JPM", "NVDA", "TSLA", "S0001", "S0002"]
BOOK = {"broker": "soakbroker", "account": "SOAK0001"}

# The simulator is deliberately kept at its defaults for lines (100) and pacing (50 messages/s per connection):
# the hub must stay within both through reconnects and churn. The hub is tuned so that the paths a soak should
# cover happen often within minutes rather than hours: idle symbols released after 10 s instead of 60, a
# non-reading client closed after 10 s instead of 30, a hung TWS noticed after 2 + 2 s instead of 10 + 5.
HUB_CONFIG = {
    "server": {"releaseIdleSymbolsSeconds": 10, "slowClientSeconds": 10, "pingIdleSeconds": 10,
               "idleHangupSeconds": 20, "firstQuoteWaitSeconds": 2},
    "ibkr": {"heartbeatIdleSeconds": 2, "heartbeatTimeoutSeconds": 2, "reconnectInitialSeconds": 0.25,
             "reconnectCapSeconds": 5, "connectTimeoutSeconds": 5},
}
SLOW_CLIENT_SECONDS = HUB_CONFIG["server"]["slowClientSeconds"]
RELEASE_SECONDS = HUB_CONFIG["server"]["releaseIdleSymbolsSeconds"]

# The fault cycle; each entry is injected in turn, `--fault-gap` seconds after the hub has recovered from the last.
FAULT_CYCLE = ["drop", "refuse", "stall", "link", "farm", "competing", "malformed"]
MALFORMED_KINDS = ["field", "length", "truncated"]
REFUSE_SECONDS = 3
STALL_SECONDS = 8
DEGRADED_HOLD_SECONDS = 3
# Faults that cost the hub its socket: recovery means a new connection, not just the state going back to ready.
SOCKET_FAULTS = {"drop", "refuse", "stall", "malformed"}

# Hub log lines at warning level and above that the injected faults explain, each with the faults that do.
# A line is explained only if one of its faults was injected shortly before it (see `LogLine.explained_by`);
# every other warning, error or critical line fails the soak.
EXPECTED_LOG_LINES = [
    ("warning", r"\[IBKR\] TWS connection lost$", {"drop", "refuse", "stall", "malformed"},
     "the simulator closed the socket (drop, refuse) or the hub closed it (stall, malformed)"),
    ("warning", r"\[IBKR\] could not connect to TWS at \S+: .*Connection refused", {"refuse"},
     "reconnect attempts while the simulator does not listen"),
    ("warning", r"\[IBKR\] connection to TWS failed, reconnecting: .*(reset by peer|Broken pipe|ECONNRESET|EPIPE)",
     {"drop", "refuse"}, "the simulator reset the socket as it dropped its connections"),
    ("warning", r"\[IBKR\] TWS sent nothing for \d+ s and did not answer reqCurrentTime within [\d.]+ s: "
                r"the connection is stalled; reconnecting$", {"stall"}, "the heartbeat finding a hung TWS"),
    ("error", r"\[IBKR\] bad data from TWS, reconnecting: TWS message \d+ field \d+ is malformed: \"not-a-price\"$",
     {"malformed:field"}, "a tickPrice with a non-numeric price"),
    ("error", r"\[IBKR\] bad data from TWS, reconnecting: TWS frame of \d+ bytes exceeds the \d+-byte limit$",
     {"malformed:length"}, "a length prefix of about 2 GiB"),
    ("error", r"\[IBKR\] bad data from TWS, reconnecting: TWS message \d+ ended at field \d+ before its layout did$",
     {"malformed:truncated"}, "a tickPrice cut short"),
]
# How long after a fault is over (its last injection, or the hub's recovery if later) its log lines may come.
EXPLAIN_AFTER_SECONDS = 30

# RSS and open fds must be flat within this: the median of the last window over that of the first window after
# the warm-up within 1 ± FLAT_LIMIT (Soak.windows() defines both). The same rule for two minutes as for thirty:
# on this machine two-minute runs measure 1.01–1.02, the margin is real, not noise to be widened.
FLAT_LIMIT = 0.05
# The anonymous part of the RSS (heap and thread stacks, about 8 MiB, against 45 MiB of file-backed pages of the
# debug executable and its libraries, which stop changing within seconds) is reported beside the verdict, not
# judged: it settles for tens of minutes, in steps that follow the number of Dispatch worker threads, and a 5 %
# band on it (400 KiB) lies inside that settling. What is settling and what would be a leak was told apart with
# glibc's malloc_stats() (gdb -p PID -batch -ex 'call (void)malloc_stats()') between batches of one fault kind:
# the bytes in use grow less with every batch (drops: +175 KB over the first 90, +2.7 KB over the last 300).


def log(*args):
    print("soak:", *args, file=sys.stderr, flush=True)


class SoakError(Exception):
    """A failure that ends the soak early (a process did not start, the hub died)."""


# HTTP, synchronous: run in worker threads, every call with a socket timeout.

def http_call(port, method, path, body=None, timeout=5.0):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["content-type"] = "application/json"
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def http_json(port, method, path, body=None, timeout=5.0):
    status, raw = http_call(port, method, path, body, timeout)
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, raw.decode("utf-8", "replace")


async def ahttp(port, method, path, body=None, timeout=5.0):
    """http_json off the event loop; the extra margin only covers thread hand-off, the socket timeout rules."""
    return await asyncio.wait_for(asyncio.to_thread(http_json, port, method, path, body, timeout), timeout + 5)


def quote_path(symbol):
    return "/api/market-data/quote/" + urllib.parse.quote(symbol, safe="")


# Processes

class Started:
    """A process writing to files in `work`, and the key=value pairs of its first 'listening' line."""

    def __init__(self, name, args, work, env, timeout=30):
        self.name = name
        self.out_path = work / f"{name}.out"
        self.err_path = work / f"{name}.log"
        self.out = open(self.out_path, "w")
        self.err = open(self.err_path, "w")
        self.proc = subprocess.Popen(args, stdout=self.out, stderr=self.err, stdin=subprocess.DEVNULL,
                                     env=env, cwd=work)
        deadline = time.monotonic() + timeout
        self.fields = {}
        while time.monotonic() < deadline:
            text = self.out_path.read_text()
            match = re.search(r"^.*listening.*$", text, re.M)
            if match:
                self.fields = dict(re.findall(r"(\w+)=(\S+)", match.group(0)))
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        self.stop()
        raise SoakError(f"{name} did not start: {self.err_path.read_text()[-2000:]}")

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def stop(self, timeout=10):
        """SIGTERM, then SIGKILL after `timeout`; returns the exit status and whether it needed the SIGKILL."""
        killed = False
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                killed = True
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.out.close()
        self.err.close()
        return self.proc.returncode, killed


def read_proc(pid):
    """Memory (KiB: RSS, and its anonymous and file-backed parts), threads, fds (all, sockets) and CPU ticks of a
    process, straight from /proc. The split tells heap growth (anonymous) from pages of the executable and its
    libraries touched for the first time as new code paths run (file-backed, a one-time cost)."""
    memory, threads = {}, None
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "RssAnon", "RssFile"):
                memory[key] = int(value.split()[0])
            elif key == "Threads":
                threads = int(value.split()[0])
    fds = sockets = 0
    for name in os.listdir(f"/proc/{pid}/fd"):
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/{pid}/fd/{name}")
            fds += 1
            sockets += target.startswith("socket:")
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu_ticks = int(fields[11]) + int(fields[12])
    return memory, threads, fds, sockets, cpu_ticks


def parse_metrics(text):
    """Each metric's value by name; a labelled one (requests by route and status, closes by code) as the sum of its
    series, the total the soak reports."""
    values = {}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        series, _, value = line.rpartition(" ")
        name = series.partition("{")[0]
        with contextlib.suppress(ValueError):
            values[name] = values.get(name, 0.0) + float(value)
    return values


METRICS = ["tickhub_updates_in_total", "tickhub_updates_out_total", "tickhub_updates_conflated_total",
           "tickhub_frames_written_total", "tickhub_clients_accepted_total", "tickhub_slow_clients_closed_total",
           "tickhub_idle_clients_closed_total", "tickhub_http_requests_total", "tickhub_bad_client_messages_total",
           "tickhub_client_errors_suppressed_total"]
CSV_FIELDS = ["t_s", "phase", "rss_kib", "rss_anon_kib", "rss_file_kib", "fds", "socket_fds", "threads", "cpu_percent",
              "clients", "subscriptions", "symbols", "ibkr_state", "health", "fault"] + [
                  m.removeprefix("tickhub_") for m in METRICS]


# The soak

class Soak:
    def __init__(self, args):
        self.args = args
        self.duration = args.minutes * 60
        self.seed = args.seed
        self.rng = random.Random(self.seed)
        self.stop_event = None
        self.t0 = None
        self.tally = collections.Counter()
        self.anomalies = []
        self.samples = []
        self.faults = []
        self.current_fault = ""
        self.book = {}  # position id → symbol
        self.unknown_serial = 0
        self.universe = self.make_universe()
        self.cycle = [name for name in args.faults.split(",") if name]

    # Time

    def now(self):
        return time.monotonic() - self.t0

    def stopping(self):
        return self.stop_event.is_set() or self.now() >= self.duration

    async def pause(self, seconds):
        """Sleeps up to `seconds`, less if the soak is ending."""
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.stop_event.wait(), max(0.0, min(seconds, self.duration - self.now())))

    def anomaly(self, text):
        self.tally["anomalies"] += 1
        if len(self.anomalies) < 200:
            self.anomalies.append(f"t={self.now():.1f}s {text}")

    # Symbols

    def make_universe(self):
        """Every valid symbol the simulator knows that the load uses, synthetic stocks with the named ones spread
        among them, so that the moving window always holds a few stocks, FX pairs, coins and options."""
        others = NAMED_STOCKS + FX_PAIRS + COINS + OPTIONS
        random.Random(self.seed).shuffle(others)
        synthetic = [f"S{i:04d}" for i in range(1, SYNTHETIC_STOCKS + 1)]
        step = len(synthetic) // len(others)
        universe = []
        for i, symbol in enumerate(synthetic):
            universe.append(symbol)
            if i % step == step - 1 and others:
                universe.append(others.pop())
        return universe + others

    def window(self):
        """The symbols in demand now: a stretch of the universe that moves on one symbol a second (--drift), so
        the hub keeps qualifying symbols it has not seen lately and releasing those nobody wants any more."""
        start = int(self.now() * self.args.drift) % len(self.universe)
        return [self.universe[(start + i) % len(self.universe)] for i in range(self.args.window)]

    def pick(self, rng, count):
        window = self.window()
        return rng.sample(window, min(count, len(window)))

    def unknown(self):
        """A well-formed symbol no provider knows, a new one each time: what a trader's guess looks like."""
        self.unknown_serial += 1
        return f"ZQ{self.unknown_serial:05d}"

    def with_oddities(self, rng, symbols):
        entries = list(symbols)
        if rng.random() < 0.25:
            entries.insert(rng.randrange(len(entries) + 1), rng.choice(INVALID_ENTRIES))
        if rng.random() < 0.25:
            entries.insert(rng.randrange(len(entries) + 1), self.unknown())
        return entries

    # Stream clients

    def stream_url(self):
        return f"ws://127.0.0.1:{self.hub_port}/stream"

    def connect(self, **options):
        settings = dict(proxy=None, compression=None, open_timeout=5, close_timeout=3, ping_interval=None,
                        max_size=2 ** 22)
        settings.update(options)
        return websockets.connect(self.stream_url(), **settings)

    def take(self, frame, kind):
        try:
            data = json.loads(frame)
        except ValueError:
            self.anomaly(f"{kind}: a frame that is not JSON: {frame[:120]!r}")
            return
        for message in data if isinstance(data, list) else [data]:
            kind_of = message.get("type") if isinstance(message, dict) else None
            if kind_of == "quote":
                self.tally["quotes received"] += 1
                if message.get("stale"):
                    self.tally["stale quotes received"] += 1
            elif kind_of == "error":
                code = message.get("code")
                self.tally[f"stream error {code}"] += 1
                if code not in EXPECTED_STREAM_ERRORS:
                    self.anomaly(f"{kind}: unexpected stream error {message}")
            elif kind_of in ("status", "pong", "pnl"):
                self.tally[f"{kind_of} messages"] += 1
            else:
                self.anomaly(f"{kind}: unexpected message {str(message)[:200]}")

    async def trader(self, slot, slow):
        """One seat of the pool: sessions one after another until the soak ends. A session connects, subscribes
        to some symbols in demand (now and then with a typo or an unknown name), reads for a while, moves part
        of its list once or twice, and leaves, usually with a close, sometimes by dropping the socket."""
        kind = "slow reader" if slow else "reader"
        rng = random.Random(self.seed * 1000 + slot)
        while not self.stopping():
            length = rng.uniform(15, 40) if slow else rng.uniform(4, 20)
            try:
                await asyncio.wait_for(self.trader_session(rng, kind, slow, length), length + 20)
            except asyncio.TimeoutError:
                self.anomaly(f"{kind} {slot}: a session did not finish within {length + 20:.0f} s")
            await self.pause(rng.uniform(0.1, 1.0))

    async def trader_session(self, rng, kind, slow, length):
        end = min(self.now() + length, self.duration)
        try:
            ws = await self.connect(max_queue=4 if slow else 16)
        except (OSError, asyncio.TimeoutError, websockets.InvalidHandshake) as error:
            self.anomaly(f"{kind}: could not connect: {error!r}")
            return
        self.tally[f"{kind} sessions"] += 1
        try:
            held = self.pick(rng, rng.randint(10, 20) if slow else rng.randint(3, 15))
            channels = [c for c, p in (("status", 0.3), ("pnl", 0.1)) if rng.random() < p]
            request = {"op": "subscribe", "symbols": self.with_oddities(rng, held)}
            if channels:
                request["channels"] = channels
            await ws.send(json.dumps(request))
            moves = sorted(rng.uniform(self.now(), end) for _ in range(rng.randint(0, 2)))
            next_ping = self.now() + rng.uniform(1, 5)
            while (remaining := end - self.now()) > 0 and not self.stop_event.is_set():
                if moves and self.now() >= moves[0]:
                    moves.pop(0)
                    leaving = rng.sample(held, len(held) // 2)
                    if leaving:
                        await ws.send(json.dumps({"op": "unsubscribe", "symbols": leaving}))
                    held = [s for s in held if s not in leaving]
                    joining = [s for s in self.pick(rng, len(leaving) + 1) if s not in held]
                    held += joining
                    await ws.send(json.dumps({"op": "subscribe", "symbols": self.with_oddities(rng, joining)}))
                    self.tally["resubscriptions"] += 1
                if self.now() >= next_ping:
                    await ws.send(json.dumps({"op": "ping", "id": rng.randrange(1 << 30)}))
                    next_ping = self.now() + rng.uniform(3, 8)
                try:
                    frame = await asyncio.wait_for(ws.recv(), min(remaining, 1.0))
                except asyncio.TimeoutError:
                    continue
                self.take(frame, kind)
                if slow:
                    # Slower than the feed, so conflation has to do its work, but steadily reading.
                    await asyncio.sleep(rng.uniform(0.1, 0.4))
            if rng.random() < 0.2:
                ws.transport.abort()
                self.tally[f"{kind} sockets dropped"] += 1
            else:
                await ws.close()
        except websockets.ConnectionClosed as closed:
            code = closed.rcvd.code if closed.rcvd else None
            self.tally[f"{kind} closed by the hub ({code})"] += 1
            if not (slow and code == 1013):
                self.anomaly(f"{kind}: closed by the hub: {closed!r}")
        finally:
            ws.transport.abort()

    async def non_reader(self, slot):
        """A client that subscribes and then never reads, on a socket with tiny buffers so that the hub's side
        fills within seconds: the hub must close it (1013) rather than hold its backlog."""
        rng = random.Random(self.seed * 1000 + 500 + slot)
        loop = asyncio.get_running_loop()
        while not self.stopping():
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 536)
            sock.setblocking(False)
            try:
                await asyncio.wait_for(loop.sock_connect(sock, ("127.0.0.1", self.hub_port)), 5)
                key = "dGhlIHNhbXBsZSBub25jZQ=="
                await asyncio.wait_for(loop.sock_sendall(sock, (
                    f"GET /stream HTTP/1.1\r\nHost: 127.0.0.1:{self.hub_port}\r\nUpgrade: websocket\r\n"
                    f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
                ).encode()), 5)
                head = b""
                while b"\r\n\r\n" not in head and len(head) < 16384:
                    chunk = await asyncio.wait_for(loop.sock_recv(sock, 4096), 5)
                    if not chunk:
                        break
                    head += chunk
                if not head.startswith(b"HTTP/1.1 101"):
                    self.anomaly(f"non-reader: upgrade refused: {head[:200]!r}")
                else:
                    self.tally["non-reader sessions"] += 1
                    payload = json.dumps({"op": "subscribe", "symbols": self.pick(rng, 30)}).encode()
                    await asyncio.wait_for(loop.sock_sendall(sock, masked_text_frame(payload)), 5)
                    await self.pause(SLOW_CLIENT_SECONDS + rng.uniform(5, 10))
            except (OSError, asyncio.TimeoutError) as error:
                self.anomaly(f"non-reader: {error!r}")
            finally:
                sock.close()
            await self.pause(rng.uniform(0.5, 2.0))

    # HTTP

    async def http_load(self):
        """Quote lookups twice a second, a write to the manual book every two seconds, and the book and the
        P&L read every ten, each answer checked against what the API promises."""
        rng = random.Random(self.seed * 1000 + 900)
        tick = 0
        while not self.stopping():
            tick += 1
            try:
                await self.lookup(rng)
                if tick % 4 == 0:
                    await self.book_write(rng)
                if tick % 20 == 0:
                    for path in ("/api/positions", "/api/portfolio/pnl"):
                        status, body = await ahttp(self.hub_port, "GET", path)
                        self.tally[f"http GET {path} {status}"] += 1
                        if status != 200:
                            self.anomaly(f"GET {path}: {status} {str(body)[:200]}")
            except (OSError, asyncio.TimeoutError, http.client.HTTPException) as error:
                self.anomaly(f"http: {error!r}")
            await self.pause(0.5)

    async def lookup(self, rng):
        draw = rng.random()
        if draw < 0.1:
            # 404 once IBKR has said it has no such contract; 503 if it has not within firstQuoteWaitSeconds
            # (requests queued behind the pacing limit after a reconnect).
            symbol, allowed = self.unknown(), {404, 503}
        elif draw < 0.15:
            symbol, allowed = rng.choice(["AA$L", "a b c", "X" * 40]), {400}
        else:
            # A quote IBKR cannot give right now (a fault under way, over the line budget) is 503 or stale.
            symbol, allowed = self.pick(rng, 1)[0], {200, 503}
        status, body = await ahttp(self.hub_port, "GET", quote_path(symbol))
        self.tally[f"http quote {status}"] += 1
        if status not in allowed:
            self.anomaly(f"GET quote {symbol!r}: {status} {str(body)[:200]}")

    async def book_write(self, rng):
        free = [s for s in BOOK_SYMBOLS if s not in self.book.values()]
        action = "create" if len(self.book) < 2 else rng.choice(["create", "update", "update", "delete"])
        if action == "create" and not free:
            action = "update"
        quantity = rng.choice([-1, 1]) * rng.randint(1, 500)
        cost = round(rng.uniform(5, 500), 2)
        if action == "create":
            symbol = rng.choice(free)
            status, body = await ahttp(self.hub_port, "POST", "/api/positions",
                                       {**BOOK, "symbol": symbol, "quantity": quantity, "avgCost": cost})
            ok = status == 201
            if ok:
                self.book[body["id"]] = symbol
        elif action == "update":
            position, symbol = rng.choice(list(self.book.items()))
            status, body = await ahttp(self.hub_port, "PUT", f"/api/positions/{position}",
                                       {"symbol": symbol, "quantity": quantity, "avgCost": cost})
            ok = status == 200
        else:
            position = rng.choice(list(self.book))
            status, body = await ahttp(self.hub_port, "DELETE", f"/api/positions/{position}")
            ok = status == 204
            if ok:
                del self.book[position]
        self.tally[f"http position {action} {status}"] += 1
        if not ok:
            self.anomaly(f"position {action}: {status} {str(body)[:200]}")

    # Faults

    async def control(self, path):
        status, body = await ahttp(self.control_port, "POST", path)
        if status != 200:
            raise SoakError(f"simulator control {path}: {status} {body}")

    async def ibkr_status(self):
        status, body = await ahttp(self.hub_port, "GET", "/api/ibkr/status")
        return body if status == 200 and isinstance(body, dict) else {}

    async def fault_schedule(self):
        """Faults one after another: each injected, then the hub given up to 30 s to be ready with fresh data,
        then `--fault-gap` seconds of calm. The last starts early enough for its recovery to fall in the run."""
        await self.pause(self.args.first_fault)
        index = 0
        while self.cycle and not self.stopping() and self.now() < self.duration - self.args.last_fault_margin:
            name = self.cycle[index % len(self.cycle)]
            lap = index // len(self.cycle)
            record = await self.inject(name, lap)
            self.faults.append(record)
            self.current_fault = ""
            self.tally[f"fault {record['kind']}"] += 1
            index += 1
            await self.pause(self.args.fault_gap)

    async def inject(self, name, lap):
        before = (await self.ibkr_status()).get("connections", 0)
        record = {"kind": name, "start": self.now(), "start_wall": time.time()}
        self.current_fault = name
        if name == "drop":
            await self.control("/fault/drop")
        elif name == "refuse":
            await self.control(f"/fault/refuse?seconds={REFUSE_SECONDS}")
            await asyncio.sleep(REFUSE_SECONDS)
        elif name == "stall":
            # Over when the hub has found the hang and moved to a new connection: the wait below.
            await self.control(f"/fault/stall?seconds={STALL_SECONDS}")
        elif name == "link":
            data_lost = 1 - lap % 2
            record["kind"] = f"link:{'1101' if data_lost else '1102'}"
            await self.control("/fault/link-lost")
            await asyncio.sleep(DEGRADED_HOLD_SECONDS)
            await self.control(f"/fault/link-restored?dataLost={data_lost}")
        elif name == "farm":
            await self.control("/fault/farm-broken")
            await asyncio.sleep(DEGRADED_HOLD_SECONDS)
            await self.control("/fault/farm-restored")
        elif name == "competing":
            await self.control("/fault/competing-session")
            await asyncio.sleep(DEGRADED_HOLD_SECONDS)
            await self.control("/fault/competing-session-ended")
        elif name == "malformed":
            kind = MALFORMED_KINDS[lap % len(MALFORMED_KINDS)]
            record["kind"] = f"malformed:{kind}"
            await self.control(f"/fault/malformed?kind={kind}")
        record["end"] = self.now()
        record["end_wall"] = time.time()
        record["recovered"] = await self.wait_recovered(name, before, record["end_wall"])
        record["recovered_wall"] = time.time() if record["recovered"] is not None else None
        if record["recovered"] is None:
            self.anomaly(f"no recovery within 30 s after {record['kind']}")
        return record

    async def wait_recovered(self, name, connections_before, since_wall):
        """Seconds from the end of the fault until IBKR is ready (over a new connection for the faults that
        cost the socket) and AAPL, which the portfolio holds, has a live quote the hub received after the
        fault; None if that takes over 30 s."""
        loop_start = time.monotonic()
        while time.monotonic() - loop_start < 30:
            with contextlib.suppress(OSError, asyncio.TimeoutError, http.client.HTTPException):
                status = await self.ibkr_status()
                fresh_socket = name not in SOCKET_FAULTS or status.get("connections", 0) > connections_before
                if status.get("state") == "ready" and fresh_socket:
                    code, quote = await ahttp(self.hub_port, "GET", quote_path("AAPL"))
                    if code == 200 and not quote.get("stale") and quote.get("t", 0) / 1e6 > since_wall:
                        return round(time.monotonic() - loop_start, 3)
            await asyncio.sleep(0.2)
        return None

    # Sampling

    async def sampler(self):
        previous = None
        while True:
            t = self.now()
            if not self.hub.alive():
                self.anomaly(f"the hub exited at t={t:.1f}s with {self.hub.proc.returncode}")
                self.stop_event.set()
                return
            try:
                memory, threads, fds, sockets, ticks = read_proc(self.hub.pid)
            except OSError as error:
                self.anomaly(f"cannot read /proc for the hub: {error!r}")
                self.stop_event.set()
                return
            cpu = None
            if previous:
                cpu = round(100 * (ticks - previous[1]) / os.sysconf("SC_CLK_TCK") / max(1e-6, t - previous[0]), 1)
            previous = (t, ticks)
            row = {"t_s": round(t, 2), "phase": "warmup" if t < self.warmup else "measure",
                   "rss_kib": memory["VmRSS"], "rss_anon_kib": memory.get("RssAnon"),
                   "rss_file_kib": memory.get("RssFile"), "fds": fds, "socket_fds": sockets, "threads": threads,
                   "cpu_percent": cpu, "fault": self.current_fault}
            try:
                status, health = await ahttp(self.hub_port, "GET", "/api/health")
                if isinstance(health, dict):
                    ibkr = next((p for p in health.get("providers", []) if p.get("name") == "ibkr"), {})
                    row.update(clients=health.get("clients"), subscriptions=health.get("subscriptions"),
                               symbols=health.get("symbols"), ibkr_state=ibkr.get("state"),
                               health=health.get("status"))
                status, text = await asyncio.wait_for(
                    asyncio.to_thread(http_call, self.hub_port, "GET", "/metrics"), 10)
                metrics = parse_metrics(text.decode())
                for name in METRICS:
                    row[name.removeprefix("tickhub_")] = int(metrics.get(name, 0))
            except (OSError, asyncio.TimeoutError, http.client.HTTPException) as error:
                self.anomaly(f"sampling the hub's health and metrics: {error!r}")
            self.samples.append(row)
            if t >= self.duration:
                return
            # Aligned to the sampling grid, so a slow sample does not shift the rest.
            next_t = (int(t / self.sample_seconds) + 1) * self.sample_seconds
            await asyncio.sleep(max(0.0, min(next_t, self.duration) - self.now()))

    # Running it

    async def load(self):
        self.stop_event = asyncio.Event()
        self.t0 = time.monotonic()
        sampler = asyncio.create_task(self.sampler())
        workers = [asyncio.create_task(self.trader(i, slow=False)) for i in range(self.args.readers)]
        workers += [asyncio.create_task(self.trader(100 + i, slow=True)) for i in range(self.args.slow_readers)]
        workers += [asyncio.create_task(self.non_reader(i)) for i in range(self.args.non_readers)]
        workers += [asyncio.create_task(self.http_load()), asyncio.create_task(self.fault_schedule())]
        await sampler
        self.stop_event.set()
        # Every worker ends within a session's bound once stop is set; the margin covers a recovery wait.
        done, pending = await asyncio.wait(workers, timeout=45)
        for task in pending:
            self.anomaly(f"a load task did not stop in time: {task.get_coro().__name__}")
            task.cancel()
        for task in done:
            if task.exception():
                self.anomaly(f"load task {task.get_coro().__name__} failed: {task.exception()!r}")

    async def fresh_client(self):
        """A new client, after everything: AAPL (held, followed throughout) and a symbol far from the last window
        (so a new upstream subscription) must both arrive live from IBKR within 15 s."""
        far = self.universe[(self.universe.index(self.window()[0]) + len(self.universe) // 2) % len(self.universe)]
        wanted = {"AAPL", far}
        live = {}
        async with self.connect() as ws:
            await ws.send(json.dumps({"op": "subscribe", "symbols": sorted(wanted)}))
            deadline = time.monotonic() + 15
            while wanted - live.keys() and (remaining := deadline - time.monotonic()) > 0:
                with contextlib.suppress(asyncio.TimeoutError):
                    data = json.loads(await asyncio.wait_for(ws.recv(), remaining))
                    for m in data if isinstance(data, list) else [data]:
                        if (m.get("type") == "quote" and m.get("symbol") in wanted and not m.get("stale")
                                and m.get("source") == "ibkr" and abs(m["t"] / 1e6 - time.time()) < 10):
                            live[m["symbol"]] = m
        return wanted, live

    async def until(self, what, probe, timeout):
        """Polls `probe` (async, returns a value or None) until it gives a value; (value, seconds) or (None, timeout)."""
        start = time.monotonic()
        while True:
            with contextlib.suppress(OSError, asyncio.TimeoutError, http.client.HTTPException):
                value = await probe()
                if value is not None:
                    return value, round(time.monotonic() - start, 2)
            if time.monotonic() - start > timeout:
                return None, timeout
            await asyncio.sleep(0.25)

    async def baseline(self):
        """The hub at rest, before any load: IBKR ready with the portfolio's symbols, and what it holds then."""
        async def ready():
            status = await self.ibkr_status()
            code, health = await ahttp(self.hub_port, "GET", "/api/health")
            if status.get("state") == "ready" and health.get("quotes", 0) >= health.get("symbols", 1) > 0:
                return health
        health, _ = await self.until("IBKR ready", ready, 30)
        if health is None:
            raise SoakError("IBKR did not become ready with every held symbol quoted within 30 s of start")
        await asyncio.sleep(1)
        _, health = await ahttp(self.hub_port, "GET", "/api/health")
        _, sim = await ahttp(self.control_port, "GET", "/status")
        memory, threads, fds, sockets, _ = read_proc(self.hub.pid)
        return {"symbols": health["symbols"], "sim_subscriptions": sim["subscriptions"], "rss_kib": memory["VmRSS"],
                "fds": fds, "socket_fds": sockets, "threads": threads}

    async def aftermath(self):
        """What must hold once the load has stopped: the hub alive, IBKR ready, a fresh client served live, and
        the hub's per-client and per-symbol state (and the simulator's market-data lines) back where they were
        before the load."""
        end = {"alive": self.hub.alive()}
        if not end["alive"]:
            return end

        async def ready():
            status = await self.ibkr_status()
            return status if status.get("state") == "ready" else None
        status, end["ready_after"] = await self.until("IBKR ready", ready, 30)
        end["ibkr_state"] = status.get("state") if status else (await self.ibkr_status()).get("state")
        try:
            end["fresh_wanted"], end["fresh_live"] = await asyncio.wait_for(self.fresh_client(), 30)
        except (OSError, asyncio.TimeoutError, websockets.WebSocketException) as error:
            end["fresh_wanted"], end["fresh_live"] = {"AAPL"}, {}
            end["fresh_error"] = repr(error)

        # The manual book emptied, so that nothing it held keeps symbols followed.
        for position in list(self.book):
            code, _ = await ahttp(self.hub_port, "DELETE", f"/api/positions/{position}")
            if code == 204:
                del self.book[position]

        async def no_clients():
            _, health = await ahttp(self.hub_port, "GET", "/api/health")
            return health if health.get("clients") == 0 and health.get("subscriptions") == 0 else None
        health, end["clients_gone_after"] = await self.until("no clients", no_clients, 20)
        end["clients_gone"] = health is not None

        async def symbols_released():
            _, health = await ahttp(self.hub_port, "GET", "/api/health")
            _, sim = await ahttp(self.control_port, "GET", "/status")
            if health.get("symbols") == self.base["symbols"] and sim.get("subscriptions") == self.base["sim_subscriptions"]:
                return health, sim
        released, end["released_after"] = await self.until("symbols released", symbols_released, RELEASE_SECONDS + 30)
        end["released"] = released is not None
        _, health = await ahttp(self.hub_port, "GET", "/api/health")
        _, sim = await ahttp(self.control_port, "GET", "/status")
        end["symbols"], end["sources"] = health.get("symbols"), sorted(health.get("sources", {}))
        end["sim_subscriptions"], end["sim_malformed"] = sim.get("subscriptions"), sim.get("malformedRequests")
        memory, end["threads"], end["fds"], end["socket_fds"], _ = read_proc(self.hub.pid)
        end["rss_kib"] = memory["VmRSS"]
        return end

    def run(self):
        work = pathlib.Path(tempfile.mkdtemp(prefix="tickhub-soak-"))
        self.logs = pathlib.Path(self.args.logs)
        self.logs.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items()
               if k not in ("TICKHUB_TOKEN", "TICKHUB_PUBLISH_TOKEN", "ALPHAVANTAGE_API_KEY", "LOG_LEVEL")}
        env["TICKHUB_DATA_DIR"] = str(work)
        bin_dir = pathlib.Path(self.args.bin).resolve()
        self.sim = self.hub = None
        self.warmup = max(20.0, 0.2 * self.duration)
        self.sample_seconds = 1.0 if self.duration < 120 else 2.0
        stop_signals = {}

        def interrupted(signum, frame):
            raise KeyboardInterrupt(f"signal {signum}")
        for sig in (signal.SIGTERM, signal.SIGHUP):
            stop_signals[sig] = signal.signal(sig, interrupted)
        try:
            self.sim = Started("sim", [str(bin_dir / "tickhub-sim"), "--port", "0", "--control-port", "0", "--clock", "open",
                                       "--synthetic", str(SYNTHETIC_STOCKS), "--tick-rate", str(self.args.tick_rate),
                                       "--seed", str(self.seed)], work, env)
            self.control_port = int(self.sim.fields["control"])
            (work / "config.json").write_text(json.dumps(HUB_CONFIG))
            self.hub = Started("hub", [str(bin_dir / "tickhub"), "--config", str(work / "config.json"), "--offline",
                                       "--no-dashboard", "--listen", "127.0.0.1:0",
                                       "--ibkr-port", self.sim.fields["port"]], work, env)
            self.hub_port = int(self.hub.fields["port"])
            self.version = subprocess.run([str(bin_dir / "tickhub"), "--version"], capture_output=True, text=True,
                                          timeout=10).stdout.strip()
            log(f"hub pid {self.hub.pid} on port {self.hub_port}, simulator control on {self.control_port}; "
                f"{self.args.minutes:g} min of load (seed {self.seed}), warm-up {self.warmup:.0f} s")
            loop = asyncio.new_event_loop()
            try:
                self.base = loop.run_until_complete(self.baseline())
                self.started_wall = time.time()
                loop.run_until_complete(self.load())
                log("load over; checking the hub at rest")
                self.end = loop.run_until_complete(self.aftermath())
            finally:
                loop.run_until_complete(loop.shutdown_default_executor())
                loop.close()
            self.end["exit"], self.end["killed"] = self.hub.stop()
            self.sim.stop()
            self.keep_logs(work)
            return self.report()
        finally:
            for process in (self.hub, self.sim):
                if process is not None:
                    process.stop()
            self.keep_logs(work)
            shutil.rmtree(work, ignore_errors=True)
            for sig, previous in stop_signals.items():
                signal.signal(sig, previous)

    def keep_logs(self, work):
        for name in ("hub.log", "hub.out", "sim.log", "sim.out"):
            with contextlib.suppress(OSError):
                shutil.copy(work / name, self.logs / name)

    # The verdict

    def windows(self):
        """The two windows compared: [warm-up, warm-up + L) and [D − L, D], L = 10 % of the run (at least 20 s,
        at most half of what follows the warm-up)."""
        length = min(max(20.0, 0.1 * self.duration), (self.duration - self.warmup) / 2)
        first = [s for s in self.samples if self.warmup <= s["t_s"] < self.warmup + length]
        last = [s for s in self.samples if self.duration - length <= s["t_s"] <= self.duration]
        return length, first, last

    def report(self):
        failures = []
        length, first, last = self.windows()
        flat = []
        if len(first) < 3 or len(last) < 3:
            failures.append(f"too few samples to judge ({len(first)} and {len(last)} in the windows): run longer")
        else:
            for metric, label, judged in (("rss_kib", "RSS (KiB)", True), ("fds", "open fds", True),
                                          ("rss_anon_kib", "of the RSS, anonymous (KiB)", False)):
                a = statistics.median(s[metric] for s in first)
                b = statistics.median(s[metric] for s in last)
                ratio = b / a
                ok = abs(ratio - 1) <= FLAT_LIMIT
                # The anonymous part alone is reported, not judged: see FLAT_LIMIT.
                flat.append((label, a, b, ratio, ok if judged else None))
                if judged and not ok:
                    failures.append(f"{label} not flat: median {a:g} in [{self.warmup:.0f} s, {self.warmup + length:.0f} s) "
                                    f"against {b:g} in [{self.duration - length:.0f} s, {self.duration:.0f} s], "
                                    f"ratio {ratio:.3f} (limit 1 ± {FLAT_LIMIT})")
        lines = scan_log(self.logs / "hub.log", self.faults)
        unexplained = [line for line in lines if line.level in ("warning", "error", "critical") and not line.explanation]
        if unexplained:
            failures.append(f"{len(unexplained)} hub log line(s) at warning level or above that no fault explains, "
                            f"first: {unexplained[0].text}")
        end = self.end
        if not end.get("alive"):
            failures.append(f"the hub is not alive at the end (exit status {self.hub.proc.returncode}): see "
                            f"{self.logs / 'hub.log'}")
        else:
            if end.get("ibkr_state") != "ready":
                failures.append(f"IBKR did not recover to ready after the last fault (state {end.get('ibkr_state')!r})")
            missing = sorted(end["fresh_wanted"] - end["fresh_live"].keys())
            if missing:
                failures.append(f"a fresh client got no live quote for {', '.join(missing)} within 15 s "
                                f"{end.get('fresh_error', '')}".rstrip())
            if not end["clients_gone"]:
                failures.append("the hub still counts clients or subscriptions 20 s after every client left")
            if not end["released"]:
                failures.append(f"symbols not released after the load: the hub follows {end['symbols']} "
                                f"(before the load: {self.base['symbols']}), the simulator holds "
                                f"{end['sim_subscriptions']} market-data lines (before: {self.base['sim_subscriptions']}); "
                                f"followed now: {', '.join(end['sources'])}")
            if end.get("sim_malformed"):
                failures.append(f"the simulator counted {end['sim_malformed']} malformed requests from the hub")
            if end.get("killed") or end.get("exit") != 0:
                failures.append(f"the hub did not shut down cleanly on SIGTERM (exit {end.get('exit')}, "
                                f"{'killed after 10 s' if end.get('killed') else 'not killed'})")
        if self.anomalies:
            failures.append(f"{len(self.anomalies)} load anomalies, first: {self.anomalies[0]}")
        kinds = {f["kind"].split(":")[0] for f in self.faults}
        missing_kinds = [k for k in self.cycle if k not in kinds]
        if missing_kinds and self.duration >= 120:
            failures.append(f"faults never injected (run too short?): {', '.join(missing_kinds)}")
        if self.args.readers + self.args.slow_readers and not self.tally["quotes received"]:
            failures.append("the clients received no quotes at all")

        out = pathlib.Path(self.args.out)
        out.mkdir(parents=True, exist_ok=True)
        with open(out / "soak.csv", "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=CSV_FIELDS, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(self.samples)
        summary = self.summary(flat, length, lines, unexplained, failures)
        (out / "summary.md").write_text(summary)
        print(summary)
        if failures:
            for failure in failures:
                print(f"soak: FAIL: {failure}", file=sys.stderr)
            print(f"soak: logs in {self.logs}, curve in {out / 'soak.csv'}", file=sys.stderr)
            return 1
        print(f"soak: PASS ({out / 'summary.md'}, {out / 'soak.csv'})", file=sys.stderr)
        return 0

    def summary(self, flat, length, lines, unexplained, failures):
        measured = [s for s in self.samples if s["t_s"] >= self.warmup]
        cpu = [s["cpu_percent"] for s in self.samples if s["cpu_percent"] is not None]
        out = [f"# Tickhub soak, {datetime.datetime.fromtimestamp(self.started_wall, datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
               "",
               f"{'PASS' if not failures else 'FAIL'}: {self.args.minutes:g} minutes of churn and TWS faults; "
               f"`{self.version}` from `{self.args.bin}`; seed {self.seed}; {machine()}.",
               "",
               f"Warm-up: the first {self.warmup:.0f} s (20 % of the run, at least 20 s). Compared: the median of the "
               f"samples in [{self.warmup:.0f} s, {self.warmup + length:.0f} s) against the median of those in "
               f"[{self.duration - length:.0f} s, {self.duration:.0f} s] (windows of 10 % of the run, at least 20 s); "
               f"flat means the ratio is within 1 ± {FLAT_LIMIT}. One sample every {self.sample_seconds:g} s.",
               "",
               "| measure | first window | last window | ratio | verdict |",
               "|---|---|---|---|---|"]
        for label, a, b, ratio, ok in flat:
            verdict = "reported, not judged" if ok is None else "flat" if ok else "NOT FLAT"
            out.append(f"| {label} | {a:,.0f} | {b:,.0f} | {ratio:.3f} | {verdict} |")
        out += ["", "The curve (whole run; `soak.csv` has every sample):", "",
                "| measure | start | end | min | max | after warm-up: min / max | growth after warm-up (least squares) |",
                "|---|---|---|---|---|---|---|"]
        for metric, label, unit in (("rss_kib", "RSS MiB", 1024), ("rss_anon_kib", "of which anonymous MiB", 1024),
                                    ("rss_file_kib", "of which file-backed MiB", 1024), ("fds", "open fds", 1),
                                    ("threads", "threads", 1)):
            values = [s[metric] for s in self.samples]
            after = [s[metric] for s in measured]
            slope = slope_per_minute([(s["t_s"], s[metric]) for s in measured])
            fmt = (lambda v: f"{v / unit:.1f}") if unit != 1 else (lambda v: f"{v:.0f}")
            out.append(f"| {label} | {fmt(values[0])} | {fmt(values[-1])} | {fmt(min(values))} | {fmt(max(values))} "
                       f"| {fmt(min(after))} / {fmt(max(after))} | {slope / unit:+.3f} per minute |")
        out += ["", f"Before the load: RSS {self.base['rss_kib'] / 1024:.1f} MiB, {self.base['fds']} fds "
                f"({self.base['socket_fds']} sockets), {self.base['threads']} threads, {self.base['symbols']} symbols "
                f"followed (the portfolio's). At rest after it: RSS {self.end.get('rss_kib', 0) / 1024:.1f} MiB, "
                f"{self.end.get('fds')} fds ({self.end.get('socket_fds')} sockets), {self.end.get('threads')} threads, "
                f"{self.end.get('symbols')} symbols. Hub CPU: median {statistics.median(cpu) if cpu else 0:.0f} % of a "
                f"core, max {max(cpu) if cpu else 0:.0f} %.", ""]
        out += ["Along the run (the sample nearest each tenth):", "",
                "| t s | RSS MiB | fds | clients | subscriptions | symbols | IBKR | fault under way |",
                "|---|---|---|---|---|---|---|---|"]
        for k in range(11):
            target = self.duration * k / 10
            s = min(self.samples, key=lambda s: abs(s["t_s"] - target))
            out.append(f"| {s['t_s']:.0f} | {s['rss_kib'] / 1024:.1f} | {s['fds']} | {s.get('clients')} | "
                       f"{s.get('subscriptions')} | {s.get('symbols')} | {s.get('ibkr_state')} | {s.get('fault') or ''} |")
        first, last = self.samples[0], self.samples[-1]
        delta = {m: last.get(m.removeprefix("tickhub_"), 0) - first.get(m.removeprefix("tickhub_"), 0) for m in METRICS}
        out += ["", "## Load", "",
                f"{self.args.readers} readers, {self.args.slow_readers} slow readers and {self.args.non_readers} "
                f"non-readers on `/stream`, drawing from a window of {self.args.window} symbols that moves "
                f"{self.args.drift:g} a second through {len(self.universe)} (stocks, FX, coins, options), with "
                f"invalid entries and unknown names mixed in; the simulator at {self.args.tick_rate} ticks/s.", "",
                "| what | count |", "|---|---|"]
        for key in sorted(self.tally):
            out.append(f"| {key} | {self.tally[key]:,} |")
        out += [f"| hub: updates in / out / conflated | {delta['tickhub_updates_in_total']:,} / "
                f"{delta['tickhub_updates_out_total']:,} / {delta['tickhub_updates_conflated_total']:,} |",
                f"| hub: clients accepted / closed as slow / closed as idle | {delta['tickhub_clients_accepted_total']:,} / "
                f"{delta['tickhub_slow_clients_closed_total']:,} / {delta['tickhub_idle_clients_closed_total']:,} |",
                f"| hub: HTTP requests | {delta['tickhub_http_requests_total']:,} |"]
        out += ["", "## Faults", "",
                f"Every {self.args.fault_gap:g} s after the hub recovered from the previous one; recovery is from the end "
                "of the fault to IBKR ready (on a new connection when the fault cost the socket) with a live AAPL "
                "quote received after the fault.", "",
                "| fault | injected | recovery median s | recovery max s |", "|---|---|---|---|"]
        by_kind = collections.defaultdict(list)
        for f in self.faults:
            by_kind[f["kind"]].append(f["recovered"])
        for kind in sorted(by_kind):
            times = [t for t in by_kind[kind] if t is not None]
            failed = len(by_kind[kind]) - len(times)
            out.append(f"| {kind} | {len(by_kind[kind])} | {round(statistics.median(times), 3) if times else '-'} | "
                       f"{max(times) if times else '-'}{f' ({failed} never)' if failed else ''} |")
        levels = collections.Counter(line.level for line in lines)
        out += ["", "## Hub log", "",
                "Lines by level: " + ", ".join(f"{k} {v:,}" for k, v in sorted(levels.items())) + ".", "",
                "| level | expected line | explained by | seen |", "|---|---|---|---|"]
        seen = collections.Counter(line.explanation for line in lines if line.explanation)
        for level, pattern, faults, why in EXPECTED_LOG_LINES:
            out.append(f"| {level} | `{pattern}` ({why}) | {', '.join(sorted(faults))} | {seen[pattern]:,} |")
        if unexplained:
            out += ["", f"Unexplained ({len(unexplained)}):", "", "```"]
            out += [line.text for line in unexplained[:30]]
            out += ["```"]
        end = self.end
        out += ["", "## At the end", "",
                f"- hub alive after the load: {'yes' if end.get('alive') else 'NO'}; IBKR {end.get('ibkr_state')} "
                f"{end.get('ready_after')} s after the load stopped",
                f"- a fresh client: live quotes for {', '.join(sorted(end.get('fresh_live', {}))) or 'nothing'} "
                f"(wanted {', '.join(sorted(end.get('fresh_wanted', [])))})",
                f"- clients and subscriptions back to 0: {'yes' if end.get('clients_gone') else 'NO'}; symbols released "
                f"to the {self.base['symbols']} held: {'yes' if end.get('released') else 'NO'} "
                f"({end.get('released_after')} s); simulator lines {end.get('sim_subscriptions')} "
                f"(before: {self.base['sim_subscriptions']}); malformed requests seen by the simulator: "
                f"{end.get('sim_malformed')}",
                f"- SIGTERM: exit {end.get('exit')}{' after SIGKILL' if end.get('killed') else ''}"]
        if self.anomalies:
            out += ["", f"## Load anomalies ({len(self.anomalies)})", "", "```"] + self.anomalies[:30] + ["```"]
        if failures:
            out += ["", "## Failures", ""] + [f"- {f}" for f in failures]
        return "\n".join(out) + "\n"


class LogLine:
    # `2026-12-01T12:29:27+0000 warning tickhub.ibkr: [IBKR] TWS connection lost` (swift-log), or libwebsockets'
    # own `[2026/12/01 12:29:27:1234] E: …`.
    HUB = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}) (trace|debug|info|notice|warning|error|critical) "
                     r"(\S+): (.*)$")
    LWS = re.compile(r"^\[(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d):\d+\] ([EWNIU]|ERR|WARN|NOTICE|USER): (.*)$")

    def __init__(self, text):
        self.text = text
        self.explanation = None
        if m := self.HUB.match(text):
            self.time = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S%z").timestamp()
            self.level, self.message = m.group(2), m.group(4)
        elif m := self.LWS.match(text):
            self.time = datetime.datetime.strptime(m.group(1), "%Y/%m/%d %H:%M:%S").astimezone().timestamp()
            self.level = {"E": "error", "ERR": "error", "W": "warning", "WARN": "warning"}.get(m.group(2), "notice")
            self.message = m.group(3)
        else:
            # Not a log line (a crash report, a runtime warning): judged by its words alone.
            self.time = None
            self.message = text
            self.level = "error" if re.search(r"error|warn|fatal|crit|panic|abort|assert|leak", text, re.I) else "notice"

    def explained_by(self, faults):
        if self.time is None:
            return None
        for level, pattern, kinds, _ in EXPECTED_LOG_LINES:
            if level != self.level or not re.search(pattern, self.message):
                continue
            for f in faults:
                kind, family = f["kind"], f["kind"].split(":")[0]
                if kind not in kinds and family not in kinds:
                    continue
                over = max(f["end_wall"], f["recovered_wall"] or f["end_wall"])
                # Log times are whole seconds.
                if f["start_wall"] - 1 <= self.time <= over + EXPLAIN_AFTER_SECONDS:
                    return pattern
        return None


def scan_log(path, faults):
    lines = []
    with contextlib.suppress(OSError):
        for text in path.read_text(errors="replace").splitlines():
            if text.strip():
                line = LogLine(text)
                line.explanation = line.explained_by(faults)
                lines.append(line)
    return lines


def masked_text_frame(payload):
    mask = os.urandom(4)
    if len(payload) < 126:
        header = bytes([0x81, 0x80 | len(payload)])
    else:
        header = bytes([0x81, 0x80 | 126]) + struct.pack("!H", len(payload))
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def slope_per_minute(points):
    if len(points) < 2:
        return 0.0
    mean_t = statistics.fmean(t for t, _ in points)
    mean_v = statistics.fmean(v for _, v in points)
    var = sum((t - mean_t) ** 2 for t, _ in points)
    return 60 * sum((t - mean_t) * (v - mean_v) for t, v in points) / var if var else 0.0


def machine():
    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
                 platform.processor())
    return f"{os.cpu_count()} cores, {model}, Linux {platform.release()}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--bin", default=os.environ.get("TICKHUB_BIN_DIR", str(ROOT / ".build" / "debug")))
    parser.add_argument("--out", help="where soak.csv and summary.md go (default: bench/results/soak for runs of "
                                      "30 minutes or more, bench/results/tmp/soak otherwise)")
    parser.add_argument("--logs", default=str(ROOT / "bench" / "results" / "tmp" / "soak" / "logs"))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--readers", type=int, default=16)
    parser.add_argument("--slow-readers", type=int, default=2)
    parser.add_argument("--non-readers", type=int, default=2)
    parser.add_argument("--window", type=int, default=40, help="symbols in demand at any time")
    parser.add_argument("--drift", type=float, default=1.0, help="symbols the window moves on per second")
    parser.add_argument("--tick-rate", type=int, default=1000)
    parser.add_argument("--first-fault", type=float, default=5.0)
    parser.add_argument("--fault-gap", type=float, default=10.0)
    parser.add_argument("--faults", default=",".join(FAULT_CYCLE),
                        help="the fault cycle, comma-separated (default: all of them, in this order); empty for none")
    parser.add_argument("--last-fault-margin", type=float, default=25.0,
                        help="no fault starts in the last this many seconds")
    args = parser.parse_args()
    if not args.minutes > 0:
        parser.error("--minutes must be positive")
    if unknown := set(filter(None, args.faults.split(","))) - set(FAULT_CYCLE):
        parser.error(f"unknown faults {', '.join(sorted(unknown))}: choose from {', '.join(FAULT_CYCLE)}")
    if args.out is None:
        args.out = str(ROOT / "bench" / "results" / ("soak" if args.minutes >= 30 else "tmp/soak"))
    try:
        return Soak(args).run()
    except SoakError as error:
        print(f"soak: FAIL: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as interrupt:
        print(f"soak: interrupted ({interrupt}); processes stopped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
