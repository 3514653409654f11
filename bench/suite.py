#!/usr/bin/env python3
"""Tickhub against its peers, same load, one invocation: the six scenarios of bench/README.md.

    python3 bench/suite.py [--smoke] [--bin DIR] [--out DIR] [--systems a,b] [--scenarios 1,2]

Each scenario starts every system afresh (so memory figures are comparable), drives it with `tickhub-bench
fanout` (the same publisher, message bytes and client generator for all), and writes one JSON per run under
the output directory; `bench/report.py` turns them into summary.md and charts. Loopback only; every process
is stopped at the end of its run, and every wait is bounded.
"""
import argparse
import json
import os
import pathlib
import platform
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[1]
PUBLISH_TOKEN = "bench-publish-token"

SYSTEMS = ["tickhub", "node-ws", "python-websockets", "lws-broadcast"]

# Scenario parameters, full and smoke. Universe symbols are S0001…S<n>.
FULL = {
    1: dict(clients=1000, universe=1, per_client=1, burst=200, burst_gap_ms=20),
    2: dict(clients=1000, universe=500, per_client=20, rate=5000, duration=30, warmup=3),
    3: dict(clients=1000, universe=500, per_client=20,
            rates=[1000, 2000, 3000, 4000, 5000, 7500, 10000, 15000, 20000, 30000, 50000], step_seconds=5, warmup=1),
    4: dict(clients=1000, universe=500, per_client=20, rate=5000, duration=30, warmup=3, slow_fraction=0.05),
    5: dict(clients=10000, ramp=10000, duration=3),
    6: dict(threads=2, connections=64, seconds=10),
}
SMOKE = {
    1: dict(clients=20, universe=1, per_client=1, burst=10, burst_gap_ms=10),
    2: dict(clients=20, universe=50, per_client=5, rate=200, duration=2, warmup=0.5),
    3: dict(clients=20, universe=50, per_client=5, rates=[200, 400], step_seconds=1, warmup=0.5),
    4: dict(clients=20, universe=50, per_client=5, rate=200, duration=2, warmup=0.5, slow_fraction=0.1),
    5: dict(clients=200, ramp=2000, duration=1),
    6: dict(threads=1, connections=4, seconds=2),
}
NAMES = {1: "burst", 2: "steady", 3: "saturation", 4: "slow-consumers", 5: "connections", 6: "http"}


def log(*args):
    print("suite:", *args, file=sys.stderr, flush=True)


class Server:
    """One system under test, started on a free loopback port; `port` and `pid` once it says it listens."""

    def __init__(self, name, args, env, work, ready=r"listening.*port=(\d+)", timeout=30):
        self.name = name
        self.stderr_path = work / f"{name}.stderr"
        self.stderr = open(self.stderr_path, "w")
        self.proc = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=self.stderr, text=True, cwd=ROOT,
            env={**os.environ, **env}, start_new_session=True)
        self.port = None
        found = {}

        def read():
            for line in self.proc.stdout:
                match = re.search(ready, line)
                if match and "port" not in found:
                    found["port"] = int(match.group(1))
            # Keep draining so a chatty server never blocks on a full pipe.

        threading.Thread(target=read, daemon=True).start()
        deadline = time.monotonic() + timeout
        while "port" not in found:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{name} did not start: {self.stderr_path.read_text()[-2000:]}")
            time.sleep(0.02)
        self.port = found["port"]
        self.pid = self.proc.pid

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.stderr.close()


def start(system, bin_dir, work):
    """The system's server process, listening on 127.0.0.1 on a port of its choosing."""
    if system == "tickhub":
        data = work / "tickhub-data"
        data.mkdir(exist_ok=True)
        env = {"TICKHUB_PROVIDERS": "push", "TICKHUB_PUBLISH_TOKEN": PUBLISH_TOKEN, "TICKHUB_DATA_DIR": str(data),
               # Nothing but the publisher feeds this hub; the other providers point at a closed port.
               "YAHOO_BASE_URL": "http://127.0.0.1:9", "ALPHAVANTAGE_BASE_URL": "http://127.0.0.1:9"}
        return Server(system, [str(bin_dir / "tickhub"), "--listen", "127.0.0.1:0", "--ibkr-port", "9",
                               "--log-level", "warning"], env, work)
    if system == "node-ws":
        return Server(system, ["node", "bench/peers/node-ws.js", "--port", "0"], {}, work)
    if system == "python-websockets":
        return Server(system, [sys.executable, "bench/peers/python_websockets.py", "--port", "0"], {}, work)
    if system == "lws-broadcast":
        return Server(system, [str(lws_peer_binary()), "--port", "0"], {}, work)
    raise ValueError(system)


