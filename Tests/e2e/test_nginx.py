"""deploy/nginx/tickhub.conf in front of a real `tickhub --demo`: Debian's nginx, started by the test on a free
loopback port with everything it writes in a temporary directory, proxies the stream, the HTTP API and the
dashboard at the site root and under /tickhub/."""
import asyncio
import http.client
import json
import os
import pathlib
import re
import shutil
import socket
import subprocess
import tempfile
import threading

import pytest
import websockets
from playwright.sync_api import expect

import tickhub_e2e as e2e
from conftest import ROOT, start_hub, stop_process

NGINX = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)
if NGINX is None:
    pytest.skip("nginx is not installed (Debian package nginx)", allow_module_level=True)

SITE = ROOT / "deploy" / "nginx" / "tickhub.conf"
TOKEN = "s3cret-through-nginx"
PUBLISH_TOKEN = "publish-through-nginx"

expect.set_options(timeout=10_000)
STOCK_PRICE = re.compile(r"^\d{1,3}(,\d{3})*\.\d{2}$")
ALL_LIVE = ("() => { const r = [...document.querySelectorAll('tr[data-symbol]')];"
            " return r.length > 0 && r.every(e => e.dataset.stale === 'false'); }")
TEXT_CHANGED = "([s, before]) => { const e = document.querySelector(s); return !!e && e.textContent !== before; }"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def site_config(listen_port, hub_port, access_log):
    """deploy/nginx/tickhub.conf as shipped, but on a loopback test port, in front of the test's hub, logging into
    the test's directory. Each substitution must hit exactly one line, so the test follows the file."""
    text = SITE.read_text()
    for pattern, replacement in [
        (r"^(\s*)listen\s+80;", rf"\g<1>listen 127.0.0.1:{listen_port};"),
        (r"^(\s*)server\s+127\.0\.0\.1:8080;", rf"\g<1>server 127.0.0.1:{hub_port};"),
        (r"^(\s*)access_log\s+\S+", rf"\g<1>access_log {access_log}"),
    ]:
        text, count = re.subn(pattern, replacement, text, flags=re.M)
        assert count == 1, f"{SITE.name}: {count} lines match {pattern!r}, expected one"
    return text


