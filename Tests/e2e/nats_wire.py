"""A NATS client of a few dozen lines over NATS's text protocol (CONNECT, SUB, PUB/HPUB, MSG/HMSG, PING/PONG), for
e2e tests that play an edge hub or watch the feed without a client library. One socket, one reader thread; every
wait is bounded."""
import itertools
import json
import socket
import threading
import time


class NATSMessage:
    def __init__(self, subject, reply, headers, data, received):
        self.subject = subject
        self.reply = reply
        self.headers = headers
        self.data = data
        # time.monotonic() when the reader took it off the socket.
        self.received = received

    def json(self):
        return json.loads(self.data)


class NATSWire:
    def __init__(self, port, name="e2e", timeout=5):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.settimeout(None)
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        self.messages = []
        self.handlers = {}
        self.sids = itertools.count(1)
        self.pongs = 0
        self.closed = False
        self.buffer = b""
        info = self._read_line()
        assert info.startswith(b"INFO "), info
        connect = {"verbose": False, "pedantic": False, "headers": True, "no_responders": True, "protocol": 1,
                   "name": name, "lang": "python-e2e", "version": "0"}
        self._send(b"CONNECT " + json.dumps(connect).encode() + b"\r\n")
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.flush(timeout)

    # Sending

    def _send(self, data):
        self.sock.sendall(data)

    def subscribe(self, subject, handler=None):
        """Messages on `subject` are kept in `messages` (and passed to `handler`); returns the subscription id."""
        sid = next(self.sids)
        with self.lock:
            self.handlers[str(sid)] = handler
        self._send(f"SUB {subject} {sid}\r\n".encode())
        return sid

    def publish(self, subject, data=b"", reply=None, headers=None):
        reply_part = f" {reply}" if reply else ""
        if headers:
            block = b"NATS/1.0\r\n" + b"".join(f"{k}: {v}\r\n".encode() for k, v in headers.items()) + b"\r\n"
            self._send(f"HPUB {subject}{reply_part} {len(block)} {len(block) + len(data)}\r\n".encode() + block + data + b"\r\n")
        else:
            self._send(f"PUB {subject}{reply_part} {len(data)}\r\n".encode() + data + b"\r\n")

    def request(self, subject, data=b"", headers=None, timeout=5):
        """The first answer to a request, or AssertionError when none came in time."""
        inbox = f"_INBOX.e2e.{next(self.sids)}"
        self.subscribe(inbox)
        self.flush(timeout)
        self.publish(subject, data, reply=inbox, headers=headers)
        return self.wait_for(lambda m: m.subject == inbox, timeout, f"an answer on {subject}")

    def flush(self, timeout=5):
        """Returns once the server answered a PING sent now: everything sent before it has been processed."""
        with self.lock:
            wanted = self.pongs + 1
        self._send(b"PING\r\n")
        with self.cond:
            assert self.cond.wait_for(lambda: self.pongs >= wanted or self.closed, timeout), "no PONG from nats-server"

    # Receiving

    def wait_for(self, condition, timeout, what="a message"):
        """The first kept message (oldest first) that satisfies `condition`, waiting at most `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for message in self.messages:
                    if condition(message):
                        return message
                left = deadline - time.monotonic()
                assert left > 0 and not self.closed, f"no {what} within {timeout} s"
                self.cond.wait(left)

    def taken(self, condition=lambda m: True):
        with self.lock:
            return [m for m in self.messages if condition(m)]

    def close(self):
        self.closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self.reader.join(timeout=5)

    def _read_line(self):
        while b"\r\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("nats-server closed the connection")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line

    def _read_exactly(self, count):
        while len(self.buffer) < count + 2:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("nats-server closed the connection")
            self.buffer += chunk
        data, self.buffer = self.buffer[:count], self.buffer[count + 2:]
        return data

    def _read(self):
        try:
            while not self.closed:
                line = self._read_line()
                if line == b"PING":
                    self._send(b"PONG\r\n")
                elif line == b"PONG":
                    with self.cond:
                        self.pongs += 1
                        self.cond.notify_all()
                elif line.startswith(b"MSG ") or line.startswith(b"HMSG "):
                    self._message(line)
                elif line.startswith(b"-ERR"):
                    raise ConnectionError(line.decode(errors="replace"))
        except (OSError, ConnectionError):
            with self.cond:
                self.closed = True
                self.cond.notify_all()

    def _message(self, line):
        parts = line.decode().split()
        headers = {}
        if parts[0] == "HMSG":
            subject, sid = parts[1], parts[2]
            reply = parts[3] if len(parts) == 6 else None
            header_size, total = int(parts[-2]), int(parts[-1])
            raw = self._read_exactly(total)
            for header in raw[:header_size].decode().split("\r\n")[1:]:
                if ":" in header:
                    key, value = header.split(":", 1)
                    headers[key.strip()] = value.strip()
            data = raw[header_size:]
        else:
            subject, sid = parts[1], parts[2]
            reply = parts[3] if len(parts) == 5 else None
            data = self._read_exactly(int(parts[-1]))
        message = NATSMessage(subject, reply, headers, data, time.monotonic())
        with self.cond:
            self.messages.append(message)
            handler = self.handlers.get(sid)
            self.cond.notify_all()
        if handler:
            handler(message)