def lws_peer_binary():
    out = subprocess.run(["bash", "bench/peers/build.sh", str(ROOT / ".build" / "peers")], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout.strip().splitlines()
    return pathlib.Path(out[-1])


def fanout(bin_dir, server, label, output, extra, timeout):
    args = [str(bin_dir / "tickhub-bench"), "fanout", "--port", str(server.port), "--server-pid", str(server.pid),
            "--label", label, "--output", str(output), "--publish-token", PUBLISH_TOKEN, *extra]
    log(" ".join(args[1:]))
    result = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0 or not output.exists():
        raise RuntimeError(f"tickhub-bench failed for {label}: {result.stderr[-2000:]}")
    return json.loads(output.read_text())


def scenario_args(number, p):
    common = ["--synthetic", str(p.get("universe", 1)), "--threads", "1"]
    if number == 1:
        return common + ["--clients", str(p["clients"]), "--per-client", "1", "--feed", "publisher",
                         "--burst", str(p["burst"]), "--burst-gap-ms", str(p["burst_gap_ms"]), "--ramp", "5000",
                         "--warmup", "1"]
    if number in (2, 4):
        return common + ["--clients", str(p["clients"]), "--per-client", str(p["per_client"]), "--pattern", "zipf",
                         "--feed", "publisher", "--rate", str(p["rate"]), "--duration", str(p["duration"]),
                         "--warmup", str(p["warmup"]), "--ramp", "2000",
                         "--slow-fraction", str(p.get("slow_fraction", 0))]
    if number == 3:
        return common + ["--clients", str(p["clients"]), "--per-client", str(p["per_client"]), "--pattern", "zipf",
                         "--feed", "publisher", "--rates", ",".join(map(str, p["rates"])),
                         "--step-seconds", str(p["step_seconds"]), "--warmup", str(p["warmup"]), "--ramp", "2000",
                         "--p99-limit-ms", "50", "--max-conflated-share", "0.1"]
    if number == 5:
        return ["--clients", str(p["clients"]), "--idle", "--ramp", str(p["ramp"]), "--duration", str(p["duration"]),
                "--threads", "1", "--synthetic", "1"]
    raise ValueError(number)


def wrk(url, p):
    args = ["wrk", f"-t{p['threads']}", f"-c{p['connections']}", f"-d{p['seconds']}s", "--latency", url]
    log(" ".join(args))
    text = subprocess.run(args, capture_output=True, text=True, timeout=p["seconds"] + 30, check=True).stdout
    result = {"requestsPerSecond": float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)), "raw": text}
    for pct in ("50", "90", "99"):
        match = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
        if match:
            value, unit = float(match.group(1)), match.group(2)
            result[f"p{pct}Ms"] = round(value / 1000 if unit == "us" else value * 1000 if unit == "s" else value, 3)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    result["non2xx"] = int(errors.group(1)) if errors else 0
    return result


