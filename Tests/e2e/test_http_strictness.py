"""HTTP as RFC 9110 and 9112 say, on the raw wire: HEAD, OPTIONS, CONNECT, long URLs, bodies without a usable length.

Each test sends the bytes a client or attacker would and reads what comes back, to the end of the connection."""
import json
import socket
import time

import pytest

from tickhub_e2e import Hub


@pytest.fixture(scope="module")
def hub():
    hub = Hub()
    yield hub
    hub.stop()


def exchange(port, data, timeout=5.0):
    """Sends `data` and reads until the hub closes or `timeout` passes; returns (bytes, closed)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        received, deadline = b"", time.monotonic() + timeout
        while time.monotonic() < deadline:
            s.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                return received, False
            if not chunk:
                return received, True
            received += chunk
        return received, False


def responses(data):
    """Splits pipelined responses by their Content-Length: [(status, headers, body)]."""
    found = []
    while data:
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        length = int(headers.get("content-length", "0"))
        found.append((int(lines[0].split()[1]), headers, rest[:length]))
        data = rest[length:]
    return found


def request(hub, line, *headers, body=b""):
    text = f"{line}\r\nHost: 127.0.0.1:{hub.port}\r\n" + "".join(f"{h}\r\n" for h in headers) + "\r\n"
    return text.encode() + body


def test_head_is_get_without_the_body(hub):
    """HEAD gets GET's status and headers, Content-Length included, and no body: the next response on the same
    connection starts right after the headers. It used to be 405 with a body."""
    for path in ("/api/health", "/", "/api/market-data/quote/AAPL", "/api/openapi.yaml"):
        get, _ = exchange(hub.port, request(hub, f"GET {path} HTTP/1.1", "Connection: close"))
        get_status, get_headers, get_body = responses(get)[0]
        data, _ = exchange(hub.port, request(hub, f"HEAD {path} HTTP/1.1") + request(hub, "GET /api/health HTTP/1.1", "Connection: close"))
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        assert int(lines[0].split()[1]) == get_status == 200, (path, lines[0])
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        assert headers["content-type"] == get_headers["content-type"], path
        assert int(headers["content-length"]) > 0, path
        if path in ("/", "/api/openapi.yaml"):  # files; health and quotes change from one moment to the next
            assert int(headers["content-length"]) == len(get_body), path
        assert rest.startswith(b"HTTP/1.1 200 OK\r\n"), (path, rest[:80])


def test_head_on_a_post_only_path_is_405_with_allow_and_no_body(hub):
    data, _ = exchange(hub.port, request(hub, "HEAD /api/ibkr/connect HTTP/1.1") + request(hub, "GET /api/health HTTP/1.1", "Connection: close"))
    head, _, rest = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 405"), head
    assert b"\r\nallow: POST" in head
    assert rest.startswith(b"HTTP/1.1 200 OK"), rest[:80]


def test_405_names_the_allowed_methods(hub):
    data, _ = exchange(hub.port, request(hub, "DELETE /api/health HTTP/1.1", "Connection: close"))
    status, headers, body = responses(data)[0]
    assert status == 405 and headers["allow"] == "GET, HEAD, OPTIONS"
    assert json.loads(body)["error"]["code"] == "method_not_allowed"


def test_options_is_204_with_allow_and_nothing_after_the_headers(hub):
    """OPTIONS (RFC 9110 9.3.7) on any path the hub serves: its methods in `Allow`, no content, no Content-Length
    (RFC 9110 8.6), so the next response on the connection follows the blank line."""
    data, _ = exchange(hub.port, request(hub, "OPTIONS /api/ibkr/connect HTTP/1.1") + request(hub, "GET /api/health HTTP/1.1", "Connection: close"))
    head, _, rest = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 204"), head
    assert b"\r\nallow: POST, OPTIONS" in head and b"content-length" not in head.lower()
    assert rest.startswith(b"HTTP/1.1 200 OK"), rest[:80]
    status, _, _ = responses(exchange(hub.port, request(hub, "OPTIONS /api/nothing HTTP/1.1", "Connection: close"))[0])[0]
    assert status == 404


@pytest.mark.parametrize("target", ["example.com:443", "/api/health"])
def test_connect_is_refused_at_once_and_the_connection_closed(hub, target):
    """lws turns CONNECT into a raw socket with no timeout; the hub used to hold such a connection open forever."""
    started = time.monotonic()
    data, closed = exchange(hub.port, request(hub, f"CONNECT {target} HTTP/1.1"), timeout=5)
    assert closed and time.monotonic() - started < 2, (data, closed)
    status, headers, body = responses(data)[0]
    assert status == 405 and "GET" in headers["allow"]
    assert json.loads(body)["error"]["code"] == "method_not_allowed"
    # The hub still serves.
    assert hub.get("/api/health").status == 200


def test_the_documented_thousand_symbols_fit_in_one_url(hub):
    """A 1,000-symbol /quotes URL (docs/openapi.yaml) was over lws's 4 KiB and the connection was dropped."""
    symbols = ",".join(f"Z{i:04d}" for i in range(1000))  # 6,000 bytes, no such symbols: answered at once
    r = hub.get(f"/api/market-data/quotes?symbols={symbols}", timeout=30)
    assert r.status == 200, r
    body = r.json()
    answered = [q["symbol"] for q in body["quotes"]] + [e["symbol"] for e in body["errors"]]
    assert sorted(answered) == sorted(symbols.split(",")), (len(answered), body["errors"][:3])


