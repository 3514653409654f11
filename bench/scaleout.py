#!/usr/bin/env python3
"""Fan-out through Tickhub scaled out over NATS against the one process, on the same load (issue 18).

    python3 bench/scaleout.py [--bin .build/release] [--runs 3] [--smoke] [--out bench/results/scaleout.json]

The load is fanout-quick.sh's: tickhub-sim (synthetic stocks S0001…, a tick rate) → IBKR provider → WebSocket
clients held by `tickhub-bench fanout` (Zipf over the universe, K symbols a client), in three topologies:

- `single`: one `tickhub` (`--role all`), the clients on it;
- `edge1`: `tickhub --role ingest` on the simulator → nats-server → one `tickhub --role edge`, the clients on it;
- `edge3`: the same with three edges, the clients split evenly (one `tickhub-bench` per edge, run together).

Latency is measured from each quote's `t` (the µs at which the hub that received it from IBKR stamped it: the
single process, or the ingest, whose bytes the edges pass on unchanged) to the client's receipt, so an edge's figure
includes the hop through NATS. Per topology the median over runs of each run's p50 and p99 (with three edges, the
worst edge's). The broker's cost per update: nats-server's CPU (utime + stime from /proc/<pid>/stat) over the run,
divided by the quotes the ingest published (everything NATS does for one: taking it, handing it to each edge that
wants it, the bucket's write), and by the messages it took in and handed out (`in_msgs`, `out_msgs` of its /varz,
which count the bucket's writes, interest renewals and pings too).

Everything is on loopback and every process is stopped at the end. The figures on a 2-core machine include the
contention of up to eight processes for two cores: compare topologies within one invocation only."""
import argparse
import json
import os
import pathlib
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[1]
TICK = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cpu_seconds(pid):
    """utime + stime of a process (all its threads), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


class Started:
    """A process whose first line matching `ready` has been read; key=value pairs of that line in `fields`."""

    def __init__(self, args, ready, env=None, timeout=30):
        self.args = args
        self.log = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.log, text=True,
                                     env={**os.environ, **(env or {})})
        deadline = time.monotonic() + timeout
        self.fields = {}
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            if re.search(ready, line):
                self.fields = dict(re.findall(r"(\w+)=(\S+)", line))
                # The rest is read and dropped, so a full pipe never blocks the process.
                threading.Thread(target=lambda: [None for _ in self.proc.stdout], daemon=True).start()
                return
        self.stop()
        self.log.seek(0)
        raise RuntimeError(f"{args[0]} did not start: {self.log.read()[-2000:]}")

    @property
    def pid(self):
        return self.proc.pid

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class NATS:
    """nats-server -js on free loopback ports, its monitoring port for /varz."""

    def __init__(self, folder):
        self.port, self.monitor = free_port(), free_port()
        executable = shutil.which("nats-server") or "/usr/sbin/nats-server"
        self.proc = subprocess.Popen([executable, "-js", "-a", "127.0.0.1", "-p", str(self.port), "-m", str(self.monitor),
                                      "-sd", str(folder / "nats-store"), "-l", str(folder / "nats-server.log")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                self.varz()
                return
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.stop()
                    raise RuntimeError("nats-server did not start")
                time.sleep(0.05)

    @property
    def pid(self):
        return self.proc.pid

    @property
    def url(self):
        return f"nats://127.0.0.1:{self.port}"

    def varz(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.monitor}/varz", timeout=5) as response:
            return json.load(response)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def metric(port, name):
    """The sample `name` (with its labels, if any: `tickhub_relay_published_total{kind="quote"}`) of /metrics."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        for line in response.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    return None


QUOTES_PUBLISHED = 'tickhub_relay_published_total{kind="quote"}'


