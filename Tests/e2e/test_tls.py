"""HTTPS and WSS on the hub's own port (`server.tls`), with a certificate made here by openssl for 127.0.0.1, and
clients that verify it."""
import asyncio
import json
import shutil
import ssl
import subprocess
import urllib.error
import urllib.request

import pytest
import websockets

from conftest import start_hub

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True, timeout=60)
    return cert, key


@pytest.fixture(scope="module")
def tls_hub(certificate, tmp_path_factory):
    cert, key = certificate
    config = tmp_path_factory.mktemp("config") / "hub.json"
    config.write_text(json.dumps({"server": {"tls": {"certificate": str(cert), "privateKey": str(key)}}}))
    hub = start_hub("--config", str(config))
    yield hub
    hub.stop()


def verifying(cert):
    return ssl.create_default_context(cafile=str(cert))


def test_https_serves_the_api_to_a_client_that_verifies_the_certificate(tls_hub, certificate):
    url = tls_hub.fields["url"]
    assert url.startswith("https://127.0.0.1:"), url
    with urllib.request.urlopen(url + "api/health", context=verifying(certificate[0]), timeout=10) as response:
        assert response.status == 200
        # Whatever IBKR's state a moment after start, the answer is the hub's health document.
        assert "providers" in json.loads(response.read())
    with urllib.request.urlopen(url, context=verifying(certificate[0]), timeout=10) as response:
        assert b"<title>Tickhub" in response.read()


def test_a_client_that_does_not_trust_the_certificate_is_refused(tls_hub):
    with pytest.raises(urllib.error.URLError) as refused:
        urllib.request.urlopen(tls_hub.fields["url"] + "api/health", context=ssl.create_default_context(), timeout=10)
    assert isinstance(refused.value.reason, ssl.SSLCertVerificationError), refused.value


def test_plain_http_on_the_tls_port_gets_no_api(tls_hub):
    with pytest.raises(Exception):
        urllib.request.urlopen(f"http://127.0.0.1:{tls_hub.fields['port']}/api/health", timeout=5).read()


def test_wss_streams_quotes(tls_hub, certificate):
    url = f"wss://127.0.0.1:{tls_hub.fields['port']}/stream"

    async def scenario():
        async with websockets.connect(url, ssl=verifying(certificate[0]), open_timeout=5, proxy=None) as ws:
            await ws.send(json.dumps({"op": "subscribe", "symbols": ["AAPL"]}))
            quotes = []
            while len(quotes) < 3:
                message = json.loads(await asyncio.wait_for(ws.recv(), 10))
                for item in message if isinstance(message, list) else [message]:
                    if item.get("type") == "quote" and item["symbol"] == "AAPL":
                        quotes.append(item)
            return quotes

    quotes = asyncio.run(asyncio.wait_for(scenario(), 30))
    assert all(q["bid"] < q["ask"] and not q["stale"] for q in quotes), quotes
    assert quotes[-1]["seq"] > quotes[0]["seq"]


def test_an_unmasked_frame_over_wss_closes_with_1002(tls_hub, certificate):
    """RFC 6455 5.1 holds over TLS too: the mask is checked in the plaintext OpenSSL hands lws."""
    import struct
    from tickhub_e2e import RawWebSocket

    ws = RawWebSocket(int(tls_hub.fields["port"]), tls_context=verifying(certificate[0]))
    assert ws.upgraded, ws.response_head
    ws.send_text(json.dumps({"op": "ping", "pad": "x" * 300}))
    opcode, payload = ws.read_frame(timeout=5)
    assert opcode == 1 and json.loads(payload)["type"] == "pong", (opcode, payload[:100])
    ws.send_text(json.dumps({"op": "subscribe", "symbols": ["AAPL"]}), masked=False)
    opcode, payload = ws.read_frame(timeout=5)
    while opcode == 1:  # anything already queued before the bad frame
        assert json.loads(payload).get("symbol") != "AAPL", "the unmasked subscribe was served"
        opcode, payload = ws.read_frame(timeout=5)
    assert opcode == 8 and struct.unpack("!H", payload[:2])[0] == 1002, (opcode, payload)
    ws.close()
