#!/usr/bin/env python3
"""Turns a bench/suite.py results directory into summary.md and PNG charts.

    python3 bench/report.py bench/results/suite

Figures are medians of what each run measured; ratios compare Tickhub with each peer measured in the same
invocation. The goals are reported, never asserted.
"""
import json
import pathlib
import sys

SYSTEMS = ["tickhub", "node-ws", "python-websockets", "lws-broadcast"]
COLORS = {"tickhub": "#1f77b4", "node-ws": "#2ca02c", "python-websockets": "#ff7f0e", "lws-broadcast": "#7f7f7f",
          "node-http": "#2ca02c"}


def load(directory):
    runs = {}
    for path in sorted(directory.glob("*.json")):
        if path.name == "machine.json":
            continue
        data = json.loads(path.read_text())
        runs[(data.get("scenario"), data.get("system") or data.get("label"))] = data
    machine = json.loads((directory / "machine.json").read_text()) if (directory / "machine.json").exists() else {}
    return runs, machine


def step(run):
    """The one measured step of a steady run."""
    steps = (run or {}).get("steps") or []
    return steps[0] if steps else None


def fmt(value, digits=1):
    if value is None:
        return "–"
    if isinstance(value, (int, float)) and abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def measure(runs, scenario, system, extract):
    """One figure of one run, or None when the run is missing, ended early or lacks it."""
    run = runs.get((scenario, system))
    if not run or run.get("error"):
        return None
    try:
        return extract(run)
    except (KeyError, TypeError, IndexError):
        return None


def ratio(a, b):
    if not a or not b:
        return None
    return a / b


def rows(runs):
    """(scenario, measure, {system: text}, goal text) per table row."""
    out = []

    def per_system(scenario, extract):
        return {system: measure(runs, scenario, system, extract) for system in SYSTEMS}

    burst = per_system(1, lambda r: r["burst"]["lastReceiverMs"])
    out.append(("1 burst", "last receiver p50 / p99 ms",
                {s: f"{fmt(v['p50'])} / {fmt(v['p99'])}" if v else "–" for s, v in burst.items()}, ""))

    steady = per_system(2, lambda r: step(r))
    lat = {s: f"{fmt(v['latencyMs']['p50'])} / {fmt(v['latencyMs']['p99'])} / {fmt(v['latencyMs']['p99.9'])}" if v else "–"
           for s, v in steady.items()}
    tick_p99 = steady["tickhub"]["latencyMs"]["p99"] if steady.get("tickhub") else None
    goal = "" if tick_p99 is None else f"p99 < 10 ms: {'met' if tick_p99 < 10 else 'not met'} ({fmt(tick_p99)} ms)"
    out.append(("2 steady", "latency p50 / p99 / p99.9 ms", lat, goal))
    out.append(("2 steady", "delivered updates/s (conflated %)",
                {s: f"{fmt(v['updatesPerSecond'])} ({fmt(100 * (v.get('conflatedShare') or 0))} %)" if v else "–"
                 for s, v in steady.items()}, ""))
    out.append(("2 steady", "frames/s", {s: fmt(v["framesPerSecond"]) if v else "–" for s, v in steady.items()}, ""))
    out.append(("2 steady", "server CPU % / RSS MiB",
                {s: f"{fmt(v.get('serverCPUPercent'))} / {fmt((v.get('serverRSSKiB') or 0) / 1024)}" if v else "–"
                 for s, v in steady.items()}, ""))

    sustained = per_system(3, lambda r: r["sustainedRate"])
    t = sustained.get("tickhub")
    goals = []
    for peer, want in (("node-ws", 3), ("lws-broadcast", 2)):
        r = ratio(t, sustained.get(peer))
        if r is not None:
            goals.append(f"≥{want}× {peer}: {'met' if r >= want else 'not met'} ({r:.1f}×)")
        elif t and not sustained.get(peer):
            goals.append(f"≥{want}× {peer}: met ({peer} sustained no step)")
    out.append(("3 saturation", "highest sustained updates/s (p99 ≤ 50 ms, ≥ 90 % delivered)",
                {s: fmt(v) if v is not None else "–" for s, v in sustained.items()}, "; ".join(goals)))

    slow = per_system(4, lambda r: step(r))
    out.append(("4 slow consumers", "readers' p99 ms (vs steady)",
                {s: (f"{fmt(v['latencyMs']['p99'])} ({fmt(steady[s]['latencyMs']['p99'])})" if v and steady.get(s) else
                     fmt(v["latencyMs"]["p99"]) if v else "–") for s, v in slow.items()},
                slow_goal(slow.get("tickhub"), steady.get("tickhub"))))
    memory = per_system(4, lambda r: (r["server"]["rssKiB"]["connected"], r["server"]["rssKiB"]["end"]))
    out.append(("4 slow consumers", "server RSS MiB connected → end",
                {s: f"{fmt(v[0] / 1024)} → {fmt(v[1] / 1024)}" if v else "–" for s, v in memory.items()},
                memory_goal(memory.get("tickhub"))))

    accepted = per_system(5, lambda r: r["acceptedPerSecond"])
    out.append(("5 connections", "connections accepted/s", {s: fmt(v) for s, v in accepted.items()}, ""))
    per_conn = per_system(5, lambda r: r["server"]["rssPerConnectionBytes"] / 1024)
    tk = per_conn.get("tickhub")
    out.append(("5 connections", "server RSS KiB per idle connection", {s: fmt(v, 2) for s, v in per_conn.items()},
                "" if tk is None else f"< 4 KiB: {'met' if tk < 4 else 'not met'} ({tk:.2f} KiB)"))
    return out