def wait(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not within {timeout} s")
        time.sleep(0.1)


def run_topology(topology, args, folder):
    """One run of one topology; a dict of its figures."""
    edges = {"single": 0, "edge1": 1, "edge3": 3}[topology]
    folder.mkdir(parents=True, exist_ok=True)
    started = []
    nats = None
    try:
        sim = Started([str(args.bin / "tickhub-sim"), "--port", "0", "--control-port=-1", "--clock", "open",
                       "--tick-rate", str(args.rate), "--synthetic", str(args.symbols), "--pacing-limit", "0",
                       "--lines", "1000"], r"tickhub-sim: listening")
        started.append(sim)
        config = folder / "hub.json"
        config.write_text(json.dumps({"ibkr": {"lineBudget": 500, "pacingPerSecond": 45},
                                      "nats": {"leaseSeconds": 6, "leaderSeconds": 3}}))
        env = {"TICKHUB_PROVIDERS": "ibkr", "YAHOO_BASE_URL": "http://127.0.0.1:9",
               "ALPHAVANTAGE_BASE_URL": "http://127.0.0.1:9"}
        common = ["--config", str(config), "--listen", "127.0.0.1:0", "--market-clock", sim.fields["clock"]]

        def hub(name, *extra):
            data = folder / name
            data.mkdir(exist_ok=True)
            process = Started([str(args.bin / "tickhub"), *common, *extra], r"tickhub: listening",
                              env={**env, "TICKHUB_DATA_DIR": str(data)})
            started.append(process)
            return process

        if edges == 0:
            servers = [hub("single", "--ibkr-port", sim.fields["port"])]
            ingest = None
        else:
            nats = NATS(folder)
            ingest = hub("ingest", "--role", "ingest", "--nats-url", nats.url, "--ibkr-port", sim.fields["port"])
            wait(lambda: metric(int(ingest.fields["port"]), "tickhub_relay_leader") == 1, 20, "the ingest leading")
            servers = [hub(f"edge{n}", "--role", "edge", "--nats-url", nats.url) for n in range(edges)]

        before = {}
        if nats is not None:
            varz = nats.varz()
            before = {"cpu": cpu_seconds(nats.pid), "in": varz["in_msgs"], "out": varz["out_msgs"],
                      "quotes": metric(int(ingest.fields["port"]), QUOTES_PUBLISHED),
                      "ingest": cpu_seconds(ingest.pid), "at": time.monotonic()}
        per_server = max(1, args.clients // len(servers))
        reports = [folder / f"fanout{n}.json" for n in range(len(servers))]
        benches = [subprocess.Popen(
            [str(args.bin / "tickhub-bench"), "fanout", "--port", server.fields["port"], "--clients", str(per_server),
             "--synthetic", str(args.symbols), "--per-client", str(args.per_client), "--pattern", "zipf",
             "--duration", str(args.seconds), "--warmup", str(args.warmup), "--server-pid", str(server.pid),
             "--seed", str(7 + n), "--label", f"{topology}:{n}", "--output", str(report)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for n, (server, report) in enumerate(zip(servers, reports))]
        for bench in benches:
            bench.wait(timeout=args.warmup + args.seconds + 120)
        figures = {"topology": topology, "edges": edges, "clients": per_server * len(servers), "servers": []}
        for report in reports:
            data = json.loads(report.read_text())
            if data.get("error") or not data.get("steps"):
                raise RuntimeError(f"{topology}: tickhub-bench failed: {data.get('error')}")
            step = data["steps"][0]
            if not step["updatesPerSecond"]:
                raise RuntimeError(f"{topology}: no update reached the clients of {report.stem}")
            figures["servers"].append({"p50Ms": step["latencyMs"]["p50"], "p99Ms": step["latencyMs"]["p99"],
                                       "samples": step["latencyMs"]["samples"],
                                       "updatesPerSecond": step["updatesPerSecond"],
                                       "serverCPUPercent": step["serverCPUPercent"], "connected": data["connected"]})
        figures["p50Ms"] = max(s["p50Ms"] for s in figures["servers"])
        figures["p99Ms"] = max(s["p99Ms"] for s in figures["servers"])
        figures["updatesPerSecond"] = sum(s["updatesPerSecond"] for s in figures["servers"])
        if nats is not None:
            varz = nats.varz()
            seconds = time.monotonic() - before["at"]
            cpu = cpu_seconds(nats.pid) - before["cpu"]
            published, delivered = varz["in_msgs"] - before["in"], varz["out_msgs"] - before["out"]
            quotes = metric(int(ingest.fields["port"]), QUOTES_PUBLISHED) - before["quotes"]
            figures["broker"] = {
                "seconds": round(seconds, 1), "cpuPercent": round(100 * cpu / seconds, 1),
                "quotesPublished": int(quotes), "messagesIn": published, "messagesOut": delivered,
                # Everything NATS does for one quote: taking it, handing it to each edge that wants it, the bucket's write.
                "cpuMicrosecondsPerQuote": round(1e6 * cpu / quotes, 2) if quotes else None,
                "cpuMicrosecondsPerMessageIn": round(1e6 * cpu / published, 2) if published else None,
                "cpuMicrosecondsPerMessageOut": round(1e6 * cpu / delivered, 2) if delivered else None,
                "slowConsumers": varz.get("slow_consumers")}
            figures["ingestCPUPercent"] = round(100 * (cpu_seconds(ingest.pid) - before["ingest"]) / seconds, 1)
        return figures
    finally:
        for process in reversed(started):
            process.stop()
        if nats is not None:
            nats.stop()


def summarize(runs):
    """Per topology: the median of each figure over its runs."""
    summary = {}
    for topology in dict.fromkeys(r["topology"] for r in runs):
        mine = [r for r in runs if r["topology"] == topology]
        entry = {"runs": len(mine), "clients": mine[0]["clients"],
                 "p50Ms": round(statistics.median(r["p50Ms"] for r in mine), 3),
                 "p99Ms": round(statistics.median(r["p99Ms"] for r in mine), 3),
                 "updatesPerSecond": round(statistics.median(r["updatesPerSecond"] for r in mine))}
        if "broker" in mine[0]:
            for key in ("cpuPercent", "cpuMicrosecondsPerQuote", "cpuMicrosecondsPerMessageIn", "cpuMicrosecondsPerMessageOut"):
                values = [r["broker"][key] for r in mine if r["broker"][key] is not None]
                entry["broker" + key[0].upper() + key[1:]] = round(statistics.median(values), 2) if values else None
            entry["ingestCPUPercent"] = round(statistics.median(r["ingestCPUPercent"] for r in mine), 1)
        summary[topology] = entry
    if "single" in summary:
        for topology in ("edge1", "edge3"):
            if topology in summary:
                summary[topology]["addedP50Ms"] = round(summary[topology]["p50Ms"] - summary["single"]["p50Ms"], 3)
    return summary


def markdown(summary, args):
    lines = [f"Scale-out fan-out: {args.clients} clients × {args.per_client} of {args.symbols} symbols (Zipf), "
             f"simulator at {args.rate} ticks/s, {args.seconds} s measured after {args.warmup} s; median of "
             f"{args.runs} run(s). Latency from the quote's `t` to the client.", "",
             "| topology | p50 ms | p99 ms | + p50 vs single | updates/s delivered | ingest CPU % | nats-server CPU % "
             "| nats-server µs per quote | per message in | per message out |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for topology, e in summary.items():
        lines.append(f"| {topology} | {e['p50Ms']} | {e['p99Ms']} | {e.get('addedP50Ms', '')} | {e['updatesPerSecond']} | "
                     f"{e.get('ingestCPUPercent', '')} | {e.get('brokerCpuPercent', '')} | "
                     f"{e.get('brokerCpuMicrosecondsPerQuote', '')} | "
                     f"{e.get('brokerCpuMicrosecondsPerMessageIn', '')} | {e.get('brokerCpuMicrosecondsPerMessageOut', '')} |")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bin", type=pathlib.Path, help="where the executables are (default: .build/release; "
                        "with --smoke $TICKHUB_BIN_DIR or .build/debug)")
    parser.add_argument("--topologies", default="single,edge1,edge3")
    parser.add_argument("--clients", type=int, default=300)
    parser.add_argument("--symbols", type=int, default=200)
    parser.add_argument("--per-client", type=int, default=20)
    parser.add_argument("--rate", type=int, default=2000, help="the simulator's ticks/s")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=8, help="seconds of feed before measuring: the provider subscribes the symbols within IBKR pacing")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=pathlib.Path, default=ROOT / "bench" / "results" / "scaleout.json")
    parser.add_argument("--smoke", action="store_true", help="tiny scale on the debug build: the harness works, no figures")
    args = parser.parse_args()
    if args.bin is None:
        args.bin = pathlib.Path(os.environ.get("TICKHUB_BIN_DIR", ROOT / ".build" / "debug")) if args.smoke \
            else ROOT / ".build" / "release"
    if args.smoke:
        args.clients, args.symbols, args.per_client, args.rate = 6, 20, 5, 500
        args.seconds, args.warmup, args.runs = 1, 2, 1
    args.bin = args.bin.resolve()
    topologies = [t for t in args.topologies.split(",") if t]
    runs = []
    with tempfile.TemporaryDirectory(prefix="tickhub-scaleout-") as folder:
        # Runs alternate between topologies, so a slow spell of the machine falls on all of them alike.
        for run in range(args.runs):
            for topology in topologies:
                figures = run_topology(topology, args, pathlib.Path(folder) / f"{topology}-{run}")
                print(f"scaleout: {topology} run {run + 1}: p50 {figures['p50Ms']} ms, p99 {figures['p99Ms']} ms, "
                      f"{figures['updatesPerSecond']} updates/s" +
                      (f", nats-server {figures['broker']['cpuMicrosecondsPerQuote']} µs per quote"
                       if "broker" in figures else ""), file=sys.stderr)
                runs.append(figures)
    summary = summarize(runs)
    report = {"benchmark": "scaleout", "clients": args.clients, "symbols": args.symbols, "perClient": args.per_client,
              "tickRate": args.rate, "seconds": args.seconds, "warmup": args.warmup, "summary": summary, "runs": runs}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    args.out.with_suffix(".md").write_text(markdown(summary, args))
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