@pytest.mark.parametrize("length", [40_000, 120_000, 1_000_000])
def test_a_url_beyond_the_limit_is_414_not_a_dropped_connection(hub, length):
    for target in (f"/api/market-data/quotes?symbols={'A' * length}", "/" + "a" * length,
                   f"/api/health?x=1&pad={'b' * length}"):
        data, _ = exchange(hub.port, request(hub, f"GET {target} HTTP/1.1", "Connection: close"), timeout=10)
        assert data, f"no reply to a {length}-byte URL ({target[:30]}…)"
        status, _, body = responses(data)[0]
        assert status == 414, (target[:30], data[:200])
        error = json.loads(body)["error"]
        assert error["code"] == "uri_too_long" and "32 KiB" in error["message"]
    assert hub.get("/api/health").status == 200


def test_a_chunked_body_gets_411_and_the_chunks_are_never_read_as_a_request(hub):
    before = hub.get("/api/positions").json()
    body = json.dumps({"symbol": "AAPL", "quantity": 1, "averageCost": 1}).encode()
    chunked = f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"
    data, closed = exchange(hub.port, request(hub, "POST /api/positions HTTP/1.1", "Content-Type: application/json",
                                              "Transfer-Encoding: chunked", body=chunked))
    status, headers, reply = responses(data)[0]
    assert status == 411 and headers.get("connection") == "close" and closed, data[:200]
    assert json.loads(reply)["error"]["code"] == "length_required"
    assert len(data.split(b"HTTP/1.1 ")) == 2, "the chunk bytes were answered as a request"
    assert hub.get("/api/positions").json() == before


def test_a_post_without_a_length_has_no_body_and_what_follows_is_not_taken_as_one(hub):
    """lws waits for up to 100 MiB of body after a POST with no Content-Length; the hub answers it as empty and closes,
    so a request pipelined after it is neither misread as its body nor left hanging."""
    data, closed = exchange(hub.port, request(hub, "POST /api/positions HTTP/1.1", "Content-Type: application/json")
                            + request(hub, "GET /api/health HTTP/1.1"))
    status, headers, reply = responses(data)[0]
    assert status == 400 and closed and headers.get("connection") == "close", data[:300]
    assert json.loads(reply)["error"]["code"] == "bad_json"


def test_an_unmasked_client_frame_closes_with_1002_and_is_not_read(hub):
    """RFC 6455 5.1. lws 4.1 took unmasked frames as if masked; a subscribe sent that way used to be served."""
    from tickhub_e2e import RawWebSocket
    import struct as _struct

    # Masked frames pass whatever their length field (7 bits, 16 bits), and the connection is served.
    ws = RawWebSocket(hub.port)
    ws.send_text(json.dumps({"op": "ping", "pad": "x" * 10}))
    ws.send_text(json.dumps({"op": "ping", "pad": "x" * 300}))
    ws.send_text(json.dumps({"op": "ping", "pad": "x" * 60_000}))
    pongs = 0
    for _ in range(3):
        opcode, payload = ws.read_frame(timeout=5)
        assert opcode == 1, (opcode, payload[:100])
        pongs += json.loads(payload).get("type") == "pong"
    assert pongs == 3
    ws.send_text(json.dumps({"op": "subscribe", "symbols": ["AAPL"]}), masked=False)
    opcode, payload = ws.read_frame(timeout=5)
    while opcode == 1:  # anything already queued before the bad frame
        assert json.loads(payload).get("symbol") != "AAPL", "the unmasked subscribe was served"
        opcode, payload = ws.read_frame(timeout=5)
    assert opcode == 8 and _struct.unpack("!H", payload[:2])[0] == 1002, (opcode, payload)
    assert b"masked" in payload
    ws.close()
    assert "tickhub_unmasked_frame_clients_closed_total 1" in hub.get("/metrics").text


