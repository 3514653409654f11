#!/usr/bin/env python3
"""What nats-server's CPU per quote (bench/scaleout.py) is made of: the same server, a quote-sized message at a steady
rate, first published to a subject with one subscriber (the hop to one edge), then written into a key-value bucket
like `<prefix>-quotes` (file store, one value per key, each write acknowledged to an inbox as the C client's
asynchronous publish asks). nats-server's CPU from /proc over each phase, per message.

    python3 bench/nats-cost.py [--rate 1500] [--seconds 10] [--keys 200]

Loopback only; the server is started and stopped here."""
import argparse
import json
import pathlib
import socket
import sys
import tempfile
import threading
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from scaleout import NATS, cpu_seconds  # noqa: E402

QUOTE = (b'{"type":"quote","symbol":"S0042","bid":101.25,"ask":101.27,"last":101.26,"bidSize":300,"askSize":500,'
         b'"lastSize":100,"volume":123456,"open":100.5,"high":102.1,"low":99.8,"close":100.9,"change":0.36,'
         b'"changePercent":0.36,"timestamp":1796586056337,"source":"ibkr","delayed":false,"stale":false,"seq":12345,'
         b'"t":1796586056337123,"marketOpen":true}')


class Client:
    """NATS's text protocol on a socket; whatever the server sends is read and dropped on a thread of its own."""

    def __init__(self, port, name):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.sock.recv(4096)  # INFO
        self.sock.settimeout(None)  # the reader waits as long as the server is silent
        self.sock.sendall(b"CONNECT " + json.dumps({"verbose": False, "pedantic": False, "name": name,
                                                     "headers": True, "protocol": 1}).encode() + b"\r\n")
        self.received = b""
        self.lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                return
            if not data:
                return
            with self.lock:
                self.received = (self.received + data)[-4096:]

    def send(self, data):
        self.sock.sendall(data)

    def request(self, subject, payload, timeout=5):
        """Sends a request and returns the text that came back after it (enough for an error check)."""
        with self.lock:
            self.received = b""
        self.send(f"SUB _INBOX.setup 999\r\nPUB {subject} _INBOX.setup {len(payload)}\r\n".encode() + payload + b"\r\n")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if b"_INBOX.setup" in self.received and self.received.endswith(b"\r\n"):
                    return self.received.decode(errors="replace")
            time.sleep(0.01)
        raise RuntimeError(f"no answer on {subject}")

    def flush(self, timeout=10):
        with self.lock:
            self.received = b""
        self.send(b"PING\r\n")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if b"PONG" in self.received:
                    return
            time.sleep(0.005)
        raise RuntimeError(f"no PONG: {self.received[-300:]!r}")

    def close(self):
        self.sock.close()


def phase(nats, publisher, others, subject, reply, args):
    """Publishes at args.rate for args.seconds; nats-server's CPU µs per message and % of a core."""
    started, used_before, sent = time.monotonic(), cpu_seconds(nats.pid), 0
    while (elapsed := time.monotonic() - started) < args.seconds:
        due = int(elapsed * args.rate)
        batch = []
        while sent < due:
            reply_part = f" {reply.format(sent)}" if reply else ""
            batch.append(f"PUB {subject.format(sent % args.keys)}{reply_part} {len(QUOTE)}\r\n".encode() + QUOTE + b"\r\n")
            sent += 1
        # One write per message, as a publisher that sends each quote at once does.
        for message in batch:
            publisher.send(message)
        time.sleep(0.001)
    for client in (publisher, *others):
        client.flush()
    used = cpu_seconds(nats.pid) - used_before
    return {"messages": sent, "cpuMicrosecondsPerMessage": round(1e6 * used / sent, 1),
            "cpuPercent": round(100 * used / (time.monotonic() - started), 1)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=int, default=1500, help="messages a second")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--keys", type=int, default=200, help="subjects / keys written in turn")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tickhub-nats-cost-") as folder:
        nats = NATS(pathlib.Path(folder))
        try:
            publisher, subscriber = Client(nats.port, "publisher"), Client(nats.port, "subscriber")
            subscriber.send(b"SUB bench.quote.* 1\r\n")
            bucket = {"name": "KV_bench", "subjects": ["$KV.bench.>"], "max_msgs_per_subject": 1, "storage": "file",
                      "discard": "new", "allow_rollup_hdrs": True, "deny_delete": True, "num_replicas": 1}
            answer = publisher.request("$JS.API.STREAM.CREATE.KV_bench", json.dumps(bucket).encode())
            if '"error"' in answer:
                raise RuntimeError(answer)
            publisher.send(b"SUB _INBOX.acks.* 2\r\n")
            publisher.flush()
            subscriber.flush()
            report = {"rate": args.rate, "seconds": args.seconds, "quoteBytes": len(QUOTE),
                      "publishOneSubscriber": phase(nats, publisher, [subscriber], "bench.quote.S{:04d}", None, args),
                      "keyValueWriteAcked": phase(nats, publisher, [subscriber], "$KV.bench.S{:04d}", "_INBOX.acks.{}", args)}
            publisher.close()
            subscriber.close()
        finally:
            nats.stop()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