def slow_goal(slow, steady):
    if not slow or not steady:
        return ""
    change = slow["latencyMs"]["p99"] / max(steady["latencyMs"]["p99"], 1e-9) - 1
    return f"p99 moves < 10 %: {'met' if abs(change) < 0.10 else 'not met'} ({change * 100:+.0f} %)"


def memory_goal(memory):
    if not memory:
        return ""
    growth = memory[1] - memory[0]
    return f"memory flat: {'yes' if growth < 0.1 * memory[0] else 'no'} ({growth / 1024:+.1f} MiB)"


def http_rows(directory):
    results = {}
    for name in ("tickhub", "node-http"):
        path = directory / f"6-http-{name}.json"
        if path.exists():
            results[name] = json.loads(path.read_text())
    if not results:
        return None, results
    t, n = results.get("tickhub", {}).get("requestsPerSecond"), results.get("node-http", {}).get("requestsPerSecond")
    r = ratio(t, n)
    goal = "" if r is None else f"≥5× Node http: {'met' if r >= 5 else 'not met'} ({r:.1f}×)"
    cells = {name: f"{fmt(v['requestsPerSecond'])} req/s, p99 {fmt(v.get('p99Ms'), 2)} ms" for name, v in results.items()}
    return (cells, goal), results


def markdown(directory, runs, machine):
    lines = ["# Tickhub fan-out benchmark", ""]
    if machine:
        lines += [f"Machine: {machine.get('cpu')}, {machine.get('cores')} cores, {machine.get('memoryGiB')} GiB, "
                  f"Linux {machine.get('kernel')}; {machine.get('swift', '').split('(')[0].strip()}, "
                  f"node {machine.get('node')}, Python {machine.get('python')}, libwebsockets {machine.get('libwebsockets')}. "
                  f"Run {machine.get('date')}.", ""]
    lines += ["| scenario | measure | " + " | ".join(SYSTEMS) + " | goal |",
              "|---|---|" + "---|" * len(SYSTEMS) + "---|"]
    for scenario, measure, cells, goal in rows(runs):
        lines.append(f"| {scenario} | {measure} | " + " | ".join(cells.get(s, "–") for s in SYSTEMS) + f" | {goal} |")
    http, _ = http_rows(directory)
    if http:
        cells, goal = http
        lines.append(f"| 6 http | GET /api/market-data/quote/AAPL (wrk) | {cells.get('tickhub', '–')} | "
                     f"Node http: {cells.get('node-http', '–')} | | | {goal} |")
    lines.append("")
    problems = [f"- {key[1]} in scenario {key[0]}: {run['error']}" for key, run in sorted(runs.items(), key=str)
                if run.get("error")]
    if problems:
        lines += ["Runs that ended early:", *problems, ""]
    calibration = [run["steps"][0].get("benchCPUPercent") for run in runs.values() if run.get("steps")]
    if calibration:
        lines += [f"Load generator CPU per measured step: at most {max(c or 0 for c in calibration):.0f} % of a core "
                  f"(median {sorted(c or 0 for c in calibration)[len(calibration) // 2]:.0f} %).", ""]
    lines += ["Charts: latency-percentiles.png, throughput.png, burst.png, connections.png, http.png.", ""]
    return "\n".join(lines)