class Nginx:
    """`nginx -g 'daemon off;'` with a main configuration that includes the site file the way
    /etc/nginx/nginx.conf includes conf.d/*.conf. Ready once the master says it starts its workers: by then it
    listens."""

    def __init__(self, hub_port, timeout=10):
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="tickhub-nginx-"))
        # Started as root, nginx runs its workers as nobody; they need to reach their temp directories in here.
        self.dir.chmod(0o755)
        self.port = free_port()
        self.access_log = self.dir / "access.log"
        (self.dir / "tickhub.conf").write_text(site_config(self.port, hub_port, self.access_log))
        d = self.dir
        (d / "nginx.conf").write_text(f"""
worker_processes 1;
pid {d}/nginx.pid;
error_log stderr notice;
events {{ worker_connections 256; }}
http {{
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    include {d}/tickhub.conf;
}}
""")
        self.proc = subprocess.Popen(
            [NGINX, "-p", f"{d}/", "-c", str(d / "nginx.conf"), "-e", "stderr", "-g", "daemon off;"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.lines = []
        self.started = False
        ready = threading.Event()

        def drain():
            for line in iter(self.proc.stderr.readline, ""):
                self.lines.append(line)
                if "start worker process" in line:
                    self.started = True
                    ready.set()
            ready.set()

        threading.Thread(target=drain, daemon=True).start()
        ready.wait(timeout)
        if not self.started:
            self.stop()
            raise RuntimeError("nginx did not start:\n" + "".join(self.lines)[-3000:])
        # The shipped file must load cleanly, not merely load.
        complaints = [line for line in self.lines if re.search(r"\[(warn|error|crit|alert|emerg)\]", line)]
        if complaints:
            self.stop()
            raise AssertionError("nginx complained about the configuration:\n" + "".join(complaints))

    @property
    def log(self):
        return "".join(self.lines)

    def stop(self):
        stop_process(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)

    def request(self, method, path, headers=None, timeout=10):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, headers=headers or {})
            response = connection.getresponse()
            return e2e.Response(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        finally:
            connection.close()

    def connect(self, path, **kw):
        options = dict(proxy=None, compression=None, open_timeout=5, close_timeout=3, ping_interval=None)
        options.update(kw)
        return websockets.connect(f"ws://127.0.0.1:{self.port}{path}", **options)


@pytest.fixture(scope="module")
def hub():
    process = start_hub()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def proxy(hub):
    server = Nginx(int(hub.fields["port"]))
    yield server
    server.stop()


def run(coroutine, timeout=30):
    return asyncio.run(asyncio.wait_for(coroutine, timeout))


def is_aapl(m):
    return m.get("type") == "quote" and m.get("symbol") == "AAPL"


def test_stream_at_the_root_and_under_the_prefix(proxy):
    async def two_quotes(path):
        async with proxy.connect(path) as ws:
            await ws.send(json.dumps({"op": "subscribe", "symbols": ["AAPL"]}))
            first = await e2e.expect(ws, is_aapl, what=f"an AAPL quote on {path}")
            later = await e2e.expect(ws, lambda m: is_aapl(m) and m["seq"] > first["seq"], what=f"a later one on {path}")
            return first, later

    async def both():
        return await asyncio.gather(two_quotes("/stream"), two_quotes("/tickhub/stream"))

    for quotes in run(both()):
        for quote in quotes:
            e2e.assert_quote_shape(quote)
            assert quote["stale"] is False and 0 < quote["bid"] < quote["ask"], quote


def test_http_api_under_the_prefix(proxy, hub):
    response = proxy.request("GET", "/tickhub/api/market-data/quote/AAPL")
    assert response.status == 200, response
    assert response.headers["content-type"].startswith("application/json")
    quote = response.json()
    e2e.assert_quote_shape(quote)
    assert quote["symbol"] == "AAPL" and "snapshot" not in quote

    # The prefix is stripped: the hub answers the same paths at the root and under /tickhub/.
    assert proxy.request("GET", "/api/health").json().keys() == proxy.request("GET", "/tickhub/api/health").json().keys()
    assert b"Mission Control" in proxy.request("GET", "/tickhub/").body

    # Without the slash, the dashboard's relative URLs would resolve against /: a redirect adds it.
    bare = proxy.request("GET", "/tickhub")
    assert bare.status == 301 and bare.headers["location"] == "/tickhub/", bare


def test_publishing_under_the_prefix():
    hub = e2e.Hub(providers="push", env={"TICKHUB_PUBLISH_TOKEN": PUBLISH_TOKEN})
    proxy = None
    try:
        proxy = Nginx(hub.port)

        async def scenario():
            auth = {"Authorization": f"Bearer {PUBLISH_TOKEN}"}
            async with proxy.connect("/tickhub/stream") as reader, \
                    proxy.connect("/tickhub/publish", additional_headers=auth) as publisher:
                await reader.send(json.dumps({"op": "subscribe", "symbols": ["ACME"]}))
                await publisher.send(json.dumps({"symbol": "ACME", "bid": 10.5, "ask": 10.52}))
                return await e2e.expect(reader, lambda m: m.get("type") == "quote" and m.get("symbol") == "ACME",
                                        what="the published quote")

        quote = run(scenario())
        assert quote["source"] == "push" and quote["bid"] == 10.5 and quote["ask"] == 10.52, quote
    finally:
        if proxy:
            proxy.stop()
        hub.stop()


def watch(page):
    """Records the page's script errors, HTTP requests, WebSocket URLs and the frames it sends."""
    page.errors, page.requests, page.sockets, page.sent = [], [], [], []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on("request", lambda request: page.requests.append(request))

    def on_socket(ws):
        page.sockets.append(ws.url)
        ws.on("framesent", lambda payload: page.sent.append(payload))

    page.on("websocket", on_socket)


def cell(symbol, field):
    return f'tr[data-symbol="{symbol}"] [data-field="{field}"]'


def check_live_quotes(page):
    expect(page.locator("#ws-state")).to_have_attribute("data-state", "open")
    expect(page.locator("#ibkr-state")).to_have_attribute("data-state", "ready")
    expect(page.locator(cell("AAPL", "last"))).to_have_text(STOCK_PRICE)
    page.wait_for_function(ALL_LIVE)
    before = page.locator(cell("AAPL", "last")).inner_text()
    page.wait_for_function(TEXT_CHANGED, arg=[cell("AAPL", "last"), before])
    # The providers panel comes from api/health: the HTTP API answered under the prefix too.
    expect(page.locator('#providers [data-provider="ibkr"]')).to_have_attribute("data-available", "true")


def test_dashboard_under_the_prefix(proxy, browser):
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        watch(page)
        prefix = f"http://127.0.0.1:{proxy.port}/tickhub/"
        page.goto(prefix)
        check_live_quotes(page)

        urls = [r.url for r in page.requests]
        assert all(url.startswith(prefix) for url in urls), [u for u in urls if not u.startswith(prefix)]
        assert {prefix + "app.js", prefix + "api/health", prefix + "api/ibkr/status"} <= set(urls), urls
        assert page.sockets == [f"ws://127.0.0.1:{proxy.port}/tickhub/stream"]
        for link, path in [("#link-openapi", "api/openapi.yaml"), ("#link-health", "api/health"),
                           ("#link-metrics", "metrics")]:
            assert page.locator(link).evaluate("a => a.href") == prefix + path
        # No token: it sends nothing before its subscriptions.
        assert json.loads(page.sent[0])["op"] == "subscribe"
        assert page.errors == []
    finally:
        context.close()


def test_dashboard_keeps_its_token_out_of_every_url(browser):
    hub = start_hub(env={"TICKHUB_TOKEN": TOKEN})
    proxy = None
    try:
        proxy = Nginx(int(hub.fields["port"]))
        check_token_flow(browser, proxy)
        # nginx logged every request the page made, and none carried the token.
        assert TOKEN not in proxy.access_log.read_text()
    finally:
        if proxy:
            proxy.stop()
        hub.stop()


def check_token_flow(chromium, proxy):
    prefix = f"http://127.0.0.1:{proxy.port}/tickhub/"
    context = chromium.new_context()
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        watch(page)
        page.goto(prefix + "#token=" + TOKEN)
        check_live_quotes(page)

        # Out of the address bar, kept for the tab.
        assert page.url == prefix
        assert page.evaluate("Object.values(sessionStorage)") == [TOKEN]
        # On the wire: a header on HTTP, the first message on the WebSocket, and in no URL.
        assert all(TOKEN not in r.url for r in page.requests)
        api_calls = [r for r in page.requests if r.url.startswith(prefix + "api/")]
        assert api_calls and all(r.all_headers().get("authorization") == f"Bearer {TOKEN}" for r in api_calls)
        assert page.sockets == [f"ws://127.0.0.1:{proxy.port}/tickhub/stream"]
        assert json.loads(page.sent[0]) == {"op": "auth", "token": TOKEN}
        assert json.loads(page.sent[1])["op"] == "subscribe"
        assert page.locator("#link-health").evaluate("a => a.href") == prefix + "api/health"

        # A footer link opens with the header, not with the token in its URL.
        with context.expect_page() as opened:
            page.click("#link-health")
        tab = opened.value
        tab.wait_for_url(lambda url: url.startswith("blob:"))
        expect(tab.locator("body")).to_contain_text('"clients"')
        tab.close()

        # Reloaded: still authenticated, from sessionStorage.
        page.reload()
        check_live_quotes(page)
        assert page.errors == []
    finally:
        context.close()

    # A wrong token: the hub closes the stream with 1008 and the page says so.
    context = chromium.new_context()
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(prefix + "#token=wrong")
        expect(page.locator("#message")).to_have_attribute("data-code", "unauthorized")
        expect(page.locator("#message")).to_have_text("The hub refused this token.")
        expect(page.locator("#ws-state-text")).to_have_text("Offline (token refused)")
    finally:
        context.close()
