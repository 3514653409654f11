"""Starts real Tickhub processes for the end-to-end tests. Loopback only; every process is stopped afterwards."""
import os
import pathlib
import re
import subprocess
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]

# No test ever reaches the real Yahoo or Alpha Vantage: unless a test points them at its fake server, the
# fallbacks aim at a closed loopback port, and Alpha Vantage has no key.
os.environ.setdefault("YAHOO_BASE_URL", "http://127.0.0.1:9")
os.environ.setdefault("ALPHAVANTAGE_BASE_URL", "http://127.0.0.1:9")
os.environ.pop("ALPHAVANTAGE_API_KEY", None)

import tempfile  # noqa: E402

# Hubs started for tests that are not about failover use IBKR alone, so IBKR's answers are final.
DEMO_ENV = {"TICKHUB_PROVIDERS": "ibkr"}
BIN = pathlib.Path(os.environ.get("TICKHUB_BIN_DIR", ROOT / ".build" / "debug"))


def stop_process(proc):
    """SIGTERM, then SIGKILL if it has not gone in 10 s."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium under Playwright, one per test module."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        yield chromium
        chromium.close()


class Process:
    """A started executable and the key=value pairs of its first 'listening' line."""

    def __init__(self, args, ready_pattern, timeout=20, env=None, cwd=ROOT):
        given = env or {}
        env = {**os.environ, **given}
        # Every hub keeps its database (positions, last quotes) in a directory of its own, never the user's and
        # never another test's, unless the test hands it one (to see data survive a restart).
        if "TICKHUB_DATA_DIR" not in given:
            env["TICKHUB_DATA_DIR"] = tempfile.mkdtemp(prefix="tickhub-e2e-")
        self.proc = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd, env=env)
        deadline = time.monotonic() + timeout
        self.fields = {}
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            if re.search(ready_pattern, line):
                self.fields = dict(re.findall(r"(\w+)=(\S+)", line))
                return
        self.stop()
        raise RuntimeError(f"{args[0]} did not start: {self.proc.stderr.read()[-2000:]}")

    def stop(self):
        stop_process(self.proc)

    def stderr_text(self):
        self.stop()
        return self.proc.stderr.read()


def start_simulator(*extra):
    """`tickhub-sim` on free loopback ports; its market is open (`--clock open`) unless `extra` names a clock."""
    opening = [] if "--clock" in extra else ["--clock", "open"]
    return Process([str(BIN / "tickhub-sim"), "--port", "0", "--control-port", "0", *opening, *extra],
                   r"tickhub-sim: listening")


@pytest.fixture
def simulator():
    sim = start_simulator("--portfolio", str(ROOT / "config" / "sim-portfolio.json"), "--tick-rate", "500")
    yield sim
    sim.stop()


def start_hub(*extra, listen="127.0.0.1:0", env=None):
    """`tickhub --demo`: the hub with its built-in TWS simulator, on a free loopback port unless told otherwise.

    `fields` has `url`, `port` and `threads` from its first line:
    `tickhub: listening url=http://127.0.0.1:PORT/ port=PORT threads=N`.
    `env` adds to the environment (e.g. TICKHUB_TOKEN).
    """
    # IBKR (the demo's simulator) alone unless a test brings fake fallbacks: see DEMO_ENV.
    # The demo's TastyTrade is left out: these tests count IBKR's positions (tests of TastyTrade start their own).
    return Process([str(BIN / "tickhub"), "--demo", "--no-demo-tastytrade", "--listen", listen, *extra], r"tickhub: listening",
                   env={**DEMO_ENV, **(env or {})})


@pytest.fixture
def hub():
    process = start_hub()
    yield process
    process.stop()


@pytest.fixture
def fresh_hub():
    """A hub of its own for one test (`tickhub_e2e.Hub`), its IBKR ready."""
    from tickhub_e2e import ready_hub
    with ready_hub() as hub:
        yield hub
