#!/usr/bin/env python3
"""Tickhub against its peers, same load, one invocation: the six scenarios of bench/README.md.

    python3 bench/suite.py [--smoke] [--runs N] [--bin DIR] [--out DIR] [--systems a,b] [--scenarios 1,2]

Each scenario runs N times per system, the systems in alternation (A, B, C, A, B, C, …) so that a noisy
minute on the host lands on one run of several systems rather than on every run of one. Every run starts its
system afresh (so memory figures are comparable), drives it with `tickhub-bench fanout` (the same publisher,
message bytes and client generator for all), and writes one JSON under the output directory;
`bench/report.py` turns them into summary.md and charts. Loopback only; every process is stopped at the end of
its run, and every wait is bounded.
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
CORES = os.cpu_count() or 1

# Scenario parameters, full and smoke. Universe symbols are S0001…S<n>. bench/README.md (Timing of a full run)
# adds up what these cost; change it with them.
# 2,000 updates/s leaves room on 2 cores for the server and the load generator together; 20 s after 2 s of
# warm-up keeps about 1,600 samples above the p99.9 while three runs of everything fit in half an hour.
STEADY = dict(clients=1000, universe=500, per_client=20, rate=2000, duration=20, warmup=2)
FULL = {
    1: dict(clients=1000, universe=1, per_client=1, burst=200, burst_gap_ms=20),
    2: STEADY,
    # Clients (and the generator's threads) grow with the cores; each update then fans out to proportionally
    # more readers, so the same rates load a bigger machine in proportion and the list needs no edit. The list
    # starts where every system passed on 2 cores and is finer there, where the peers' limits (and so the
    # ratios) are decided; a run stops at its first failed step, so the top of the list costs nothing until a
    # server gets there.
    3: dict(clients=500 * CORES, universe=500, per_client=20, generator_threads=max(1, CORES // 2),
            rates=[1000, 1500, 2000, 2500, 3000, 4000, 5000, 6000, 8000, 10000, 12500, 15000, 20000, 25000, 30000,
                   40000, 50000],
            step_seconds=4, warmup=1),
    4: dict(STEADY, slow_fraction=0.05),
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
        """`env` adds to the suite's environment; a None value removes the variable."""
        self.name = name
        self.stderr_path = work / f"{name}.stderr"
        self.stderr = open(self.stderr_path, "w")
        merged = {key: value for key, value in {**os.environ, **env}.items() if value is not None}
        self.proc = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=self.stderr, text=True, cwd=ROOT, env=merged,
            start_new_session=True)
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


def server_threads(system):
    """The thread count a `tickhub-<n>t` variant pins; None for plain `tickhub` and for the peers."""
    match = re.fullmatch(r"tickhub-(\d+)t", system)
    return int(match.group(1)) if match else None


def variants(system, number):
    """Scenario 3 runs Tickhub with one server thread and with one per core, to show what the threads buy;
    every other scenario runs it at its default."""
    if system == "tickhub" and number == 3:
        return [f"tickhub-{n}t" for n in sorted({1, CORES})]
    return [system]


def start(system, bin_dir, work):
    """The system's server process, listening on 127.0.0.1 on a port of its choosing."""
    if system == "tickhub" or server_threads(system):
        data = work / "tickhub-data"
        data.mkdir(exist_ok=True)
        env = {"TICKHUB_PROVIDERS": "push", "TICKHUB_PUBLISH_TOKEN": PUBLISH_TOKEN, "TICKHUB_DATA_DIR": str(data),
               # Nothing but the publisher feeds this hub; the other providers point at a closed port.
               "YAHOO_BASE_URL": "http://127.0.0.1:9", "ALPHAVANTAGE_BASE_URL": "http://127.0.0.1:9",
               # Plain `tickhub` must run at its default even when the caller's shell sets a thread count.
               "TICKHUB_SERVER_THREADS": str(server_threads(system)) if server_threads(system) else None}
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
    common = ["--synthetic", str(p.get("universe", 1)), "--threads", str(p.get("generator_threads", 1))]
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
    """One wrk run; both systems get exactly these arguments, only the port differs."""
    args = ["wrk", f"-t{p['threads']}", f"-c{p['connections']}", f"-d{p['seconds']}s", "--latency", url]
    log(" ".join(args))
    # wrk is the only child reaped while it runs, so the children's rusage delta is wrk's own CPU.
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    text = subprocess.run(args, capture_output=True, text=True, timeout=p["seconds"] + 30, check=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    result = {"requestsPerSecond": float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)), "raw": text,
              "wrkCPUPercent": round(100 * cpu / p["seconds"], 1)}
    for pct in ("50", "90", "99"):
        match = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
        if match:
            value, unit = float(match.group(1)), match.group(2)
            result[f"p{pct}Ms"] = round(value / 1000 if unit == "us" else value * 1000 if unit == "s" else value, 3)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    result["non2xx"] = int(errors.group(1)) if errors else 0
    return result


