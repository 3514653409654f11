"""`make install` and the installed hub: run from `/`, it serves its dashboard, its OpenAPI document and the demo
portfolio from `share/tickhub` beside its executable; with no dashboard anywhere it refuses to start."""
import http.client
import json
import os
import shutil
import subprocess
import time

import pytest

from conftest import ROOT, Process

CONFIG = os.environ.get("CONFIG", "debug")


def get(port, path):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    """`make install DESTDIR=<tmp> PREFIX=/usr/local` with the binaries this run built."""
    destdir = tmp_path_factory.mktemp("stage")
    result = subprocess.run(
        ["make", "-s", "install", f"DESTDIR={destdir}", "PREFIX=/usr/local", f"INSTALL_CONFIG={CONFIG}"],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return destdir / "usr" / "local"


def test_install_lays_out_bin_and_share(staged):
    for name in ("tickhub", "tickhub-sim", "tickhub-bench"):
        path = staged / "bin" / name
        assert path.is_file() and os.access(path, os.X_OK), path
    share = staged / "share" / "tickhub"
    # Every file of the dashboard: its modules are found by their imports, so one left behind breaks the page.
    # The chart library too, in vendor/, where `make setup` put it (ignored by git, so only when present).
    source = ROOT / "clients" / "dashboard"
    dashboard = [f"dashboard/{path.relative_to(source)}" for path in source.rglob("*")
                 if path.is_file() and not path.name.startswith(".")]
    assert {"dashboard/index.html", "dashboard/app.js", "dashboard/style.css"} <= set(dashboard)
    for name in dashboard + ["openapi.yaml", "tickhub.example.json", "sim-portfolio.json"]:
        assert (share / name).is_file(), name
    assert (share / "openapi.yaml").read_bytes() == (ROOT / "docs" / "openapi.yaml").read_bytes()


def test_the_installed_hub_run_from_root_serves_its_dashboard(staged, tmp_path):
    hub = Process([str(staged / "bin" / "tickhub"), "--demo", "--listen", "127.0.0.1:0", "--db", str(tmp_path / "db")],
                  r"tickhub: listening", env={"TICKHUB_PROVIDERS": "ibkr", "LOG_LEVEL": "info"}, cwd="/")
    try:
        port = int(hub.fields["port"])
        status, body = get(port, "/")
        assert status == 200 and b"<title>Tickhub" in body, (status, body[:200])
        assert body == (staged / "share" / "tickhub" / "dashboard" / "index.html").read_bytes()
        for module in sorted((ROOT / "clients" / "dashboard").glob("*.js")):
            status, body = get(port, "/" + module.name)
            assert status == 200 and body == module.read_bytes(), module.name
        status, body = get(port, "/api/openapi.yaml")
        assert status == 200 and body.startswith(b"openapi:"), body[:100]
        # The demo portfolio came from share/tickhub too: IBKR's simulated account holds its positions.
        portfolio = json.loads((ROOT / "config" / "sim-portfolio.json").read_text())
        expected = sum(len(a["positions"]) for a in portfolio["accounts"])
        deadline = time.monotonic() + 15
        while True:
            status, body = get(port, "/api/portfolio/pnl")
            positions = [p for p in json.loads(body)["positions"] if p["broker"] == "ibkr"] if status == 200 else []
            if len(positions) == expected:
                break
            assert time.monotonic() < deadline, (expected, status, body[:300])
            time.sleep(0.1)
    finally:
        stderr = hub.stderr_text()
    assert f"assets from beside the executable: {staged / 'share' / 'tickhub'}" in stderr, stderr[-2000:]


def test_with_no_dashboard_anywhere_the_hub_refuses_to_start(staged, tmp_path):
    lonely = tmp_path / "bin"
    lonely.mkdir()
    shutil.copy(staged / "bin" / "tickhub", lonely / "tickhub")
    empty = tmp_path / "assets"
    empty.mkdir()
    env = {**os.environ, "TICKHUB_ASSETS": str(empty)}
    result = subprocess.run([str(lonely / "tickhub"), "--listen", "127.0.0.1:0", "--db", str(tmp_path / "db")],
                            capture_output=True, text=True, timeout=20, cwd="/", env=env)
    assert result.returncode != 0
    assert f"no dashboard found; looked in {empty} (--assets / TICKHUB_ASSETS)" in result.stderr, result.stderr
    assert "--no-dashboard" in result.stderr
    assert "listening" not in result.stdout

    # --no-dashboard serves the API alone.
    hub = Process([str(lonely / "tickhub"), "--demo", "--no-dashboard", "--listen", "127.0.0.1:0",
                   "--db", str(tmp_path / "db2")], r"tickhub: listening",
                  env={"TICKHUB_PROVIDERS": "ibkr", "TICKHUB_ASSETS": str(empty)}, cwd="/")
    try:
        port = int(hub.fields["port"])
        assert get(port, "/")[0] == 404
        assert get(port, "/api/health")[0] == 200
    finally:
        hub.stop()
