"""Attacks on a running hub, each written as the attacker would try it. Loopback only; every loop bounded."""
import json
import socket
import threading

from tickhub_e2e import Hub

TOKEN = "Zq7-attack-token-9f3b1c"
COOKIE = "session=Kp2-victim-cookie-77d0"


def raw_get(port, path, headers=""):
    """One HTTP/1.1 GET on a fresh socket; returns (status line, body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n{headers}\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return head.split(b"\r\n")[0].decode(), body


def test_a_split_path_echoes_only_what_was_sent_never_another_requests_header():
    """A `;` makes lws split the path into fragments; reading past the first one used to show bytes of lws's shared
    header buffer (the previous request's Authorization header) in the 404 and invalid-symbol errors."""
    hub = Hub(token=TOKEN)
    stop = threading.Event()

    def victim():
        # A client with the token, polling: its header lands in lws's buffer before every probe.
        for _ in range(2000):
            if stop.is_set():
                return
            raw_get(hub.port, "/api/health", f"Authorization: Bearer {TOKEN}\r\nCookie: {COOKIE}\r\n")

    polling = threading.Thread(target=victim, daemon=True)
    polling.start()
    try:
        seen = []
        for n in range(1, 40):
            # The static-file 404 needs no token; the quote route is probed by a client holding one, which must
            # not see another client's headers either.
            symbol = f"{'A' * (n % 8 + 1)};B"
            for path, code, sent in ((f"/{'a' * n};B", "not_found", f"/{'a' * n};B"),
                                     (f"/api/market-data/quote/{symbol}?token={TOKEN}", "invalid_symbol", symbol)):
                status, body = raw_get(hub.port, path)
                error = json.loads(body)["error"]
                assert error["code"] == code, (path, status, body)
                seen.append(error["message"])
                assert sent in error["message"], (path, error)
                assert "\u0000" not in error["message"], (path, error)
        text = "\n".join(seen)
        for secret in (TOKEN, COOKIE):
            for i in range(len(secret) - 2):
                assert secret[i:i + 3] not in text, (secret[i:i + 3], text[:500])
    finally:
        stop.set()
        polling.join(timeout=10)
        hub.stop()
