"""What a hub does before it serves: startup errors that stop it (a taken port, an address not on this machine, a
bad configuration), the lines that say what it will call, and `--version`. Real processes, loopback only."""
import json
import re
import socket
import subprocess
import time

import pytest

from conftest import BIN, DEMO_ENV, ROOT, Process, start_hub


def run(*args, env=None, timeout=20, cwd=ROOT):
    """Runs tickhub to completion (these runs are all meant to stop on their own)."""
    import os
    return subprocess.run([str(BIN / "tickhub"), *args], capture_output=True, text=True, timeout=timeout, cwd=cwd,
                          env={**os.environ, **(env or {})})


@pytest.fixture
def listener():
    """A loopback port held open by this test, and a second one standing in for TWS."""
    taken, tws = socket.socket(), socket.socket()
    for s in (taken, tws):
        s.bind(("127.0.0.1", 0))
        s.listen(8)
    yield taken.getsockname()[1], tws
    taken.close()
    tws.close()


def test_a_taken_port_exits_at_once_naming_the_port_and_never_calls_tws(listener, tmp_path):
    port, tws = listener
    started = time.monotonic()
    result = run("--listen", f"127.0.0.1:{port}", "--ibkr-port", str(tws.getsockname()[1]),
                 "--db", str(tmp_path / "hub.sqlite"))
    elapsed = time.monotonic() - started
    assert result.returncode != 0
    assert elapsed < 1.0, f"took {elapsed:.2f} s"
    assert f"cannot listen on 127.0.0.1:{port}: the port is already in use" in result.stderr, result.stderr[-2000:]
    assert "listening" not in result.stdout, result.stdout
    # Had it connected to "TWS", the connection would be waiting in the backlog now that the hub has exited.
    tws.setblocking(False)
    with pytest.raises(BlockingIOError):
        tws.accept()
    print(f"taken port: exit {result.returncode} in {elapsed:.3f} s: {result.stderr.strip()}")


def test_an_address_not_on_this_machine_is_an_error(tmp_path):
    # 192.0.2.1 is TEST-NET-1: never assigned, so the bind fails locally and nothing goes on the wire.
    result = run("--listen", "192.0.2.1:8080", "--db", str(tmp_path / "hub.sqlite"), env={"TICKHUB_TOKEN": "t0k3n"})
    assert result.returncode != 0
    assert "cannot listen on 192.0.2.1:8080: 192.0.2.1 is not an address of this machine" in result.stderr, result.stderr


@pytest.mark.parametrize("address, message", [
    ("[::1]:8080", "cannot listen on ::1: the hub listens on IPv4 only"),
    ("127.0.0.1:70000", "port 70000 is outside 1–65535"),
    ("127.0.0.1", "--listen wants HOST:PORT"),
    ("no-such-host.invalid:8080", "cannot listen on no-such-host.invalid: no IPv4 address for that name"),
])
def test_listen_addresses_are_checked(address, message, tmp_path):
    result = run("--listen", address, "--db", str(tmp_path / "hub.sqlite"))
    assert result.returncode != 0
    assert message in result.stderr, result.stderr


def test_localhost_binds_the_loopback_address():
    hub = start_hub(listen="localhost:0")
    try:
        assert hub.fields["url"].startswith("http://127.0.0.1:"), hub.fields
        # Bound for real: the port answers.
        with socket.create_connection(("127.0.0.1", int(hub.fields["port"])), timeout=5):
            pass
    finally:
        hub.stop()


@pytest.mark.parametrize("config, message", [
    ({"server": {"listne": "127.0.0.1:9000"}}, 'unknown key "server.listne" (did you mean "server.listen"?)'),
    ({"ibkr": {"clientID": 3}}, 'unknown key "ibkr.clientID" (did you mean "ibkr.clientId"?)'),
    ({"ibkr": {"port": 99999}}, "ibkr.port is 99999; it must be 1–65535"),
    ({"ibkr": {"port": "7497"}}, "ibkr.port: expected a whole number"),
    ({"server": {"tls": {"certificate": "/nonexistent/cert.pem", "privateKey": "/nonexistent/key.pem"}}},
     "server.tls.certificate: cannot read /nonexistent/cert.pem"),
])
def test_a_bad_configuration_file_is_an_error_naming_the_key(config, message, tmp_path):
    path = tmp_path / "hub.json"
    path.write_text(json.dumps(config))
    result = run("--config", str(path), "--db", str(tmp_path / "hub.sqlite"))
    assert result.returncode != 0
    assert message in result.stderr, result.stderr
    assert "listening" not in result.stdout