def http_scenario(bin_dir, work, out, p):
    """wrk on GET /api/market-data/quote/AAPL: Tickhub, then a Node `http` server answering with the same bytes."""
    hub = start("tickhub", bin_dir, work)
    results = {}
    try:
        body = json.dumps({"symbol": "AAPL", "bid": 230.09, "ask": 230.11, "last": 230.1, "bidSize": 100,
                           "askSize": 200, "ts": time.time_ns() // 1000}).encode()
        request = urllib.request.Request(f"http://127.0.0.1:{hub.port}/api/market-data/publish", data=body,
                                         headers={"Authorization": f"Bearer {PUBLISH_TOKEN}"}, method="POST")
        urllib.request.urlopen(request, timeout=5).read()
        url = f"http://127.0.0.1:{hub.port}/api/market-data/quote/AAPL"
        quote = urllib.request.urlopen(url, timeout=5).read()
        assert json.loads(quote)["symbol"] == "AAPL", quote
        results["tickhub"] = wrk(url, p)
        results["tickhub"]["bodyBytes"] = len(quote)
    finally:
        hub.stop()
    body_file = work / "quote.json"
    body_file.write_bytes(quote)
    node = Server("node-http", ["node", "bench/peers/node-http.js", "--port", "0", "--body", str(body_file)], {}, work)
    try:
        results["node-http"] = wrk(f"http://127.0.0.1:{node.port}/api/market-data/quote/AAPL", p)
        results["node-http"]["bodyBytes"] = len(quote)
    finally:
        node.stop()
    for name, result in results.items():
        (out / f"6-http-{name}.json").write_text(json.dumps(
            {"benchmark": "http", "label": name, "scenario": 6, **result, **p}, indent=1, sort_keys=True))
    return results


def machine():
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    mem = next((int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal")), 0)

    def version(args):
        try:
            return subprocess.run(args, capture_output=True, text=True, timeout=20).stdout.strip().splitlines()[0]
        except Exception:  # noqa: BLE001 - a missing tool is reported, not fatal
            return "?"
    lws = subprocess.run(["pkg-config", "--modversion", "libwebsockets"], capture_output=True, text=True).stdout.strip()
    return {"cpu": cpu, "cores": os.cpu_count(), "memoryGiB": round(mem / 1024 / 1024, 1), "kernel": platform.release(),
            "swift": version(["swift", "--version"]), "node": version(["node", "--version"]),
            "python": platform.python_version(), "libwebsockets": lws, "wrk": version(["wrk", "--version"]),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="tiny scale: keeps the harness working, no figures")
    parser.add_argument("--bin", default=None, help="directory of tickhub and tickhub-bench (default .build/release)")
    parser.add_argument("--out", default=None, help="results directory (default bench/results/suite)")
    parser.add_argument("--systems", default=",".join(SYSTEMS))
    parser.add_argument("--scenarios", default="1,2,3,4,5,6")
    options = parser.parse_args()

    bin_dir = pathlib.Path(options.bin or os.environ.get("TICKHUB_BIN_DIR") or ROOT / ".build" / "release")
    out = pathlib.Path(options.out or ROOT / "bench" / "results" / ("tmp/suite" if options.smoke else "suite"))
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    table = SMOKE if options.smoke else FULL
    systems = [s for s in options.systems.split(",") if s]
    scenarios = [int(s) for s in options.scenarios.split(",") if s]
    # Thousands of sockets per process: the servers and the load generator inherit the raised limit.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    (out / "machine.json").write_text(json.dumps(machine(), indent=1))
    failures = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="tickhub-bench-") as tmp:
        work = pathlib.Path(tmp)
        for number in scenarios:
            params = table[number]
            if number == 6:
                try:
                    http_scenario(bin_dir, work, out, params)
                except Exception as error:  # noqa: BLE001 - one failed run must not lose the others
                    failures.append(f"6 http: {error}")
                    log("FAILED", failures[-1])
                continue
            for system in systems:
                label = f"{number}-{NAMES[number]}-{system}"
                server = None
                try:
                    server = start(system, bin_dir, work)
                    budget = 60 + params.get("duration", 0) + params.get("warmup", 0) \
                        + len(params.get("rates", [])) * (params.get("step_seconds", 0) + params.get("warmup", 0) + 5)
                    result = fanout(bin_dir, server, system, out / f"{label}.json", scenario_args(number, params),
                                    timeout=budget)
                    result["scenario"] = number
                    result["system"] = system
                    (out / f"{label}.json").write_text(json.dumps(result, indent=1, sort_keys=True))
                    if result.get("error"):
                        log(f"{label}: {result['error']}")
                except Exception as error:  # noqa: BLE001
                    failures.append(f"{label}: {error}")
                    log("FAILED", failures[-1])
                finally:
                    if server:
                        server.stop()
    log(f"done in {time.monotonic() - started:.0f} s; results in {out}")
    subprocess.run([sys.executable, str(ROOT / "bench" / "report.py"), str(out)], check=not failures)
    if failures:
        log("failed runs:", *failures, sep="\n  ")
        sys.exit(1)


if __name__ == "__main__":
    main()
