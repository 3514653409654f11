"""Helpers for test_stream.py and test_http_api.py: a real `tickhub --demo` process on a loopback port, HTTP to it
with http.client, WebSocket clients (websockets 17) and a raw-socket WebSocket client that reads only when told.

Loopback only; every wait is bounded."""
import asyncio
import base64
import contextlib
import hashlib
import http.client
import json
import os
import socket
import struct
import threading
import time

import websockets

from conftest import BIN, Process


@contextlib.contextmanager
def environment(**values):
    """Sets (str) or removes (None) environment variables for the duration; Popen inherits them."""
    saved = {name: os.environ.get(name) for name in values}
    try:
        for name, value in values.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"<HTTP {self.status} {self.text[:300]!r}>"


class Hub(Process):
    """`tickhub --demo --listen 127.0.0.1:0` (plus `extra` arguments). Its stdout and stderr are drained in the
    background so that a chatty hub never blocks on a full pipe; `output()` returns everything it wrote."""

    def __init__(self, *extra, token=None, timeout=20, providers="ibkr", env=None, wrapper=(), demo=True, tastytrade=False):
        """`wrapper` runs the hub under another command that execs it (`prlimit --fsize=…`), so pid stays the hub's;
        `demo=False` leaves out the built-in simulators, for a hub pointed at one the test runs; the demo's TastyTrade
        is left out unless `tastytrade`, so IBKR's positions are the demo's only ones."""
        demo_flags = (["--demo"] + ([] if tastytrade else ["--no-demo-tastytrade"])) if demo else []
        with environment(TICKHUB_TOKEN=token, TICKHUB_PROVIDERS=providers, **(env or {})):
            super().__init__([*wrapper, str(BIN / "tickhub"), *demo_flags, "--listen", "127.0.0.1:0", *extra],
                             r"tickhub: listening", timeout=timeout)
        self.port = int(self.fields["port"])
        self.pid = self.proc.pid
        self._chunks = {"stdout": [], "stderr": []}
        self._drains = [threading.Thread(target=self._drain, args=(name,), daemon=True) for name in self._chunks]
        for thread in self._drains:
            thread.start()

    def _drain(self, name):
        stream = getattr(self.proc, name)
        for line in iter(stream.readline, ""):
            self._chunks[name].append(line)

    def output(self):
        """Stops the hub and returns (stdout, stderr): everything after the ready line, and all of stderr."""
        self.stop()
        for thread in self._drains:
            thread.join(timeout=5)
        return "".join(self._chunks["stdout"]), "".join(self._chunks["stderr"])

    def stderr_so_far(self):
        return "".join(self._chunks["stderr"])

    # HTTP

    def request(self, method, path, headers=None, body=None, timeout=10):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return Response(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        finally:
            connection.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def ibkr_state(self, **kw):
        return self.get("/api/ibkr/status", **kw).json()["state"]

    def wait_for_ibkr(self, state="ready", timeout=10, **kw):
        """Polls /api/ibkr/status (bounded) until the provider is in `state`; returns the status object."""
        deadline = time.monotonic() + timeout
        while True:
            status = self.get("/api/ibkr/status", **kw).json()
            if status["state"] == state:
                return status
            assert time.monotonic() < deadline, f"IBKR still {status['state']!r} after {timeout} s, not {state!r}"
            time.sleep(0.05)

    def wait_for_positions(self, count=5, timeout=10, **kw):
        """Polls /api/positions (bounded) until it holds `count` positions (the demo portfolio's five once IBKR has
        synced them); returns the response body."""
        deadline = time.monotonic() + timeout
        while True:
            body = self.get("/api/positions", **kw).json()
            if len(body["positions"]) == count:
                return body
            assert time.monotonic() < deadline, f"{len(body['positions'])} positions after {timeout} s, not {count}"
            time.sleep(0.05)

    def rss_kib(self):
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise AssertionError("no VmRSS")

    # WebSocket

    def ws_url(self, path="/stream"):
        return f"ws://127.0.0.1:{self.port}{path}"

    def connect(self, path="/stream", **kw):
        """A websockets 17 client connection (use with `async with` or await it)."""
        options = dict(proxy=None, compression=None, open_timeout=5, close_timeout=3, ping_interval=None)
        options.update(kw)
        return websockets.connect(self.ws_url(path), **options)


QUOTE_FIELDS = {"type", "symbol", "bid", "ask", "last", "bidSize", "askSize", "lastSize", "volume", "open", "high",
                "low", "close", "change", "changePercent", "timestamp", "source", "delayed", "stale", "seq", "t"}


async def wait_until(predicate, timeout=5.0):
    """True once `predicate()` holds, polled as frames are decoded (ib_async updates its tickers so, with no event
    to await); False after `timeout` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


def now_us():
    return time.time_ns() // 1000


def decode(frame):
    """A frame is one message (an object) or several (an array of objects)."""
    data = json.loads(frame)
    if isinstance(data, list):
        assert data and all(isinstance(m, dict) for m in data), frame[:300]
        return data
    assert isinstance(data, dict), frame[:300]
    return [data]


# Messages a frame carried after the one `expect` returned, by connection (few connections per test process).
_leftovers = {}


async def expect(ws, predicate, timeout=5.0, what="a message", seen=None):
    """Reads messages until one satisfies `predicate`; returns it. Every message read goes to `seen`; messages
    after the match in the same frame are kept for the next call."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    leftover = _leftovers.setdefault(ws, [])
    while True:
        while leftover:
            message = leftover.pop(0)
            if seen is not None:
                seen.append(message)
            if predicate(message):
                return message
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise AssertionError(f"no {what} within {timeout} s")
        try:
            frame = await asyncio.wait_for(ws.recv(), remaining)
        except asyncio.TimeoutError:
            raise AssertionError(f"no {what} within {timeout} s") from None
        leftover.extend(decode(frame))


async def collect(ws, seconds):
    """Every message that arrives within `seconds` (an observation window), leftovers first."""
    loop = asyncio.get_running_loop()
    until = loop.time() + seconds
    messages = _leftovers.pop(ws, [])
    while (remaining := until - loop.time()) > 0:
        try:
            frame = await asyncio.wait_for(ws.recv(), remaining)
        except asyncio.TimeoutError:
            break
        messages.extend(decode(frame))
    return messages


def assert_quote_shape(m):
    assert m["type"] == "quote"
    assert QUOTE_FIELDS <= m.keys(), QUOTE_FIELDS - m.keys()
    assert m["source"] == "ibkr"
    assert isinstance(m["seq"], int) and m["seq"] >= 1
    assert isinstance(m["t"], int) and isinstance(m["timestamp"], int)
    # Same machine clock: the hub's receipt time (µs) and the quote's time (ms) are both close to now.
    assert abs(m["t"] - now_us()) < 60_000_000, m
    assert abs(m["timestamp"] - now_us() // 1000) < 60_000, m
    assert isinstance(m["stale"], bool) and isinstance(m["delayed"], bool)


@contextlib.contextmanager
def ready_hub(*extra, **options):
    """A `Hub` whose IBKR (the demo's simulator) is ready; stopped when the block ends."""
    hub = Hub(*extra, **options)
    try:
        hub.wait_for_ibkr("ready")
        yield hub
    finally:
        hub.stop()


class RawWebSocket:
    """A WebSocket client on a plain blocking socket: it reads only when asked, so the kernel buffers fill while
    it does not (quickly, with `small_buffers`)."""

    GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    def __init__(self, port, path="/stream", small_buffers=False, timeout=5.0, headers=(), tls_context=None):
        self.sock = small_buffer_socket() if small_buffers else socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(("127.0.0.1", port))
        if tls_context is not None:
            self.sock = tls_context.wrap_socket(self.sock, server_hostname="127.0.0.1")
        key = base64.b64encode(os.urandom(16)).decode()
        request = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n")
        request += "".join(f"{name}: {value}\r\n" for name, value in headers)
        self.sock.sendall((request + "\r\n").encode())
        self.buffer = b""
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in self.buffer:
            assert time.monotonic() < deadline and len(self.buffer) < 16384, "no handshake response"
            chunk = self.sock.recv(4096)
            if not chunk:
                break
            self.buffer += chunk
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        self.response_head = head.decode("latin-1")
        self.upgraded = self.response_head.startswith("HTTP/1.1 101")
        if self.upgraded:
            accept = base64.b64encode(hashlib.sha1((key + self.GUID).encode()).digest()).decode()
            assert f"sec-websocket-accept: {accept.lower()}" in self.response_head.lower(), self.response_head

    @property
    def local_port(self):
        return self.sock.getsockname()[1]

    def send_text(self, text, masked=True):
        """One text frame; `masked=False` sends it the way RFC 6455 forbids a client to."""
        payload = text.encode()
        bit = 0x80 if masked else 0
        header = bytes([0x81])
        if len(payload) < 126:
            header += bytes([bit | len(payload)])
        elif len(payload) < 65536:
            header += bytes([bit | 126]) + struct.pack("!H", len(payload))
        else:
            header += bytes([bit | 127]) + struct.pack("!Q", len(payload))
        if not masked:
            self.sock.sendall(header + payload)
            return
        mask = os.urandom(4)
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def _take(self, n, deadline):
        while len(self.buffer) < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no complete frame in time")
            self.sock.settimeout(remaining)
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("connection closed")
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def read_frame(self, timeout=5.0, controls=False):
        """(opcode, payload) of the next whole message from the server (unmasked frames); pings and pongs too
        with `controls`."""
        deadline = time.monotonic() + timeout
        opcode, payload = None, b""
        while True:
            b0, b1 = self._take(2, deadline)
            length = b1 & 0x7F
            if length == 126:
                length = struct.unpack("!H", self._take(2, deadline))[0]
            elif length == 127:
                length = struct.unpack("!Q", self._take(8, deadline))[0]
            assert not b1 & 0x80, "server frames are not masked"
            data = self._take(length, deadline)
            frame_opcode = b0 & 0x0F
            if frame_opcode >= 8:  # control frames may come between fragments
                if frame_opcode == 8 or controls:
                    return frame_opcode, data
                continue
            opcode = opcode if frame_opcode == 0 else frame_opcode
            payload += data
            if b0 & 0x80:
                return opcode, payload

    def close(self):
        with contextlib.suppress(OSError):
            self.sock.close()


def small_buffer_socket():
    """An unconnected TCP socket that makes the far end's send buffer fill quickly when we stop reading: a small
    receive buffer, and a small MSS announced in the SYN. (Over loopback the MSS is ~64 KiB, and Linux sizes the
    sender's buffer in MSS-sized segments, so it would otherwise absorb a minute of quotes before pushing back.)"""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 536)
    return sock


def tcp_queues(local_port, remote_port):
    """(tx_queue, rx_queue) bytes of the IPv4 TCP socket local_port -> remote_port, from /proc/net/tcp."""
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            local, remote, queues = fields[1], fields[2], fields[4]
            if int(local.split(":")[1], 16) == local_port and int(remote.split(":")[1], 16) == remote_port:
                tx, rx = queues.split(":")
                return int(tx, 16), int(rx, 16)
    return None


class NATSServer:
    """A real `nats-server -js` on a free loopback port, its JetStream store and log in `folder`. `stop()` (SIGTERM),
    `kill()` (SIGKILL), `restart()` (the same port and store, so a key-value bucket survives), `pause()`/`resume()`
    (SIGSTOP/SIGCONT: the server hangs with its sockets open, as behind a blocked network). Every wait is bounded."""

    def __init__(self, folder, port=None, configuration=None):
        """`configuration`: lines of a nats-server configuration file (`max_pending: 2MB`), beside the command
        line's listen address, JetStream and store, which win."""
        import pathlib
        import shutil
        self.folder = pathlib.Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.store = self.folder / "nats-store"
        self.log = self.folder / "nats-server.log"
        self.configuration = None
        if configuration:
            self.configuration = self.folder / "nats-server.conf"
            self.configuration.write_text(configuration)
        self.executable = shutil.which("nats-server") or "/usr/sbin/nats-server"
        if port is None:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
        self.port = port
        self.proc = None
        self.start()

    @property
    def url(self):
        return f"nats://127.0.0.1:{self.port}"

    def start(self, timeout=10):
        import subprocess
        self.proc = subprocess.Popen(
            [self.executable, "-js", "-a", "127.0.0.1", "-p", str(self.port), "-sd", str(self.store), "-l", str(self.log),
             *(["-c", str(self.configuration)] if self.configuration else [])],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            with socket.socket() as probe:
                probe.settimeout(0.5)
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.02)
        self.kill()
        tail = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
        raise RuntimeError(f"nats-server did not listen on {self.port}: {tail}")

    def _end(self, how):
        import subprocess
        if self.proc is None:
            return
        if self.proc.poll() is None:
            how(self.proc)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def stop(self):
        self._end(lambda p: p.terminate())

    def kill(self):
        self._end(lambda p: p.kill())

    def restart(self):
        self.stop()
        return self.start()

    def pause(self, timeout=5):
        """SIGSTOP, and returns once the kernel shows the server stopped (a signal is delivered asynchronously)."""
        import signal
        self.proc.send_signal(signal.SIGSTOP)
        self._wait_state(lambda state: state in "Tt", timeout)

    def resume(self, timeout=5):
        import signal
        self.proc.send_signal(signal.SIGCONT)
        self._wait_state(lambda state: state not in "Tt", timeout)

    def _wait_state(self, wanted, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(f"/proc/{self.proc.pid}/stat") as f:
                # The state follows the command name, which is in parentheses.
                if wanted(f.read().rsplit(")", 1)[1].split()[0]):
                    return
            time.sleep(0.005)
        raise RuntimeError(f"nats-server {self.proc.pid} did not change state in {timeout} s")


def start_nats_server(tmp_path, port=None, configuration=None):
    """`NATSServer` with its store under `tmp_path` (pytest's tmp_path); stop it (or `kill()`) when done."""
    return NATSServer(tmp_path, port=port, configuration=configuration)


class NATSPartition:
    """A loopback TCP relay between one process and a NATS server, to cut that process off alone: point it at
    `url` instead of the server's. `block()` stops carrying bytes both ways with every socket left open (a network
    that drops packets: only pings notice), `unblock()` carries them again, `sever()` closes every carried connection
    (a reset), `close()` ends the relay."""

    def __init__(self, target_port):
        import selectors
        self.target_port = target_port
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.listener.setblocking(False)
        self.port = self.listener.getsockname()[1]
        self.blocked = threading.Event()
        self.closing = threading.Event()
        self._lock = threading.Lock()
        self._pairs = {}
        self._selector = selectors.DefaultSelector()
        self._selector.register(self.listener, selectors.EVENT_READ, None)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @property
    def url(self):
        return f"nats://127.0.0.1:{self.port}"

    def block(self):
        self.blocked.set()

    def unblock(self):
        self.blocked.clear()

    def sever(self):
        with self._lock:
            socks = list(self._pairs)
            self._pairs.clear()
        for sock in socks:
            with contextlib.suppress(KeyError, ValueError, OSError):
                self._selector.unregister(sock)
            with contextlib.suppress(OSError):
                sock.close()

    def close(self):
        self.closing.set()
        self._thread.join(timeout=5)
        self.sever()
        with contextlib.suppress(OSError):
            self.listener.close()

    def _run(self):
        import selectors
        while not self.closing.is_set():
            # While blocked nothing is read, so the kernel's buffers fill and both ends stall as on a dead link.
            if self.blocked.is_set():
                time.sleep(0.02)
                continue
            for key, _ in self._selector.select(timeout=0.05):
                sock = key.fileobj
                if sock is self.listener:
                    self._accept()
                    continue
                with self._lock:
                    peer = self._pairs.get(sock)
                if peer is None:
                    continue
                try:
                    data = sock.recv(65536)
                    if data:
                        peer.sendall(data)
                        continue
                except OSError:
                    pass
                self._drop(sock, peer)

    def _accept(self):
        import selectors
        with contextlib.suppress(BlockingIOError):
            client, _ = self.listener.accept()
            try:
                server = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                client.close()
                return
            for sock in (client, server):
                sock.setblocking(True)
                sock.settimeout(5)
            with self._lock:
                self._pairs[client] = server
                self._pairs[server] = client
            self._selector.register(client, selectors.EVENT_READ, None)
            self._selector.register(server, selectors.EVENT_READ, None)

    def _drop(self, sock, peer):
        with self._lock:
            self._pairs.pop(sock, None)
            self._pairs.pop(peer, None)
        for s in (sock, peer):
            with contextlib.suppress(KeyError, ValueError, OSError):
                self._selector.unregister(s)
            with contextlib.suppress(OSError):
                s.close()


def metric_values(hub, name):
    """{labels text: value} of every sample of `name` in the hub's /metrics (`""` for one without labels)."""
    values = {}
    for line in hub.get("/metrics").text.splitlines():
        if line.startswith(name) and line[len(name):len(name) + 1] in ("{", " "):
            sample, _, value = line.rpartition(" ")
            values[sample[len(name):]] = float(value)
    return values


def metric(hub, name, labels=""):
    """One sample of `name` (`labels` as written in the exposition: `{kind="quote"}`); None when absent."""
    return metric_values(hub, name).get(labels)


def wait_for(condition, timeout, what, interval=0.05):
    """Polls `condition()` (bounded) until it returns something truthy, and returns that."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what}: not within {timeout} s"
        time.sleep(interval)


class ScaleOut:
    """Tickhub scaled out on loopback: a `nats-server -js` of its own, a `tickhub-sim` (the demo's market and
    portfolio, open), `ingests` × `tickhub --role ingest` all pointed at that simulator with one client id (the first
    started leads; the others stand by) and `edges` × `tickhub --role edge`. `partitioned` edges (indexes) reach NATS
    through a `NATSPartition` each (`partitions[i]`), so a test can cut one off alone. `config` (a dict) goes into
    every hub's configuration file, beside each one's `nats.name` (`ingest-0`, `edge-1`, ...) and the lease times
    below. `stop()` ends every process it started, last started first."""

    def __init__(self, folder, ingests=2, edges=1, config=None, partitioned=(), lease_seconds=3, leader_seconds=2,
                 sim_args=("--tick-rate", "400"), token=None, nats_configuration=None, edge_args=(), ingest_args=()):
        import pathlib
        from conftest import ROOT, start_simulator
        self.folder = pathlib.Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.config = config or {}
        self.lease_seconds = lease_seconds
        self.leader_seconds = leader_seconds
        self.token = token
        self.ingests, self.edges, self.partitions = [], [], {}
        self.nats = self.sim = None
        try:
            self.nats = start_nats_server(self.folder / "nats", configuration=nats_configuration)
            self.sim = start_simulator("--portfolio", str(ROOT / "config" / "sim-portfolio.json"), *sim_args)
            self.clock = self.sim.fields["clock"]
            for index in range(ingests):
                self.start_ingest(*ingest_args)
                if index == 0:
                    wait_for(lambda: self.leader() is not None, 15, "the first ingest leading")
            for index in range(edges):
                self.start_edge(*edge_args, partitioned=index in partitioned)
        except BaseException:
            self.stop()
            raise

    def _config_file(self, name):
        nats = {"name": name, "leaseSeconds": self.lease_seconds, "leaderSeconds": self.leader_seconds}
        settings = json.loads(json.dumps(self.config))
        settings.setdefault("nats", {}).update(nats)
        path = self.folder / f"{name}.json"
        path.write_text(json.dumps(settings))
        return str(path)

    def start_ingest(self, *extra):
        """One more `tickhub --role ingest` (named `ingest-<n>`), on the simulator; it leads if none does."""
        name = f"ingest-{len(self.ingests)}"
        hub = Hub("--role", "ingest", "--nats-url", self.nats.url, "--ibkr-port", self.sim.fields["port"],
                  "--market-clock", self.clock, "--config", self._config_file(name), *extra,
                  token=self.token, demo=False)
        hub.name = name
        self.ingests.append(hub)
        return hub

    def start_edge(self, *extra, partitioned=False):
        """One more `tickhub --role edge` (named `edge-<n>`); `partitioned`: behind a `NATSPartition` of its own."""
        index = len(self.edges)
        url = self.nats.url
        if partitioned:
            self.partitions[index] = NATSPartition(self.nats.port)
            url = self.partitions[index].url
        name = f"edge-{index}"
        hub = Hub("--role", "edge", "--nats-url", url, "--market-clock", self.clock, "--config", self._config_file(name),
                  *extra, token=self.token, demo=False)
        hub.name = name
        self.edges.append(hub)
        return hub

    def leader(self):
        """The ingest whose `tickhub_relay_leader` is 1 (one that has exited is skipped), or None."""
        for hub in self.ingests:
            if hub.proc.poll() is None:
                with contextlib.suppress(OSError):
                    if metric(hub, "tickhub_relay_leader") == 1:
                        return hub
        return None

    def stop(self):
        for hub in [*reversed(self.edges), *reversed(self.ingests)]:
            Hub.stop(hub)  # the class's: a hub handed out by `stream_hub` stops the whole cluster with its own
        for partition in self.partitions.values():
            partition.close()
        if self.sim is not None:
            self.sim.stop()
        if self.nats is not None:
            self.nats.stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


# The topologies the stream-protocol tests run against (TICKHUB_E2E_TOPOLOGIES, comma-separated): `all`, the one
# process of old (`tickhub --demo`); `edge`, an edge of a scaled-out Tickhub, its quotes from an ingest over NATS.
STREAM_TOPOLOGIES = [t for t in os.environ.get("TICKHUB_E2E_TOPOLOGIES", "all,edge").split(",") if t]


def stream_hub(topology, folder, config=None, timeout=20):
    """A hub serving /stream and the HTTP API in `topology`, its IBKR ready: `all`, a `Hub` (`tickhub --demo`);
    `edge`, the one edge of a `ScaleOut` (one ingest on the simulator), whose `stop()` ends the whole cluster.
    `config` (a dict) is the configuration file of every hub."""
    import pathlib
    folder = pathlib.Path(folder)
    if topology == "all":
        extra = ()
        if config is not None:
            path = folder / "hub.json"
            path.write_text(json.dumps(config))
            extra = ("--config", str(path))
        hub = Hub(*extra, timeout=timeout)
    elif topology == "edge":
        cluster = ScaleOut(folder / "scaleout", ingests=1, edges=1, config=config)
        hub = cluster.edges[0]
        hub.cluster = cluster
        hub.stop = cluster.stop
    else:
        raise ValueError(f"unknown topology {topology!r}")
    try:
        hub.wait_for_ibkr("ready", timeout=timeout)
    except BaseException:
        hub.stop()
        raise
    return hub