def charts(directory, runs):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # Latency percentile curves, steady and slow-consumer scenarios, one line per system.
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
    for ax, scenario, title in ((axes[0], 2, "2 · steady market"), (axes[1], 4, "4 · 5 % slow consumers")):
        for system in SYSTEMS:
            s = step(runs.get((scenario, system)))
            if not s or not s.get("percentiles"):
                continue
            points = [(p, ms) for p, ms in s["percentiles"] if p < 100]
            xs = [1 / (1 - p / 100) for p, _ in points]
            ax.plot(xs, [max(ms, 0.001) for _, ms in points], marker="o", label=system, color=COLORS[system])
        ax.set_xscale("log")
        ax.set_yscale("log")
        ticks = [1, 2, 10, 100, 1000, 10000]
        ax.set_xticks(ticks)
        ax.set_xticklabels(["0", "50", "90", "99", "99.9", "99.99"])
        ax.set_xlabel("percentile")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("latency, publisher → client (ms)")
    axes[0].legend()
    fig.tight_layout()
    fig.savefig(directory / "latency-percentiles.png", dpi=110)
    plt.close(fig)

    def bars(filename, panels):
        fig, axes = plt.subplots(1, len(panels), figsize=(6 * len(panels), 4.2))
        axes = axes if len(panels) > 1 else [axes]
        for ax, (title, values, unit) in zip(axes, panels):
            names = [n for n in values if values[n] is not None]
            heights = [values[n] for n in names]
            ax.bar(names, heights, color=[COLORS.get(n, "#999") for n in names])
            for x, h in enumerate(heights):
                ax.annotate(fmt(h) if h >= 10 else f"{h:.2f}", (x, h), ha="center", va="bottom", fontsize=9)
            ax.set_title(title)
            ax.set_ylabel(unit)
            ax.tick_params(axis="x", labelrotation=15)
        fig.tight_layout()
        fig.savefig(directory / filename, dpi=110)
        plt.close(fig)

    bars("throughput.png", [
        ("3 · highest sustained update rate", {s: measure(runs, 3, s, lambda r: r["sustainedRate"]) for s in SYSTEMS}, "updates/s in"),
        ("2 · delivered to clients", {s: measure(runs, 2, s, lambda r: step(r)["updatesPerSecond"]) for s in SYSTEMS}, "updates/s out"),
    ])
    bars("burst.png", [
        ("1 · burst, last receiver p50", {s: measure(runs, 1, s, lambda r: r["burst"]["lastReceiverMs"]["p50"]) for s in SYSTEMS}, "ms"),
        ("1 · burst, last receiver p99", {s: measure(runs, 1, s, lambda r: r["burst"]["lastReceiverMs"]["p99"]) for s in SYSTEMS}, "ms"),
    ])
    bars("connections.png", [
        ("5 · connections accepted per second", {s: measure(runs, 5, s, lambda r: r["acceptedPerSecond"]) for s in SYSTEMS}, "per second"),
        ("5 · server RSS per idle connection", {s: measure(runs, 5, s, lambda r: r["server"]["rssPerConnectionBytes"] / 1024) for s in SYSTEMS}, "KiB"),
    ])
    _, http = http_rows(directory)
    if http:
        bars("http.png", [("6 · GET /api/market-data/quote/AAPL", {n: v["requestsPerSecond"] for n, v in http.items()}, "requests/s")])


def main():
    directory = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "bench/results/suite")
    runs, machine = load(directory)
    text = markdown(directory, runs, machine)
    (directory / "summary.md").write_text(text)
    charts(directory, runs)
    print(text)


if __name__ == "__main__":
    main()