@pytest.mark.parametrize("value,status", [("-1", 400), ("+5", 400), ("abc", 400), ("5, 5", 400), ("99999999999", 413)])
def test_a_content_length_that_is_not_one_plain_number_is_refused(hub, value, status):
    """A signed, repeated or absurd length is how a request is smuggled past a proxy that reads it otherwise; such
    requests used to hang or be parsed differently."""
    data, _ = exchange(hub.port, request(hub, "POST /api/positions HTTP/1.1", "Content-Type: application/json",
                                         f"Content-Length: {value}", "Connection: close"), timeout=5)
    assert data, f"no reply to Content-Length: {value}"
    assert responses(data)[0][0] == status, data[:200]


def test_a_repeated_content_length_header_is_refused_not_split_into_two_requests(hub):
    body = b'{"symbol":"AAPL","quantity":1,"averageCost":1}'
    data, _ = exchange(hub.port, request(hub, "POST /api/positions HTTP/1.1", "Content-Type: application/json",
                                         f"Content-Length: {len(body)}", "Content-Length: 0", body=body), timeout=5)
    assert responses(data)[0][0] == 400 and len(data.split(b"HTTP/1.1 ")) == 2, data[:300]


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_put_and_patch_with_an_empty_body_are_answered(hub, method):
    data, _ = exchange(hub.port, request(hub, f"{method} /api/positions/1 HTTP/1.1", "Content-Type: application/json",
                                         "Content-Length: 0", "Connection: close"), timeout=5)
    status, headers, _ = responses(data)[0]
    if method == "PUT":
        assert status in (400, 404), data[:200]
    else:
        assert status == 405 and headers["allow"] == "GET, HEAD, PUT, DELETE, OPTIONS", data[:200]


@pytest.mark.parametrize("target", ["/api/market-data/quotes?symbols=AAPL,%00", "/api/market-data/quote/A%00B",
                                    "/api/health?x=%00", "/index%00.html", "/api/brokers/ibkr%1f/positions",
                                    "/api/market-data/quote/A\x00B"])
def test_a_control_character_in_the_url_gets_400_not_a_dropped_connection(hub, target):
    """lws 4.1 closed the connection without a word for a URL that decodes to NUL; now it is 400, as is any other
    control character, and the connection stays usable for its next request."""
    first, _ = exchange(hub.port, request(hub, f"GET {target} HTTP/1.1", "Connection: close"))
    status, _, body = responses(first)[0]
    assert status == 400, first[:300]
    assert json.loads(body)["error"]["code"] == "bad_request"
    assert b"\x00" not in first and b"\x01" not in first
    # Kept alive: the next request (sent after the answer) is read and its `%00` caught too.
    with socket.create_connection(("127.0.0.1", hub.port), timeout=5) as s:
        for line in (f"GET {target} HTTP/1.1", "GET /api/health HTTP/1.1", f"GET {target} HTTP/1.1"):
            s.sendall(request(hub, line))
            data = b""
            while b"\r\n\r\n" not in data or len(data) < data.index(b"\r\n\r\n") + 4 + int(
                    responses(data)[0][1].get("content-length", "0")):
                chunk = s.recv(65536)
                assert chunk, f"closed after {line!r}"
                data += chunk
            assert responses(data)[0][0] == (200 if "health HTTP" in line else 400), data[:200]


def test_percent_zero_zero_outside_the_request_line_is_left_alone(hub):
    """Only the request line is mended: `%2500` is the text `%00`, and a body's `%00` is the body's."""
    data, _ = exchange(hub.port, request(hub, "GET /api/market-data/quote/%2500 HTTP/1.1", "Connection: close"))
    status, _, body = responses(data)[0]
    assert status == 400 and "%00" in json.loads(body)["error"]["message"], body
    payload = json.dumps({"broker": "t", "account": "x", "symbol": "%00", "quantity": 1, "averageCost": 1}).encode()
    data, _ = exchange(hub.port, request(hub, "POST /api/positions HTTP/1.1", "Content-Type: application/json",
                                         f"Content-Length: {len(payload)}", "Connection: close", body=payload))
    status, _, body = responses(data)[0]
    assert status == 400 and "%00" in json.loads(body)["error"]["message"], body