def http_scenario(bin_dir, work, out, p, run):
    """wrk on GET /api/market-data/quote/AAPL: Tickhub, then a Node `http` server answering with the same bytes."""
    started = time.monotonic()
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
    finally:
        hub.stop()
    results["tickhub"]["wallSeconds"] = round(time.monotonic() - started, 1)
    started = time.monotonic()
    body_file = work / "quote.json"
    body_file.write_bytes(quote)
    node = Server("node-http", ["node", "bench/peers/node-http.js", "--port", "0", "--body", str(body_file)], {}, work)
    try:
        results["node-http"] = wrk(f"http://127.0.0.1:{node.port}/api/market-data/quote/AAPL", p)
    finally:
        node.stop()
    results["node-http"]["wallSeconds"] = round(time.monotonic() - started, 1)
    for name, result in results.items():
        (out / f"6-http-{name}-run{run}.json").write_text(json.dumps(
            {"benchmark": "http", "label": name, "system": name, "scenario": 6, "run": run, "bodyBytes": len(quote),
             **result, **p}, indent=1, sort_keys=True))
    return results


def run_label(number, system, run):
    return f"{number}-{NAMES[number]}-{system}-run{run}"


def fanout_run(number, system, run, params, bin_dir, work, out):
    """One fresh server process of `system` under one scenario's load; its report lands in the output directory."""
    label = run_label(number, system, run)
    started = time.monotonic()
    server = start(system, bin_dir, work)
    try:
        budget = 60 + params.get("duration", 0) + params.get("warmup", 0) \
            + len(params.get("rates", [])) * (params.get("step_seconds", 0) + params.get("warmup", 0) + 5)
        result = fanout(bin_dir, server, system, out / f"{label}.json", scenario_args(number, params),
                        timeout=budget)
    finally:
        server.stop()
    result.update(scenario=number, system=system, run=run, wallSeconds=round(time.monotonic() - started, 1))
    if server_threads(system):
        result["serverThreads"] = server_threads(system)
    (out / f"{label}.json").write_text(json.dumps(result, indent=1, sort_keys=True))
    if result.get("error"):
        log(f"{label}: {result['error']}")


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
    parser.add_argument("--runs", type=int, default=None, help="runs per system and scenario (default 3; 1 with --smoke)")
    parser.add_argument("--bin", default=None, help="directory of tickhub and tickhub-bench (default .build/release)")
    parser.add_argument("--out", default=None, help="results directory (default bench/results/suite)")
    parser.add_argument("--systems", default=",".join(SYSTEMS),
                        help="tickhub runs as tickhub-1t and tickhub-<cores>t in scenario 3; tickhub-<n>t alone "
                             "pins n server threads everywhere")
    parser.add_argument("--scenarios", default="1,2,3,4,5,6")
    options = parser.parse_args()
    runs = options.runs if options.runs is not None else 1 if options.smoke else 3
    if runs < 1:
        parser.error("--runs must be at least 1")

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
    (out / "machine.json").write_text(json.dumps({**machine(), "runs": runs}, indent=1))
    failures = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="tickhub-bench-") as tmp:
        work = pathlib.Path(tmp)
        for number in scenarios:
            params = table[number]
            scenario_started = time.monotonic()
            for run in range(1, runs + 1):
                if number == 6:
                    log(f"scenario 6 http, run {run}/{runs}")
                    try:
                        http_scenario(bin_dir, work, out, params, run)
                    except Exception as error:  # noqa: BLE001 - one failed run must not lose the others
                        failures.append(f"6 http run {run}: {error}")
                        log("FAILED", failures[-1])
                    continue
                for system in (v for s in systems for v in variants(s, number)):
                    log(f"scenario {number} {NAMES[number]}, run {run}/{runs}: {system}")
                    try:
                        fanout_run(number, system, run, params, bin_dir, work, out)
                    except Exception as error:  # noqa: BLE001
                        failures.append(f"{run_label(number, system, run)}: {error}")
                        log("FAILED", failures[-1])
            log(f"scenario {number} {NAMES[number]}: {time.monotonic() - scenario_started:.0f} s")
    log(f"done in {time.monotonic() - started:.0f} s; results in {out}")
    subprocess.run([sys.executable, str(ROOT / "bench" / "report.py"), str(out)], check=not failures)
    if failures:
        log("failed runs:\n  " + "\n  ".join(failures))
        sys.exit(1)


if __name__ == "__main__":
    main()