@pytest.mark.parametrize("args, env, message", [
    (["--ibkr-port", "99999"], {}, "ibkr.port is 99999; it must be 1–65535"),
    (["--ibkr-port", "0"], {}, "ibkr.port is 0; it must be 1–65535"),
    ([], {"IBKR_PORT": "99999"}, 'IBKR_PORT="99999" is not valid'),
    (["--log-level", "verbose"], {}, "The value 'verbose' is invalid for '--log-level <log-level>'"),
    ([], {"LOG_LEVEL": "loud"}, 'LOG_LEVEL="loud" is not a log level; use one of trace, debug, info, notice'),
])
def test_flags_and_environment_are_checked(args, env, message, tmp_path):
    result = run(*args, "--db", str(tmp_path / "hub.sqlite"), env=env)
    assert result.returncode != 0
    assert message in result.stderr, result.stderr


def test_the_example_configuration_starts_a_hub(tmp_path):
    config = json.loads((ROOT / "config" / "tickhub.example.json").read_text())
    config["server"]["listen"] = "127.0.0.1:0"
    path = tmp_path / "hub.json"
    path.write_text(json.dumps(config))
    hub = start_hub("--config", str(path))
    try:
        assert hub.fields["port"] != "0"
    finally:
        hub.stop()


def test_startup_lines_name_the_outside_services_and_offline_turns_them_off():
    # A TastyTrade grant in the environment is an outside service too: --offline leaves it unused.
    grant = {"TASTYTRADE_CLIENT_SECRET": "s3cret-value", "TASTYTRADE_REFRESH_TOKEN": "r3fresh-value"}
    hub = start_hub("--offline", env=grant)
    try:
        lines = [hub.proc.stdout.readline() for _ in range(4)]
    finally:
        hub.stop()
    assert lines[0].startswith("IBKR: the built-in TWS simulator on 127.0.0.1:"), lines
    assert lines[1] == "TastyTrade: off (--offline)\n", lines
    assert lines[2].startswith("Outside services: none (--offline)"), lines
    assert lines[3].startswith("Open the dashboard: http://127.0.0.1:"), lines

    hub = start_hub()
    try:
        lines = [hub.proc.stdout.readline() for _ in range(6)]
    finally:
        hub.stop()
    assert lines[1] == "TastyTrade: off (set TASTYTRADE_CLIENT_SECRET and TASTYTRADE_REFRESH_TOKEN to sync it)\n", lines
    # conftest aims Yahoo at a closed loopback port: the line says where it would really go.
    assert lines[2] == "Outside services: Yahoo Finance (http://127.0.0.1:9) for symbols IBKR cannot serve\n", lines
    assert lines[3] == "Outside services: Alpha Vantage off (no ALPHAVANTAGE_API_KEY)\n", lines
    assert lines[4] == "Outside services: --offline turns them all off\n", lines


def test_the_demo_names_its_tastytrade_simulator():
    hub = Process([str(BIN / "tickhub"), "--demo", "--offline", "--listen", "127.0.0.1:0"], r"tickhub: listening",
                  env=DEMO_ENV)
    try:
        lines = [hub.proc.stdout.readline() for _ in range(2)]
    finally:
        hub.stop()
    # --offline does not turn off the demo's own simulator: it is on this machine.
    assert re.fullmatch(r"TastyTrade: http://127\.0\.0\.1:\d+, streamer ws://127\.0\.0\.1:\d+/streamer "
                        r"\(the demo's simulator, with its own credentials\)\n", lines[1]), lines


def test_offline_hub_has_no_outside_providers():
    hub = start_hub("--offline")
    try:
        import http.client
        connection = http.client.HTTPConnection("127.0.0.1", int(hub.fields["port"]), timeout=5)
        connection.request("GET", "/api/health")
        health = json.loads(connection.getresponse().read())
        names = {p["name"] for p in health["providers"]}
        assert "yahoo" not in names, health["providers"]
        alpha = [p for p in health["providers"] if p["name"] == "alphavantage"]
        assert all(not p["available"] for p in alpha), alpha
    finally:
        hub.stop()


@pytest.mark.parametrize("binary", ["tickhub", "tickhub-sim", "tickhub-bench"])
def test_version_names_the_commit_it_was_built_from(binary):
    result = subprocess.run([str(BIN / binary), "--version"], capture_output=True, text=True, timeout=10)
    assert result.returncode == 0, result.stderr
    version = (ROOT / "VERSION").read_text().strip()
    match = re.fullmatch(rf"{re.escape(version)} \(commit ([0-9a-f]{{12}})(-modified)?\)\n", result.stdout)
    assert match, result.stdout
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short=12", "HEAD"], capture_output=True,
                          text=True).stdout.strip()
    assert match.group(1) == head, (result.stdout, head)
