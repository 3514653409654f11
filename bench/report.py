#!/usr/bin/env python3
"""Turns a bench/suite.py results directory into summary.md and PNG charts.

    python3 bench/report.py bench/results/suite

Every figure is the median over a system's runs, with the range (min–max) when there were several. A run in
which the load generator used more than GENERATOR_LIMIT % of a core measured the generator as much as the
server: it is left out of that system's medians, and the cell says how many runs were. Goals are judged from
the medians, Tickhub against peers measured in the same invocation; they are reported, never asserted.
"""
import json
import pathlib
import statistics
import sys
from collections import defaultdict

from suite import NAMES, SYSTEMS, server_threads

COLORS = {"tickhub": "#1f77b4", "node-ws": "#2ca02c", "python-websockets": "#ff7f0e", "lws-broadcast": "#7f7f7f",
          "node-http": "#2ca02c"}
GENERATOR_LIMIT = 90.0
CONTEXT = "context, no goal"


def load(directory):
    """The runs by (scenario, system), in run order, and the machine they ran on."""
    runs = defaultdict(list)
    for path in sorted(directory.glob("*.json")):
        if path.name == "machine.json":
            continue
        data = json.loads(path.read_text())
        runs[(data.get("scenario"), data.get("system") or data.get("label"))].append(data)
    for group in runs.values():
        group.sort(key=lambda run: run.get("run", 1))
    machine = json.loads((directory / "machine.json").read_text()) if (directory / "machine.json").exists() else {}
    return dict(runs), machine


def step(run):
    """The one measured step of a steady, burst or idle run."""
    steps = (run or {}).get("steps") or []
    return steps[0] if steps else None


def over_limit(s):
    return (s.get("benchCPUPercent") or 0) > GENERATOR_LIMIT


def sustained(run):
    """Scenario 3: the highest rate whose step passed with the generator within its limit (0 when none did)."""
    return max((s["rate"] for s in run.get("steps") or [] if s.get("ok") and not over_limit(s)), default=0)


def generator_limited(run):
    """Whether the generator may have decided this run's figures. In scenario 3 that is a step above the highest
    judged pass with the generator over its limit: without it the server might have sustained more. Steps below
    that pass decide nothing."""
    steps = run.get("steps") or []
    if run.get("scenario") == 3:
        best = sustained(run)
        return any(over_limit(s) for s in steps if (s.get("rate") or 0) > best)
    return any(over_limit(s) for s in steps)


def ended_early(run):
    """A run that measured nothing whole. In scenario 3 an error ends the climb the way a failed step does (the
    server died or dropped its clients at that rate), so the steps before it still count."""
    if run.get("scenario") == 3:
        return not run.get("steps")
    return bool(run.get("error"))


def partition(runs, scenario, system):
    """(judged, generator-limited, ended early) runs of one system in one scenario."""
    judged, limited, early = [], [], []
    for run in runs.get((scenario, system), []):
        (early if ended_early(run) else limited if generator_limited(run) else judged).append(run)
    return judged, limited, early


class Figure:
    """One measure of one system over its runs: the values of the runs that count, and how many did not."""

    def __init__(self, values=(), limited=0, missing=0):
        self.values, self.limited, self.missing = list(values), limited, missing

    @property
    def total(self):
        return len(self.values) + self.limited + self.missing

    @property
    def median(self):
        return statistics.median(self.values) if self.values else None


def figure(runs, scenario, system, extract, judge=True):
    """`extract` over the runs; with `judge`, generator-limited runs are counted instead of used."""
    judged, limited, early = partition(runs, scenario, system)
    if not judge:
        judged, limited = judged + limited, []
    values = []
    for run in judged:
        try:
            value = extract(run)
        except (KeyError, TypeError, IndexError, ZeroDivisionError):
            value = None
        if value is not None:
            values.append(value)
    return Figure(values, len(limited), len(early) + len(judged) - len(values))


def fmt(value, digits=1):
    if value is None:
        return "–"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.{digits}f}"


def cell(fig, digits=1):
    """`median (min–max)`, with the runs left out; `generator-limited` when none is left."""
    if not fig.total:
        return "–"
    if not fig.values:
        return f"generator-limited ({fig.limited} of {fig.total} runs)" if fig.limited else "no result"
    text = fmt(fig.median, digits)
    if len(fig.values) > 1:
        text += f" ({fmt(min(fig.values), digits)}–{fmt(max(fig.values), digits)})"
    notes = []
    if fig.limited:
        notes.append(f"{fig.limited} of {fig.total} runs generator-limited")
    if fig.missing:
        notes.append(f"{fig.missing} of {fig.total} runs ended early or lack it")
    return text + (f" [{'; '.join(notes)}]" if notes else "")


def goal(name, met, detail, *figures):
    """`name: met (detail)` or `not met`, from the medians of `figures` (passed to `met` and `detail` in order);
    `not judged` when one of them has no run that counts."""
    for f in figures:
        if not f.values:
            return f"{name}: not judged ({'generator-limited' if f.limited else 'no result'})"
    medians = [f.median for f in figures]
    return f"{name}: {'met' if met(*medians) else 'not met'} ({detail(*medians)})"


def times(a, b):
    if not b:
        return "both 0" if not a else "∞"
    return f"{a / b:.2f}×"


def tickhub_variants(runs, scenario):
    """Tickhub's systems in a scenario: `tickhub`, or its `tickhub-<n>t` variants by thread count."""
    found = {system for number, system in runs if number == scenario and (system == "tickhub" or server_threads(system))}
    return sorted(found, key=lambda name: server_threads(name) or 0)


def efficiency(run):
    """Server CPU µs per delivered update over the measured step: the generator reads the server's utime + stime
    (all threads) at the step's first and last instant, the same instants as the delivery counters."""
    s = step(run)
    return s["serverCPUPercent"] * 10_000 / s["updatesPerSecond"]


def rows(runs):
    """(scenario, measure, {system: cell}, goal) per table row."""
    out = []
    present = {scenario for scenario, _ in runs}

    def per_system(scenario, extract, judge=True):
        return {s: figure(runs, scenario, s, extract, judge) for s in SYSTEMS}

    def row(scenario, measure, cells, goal_text=CONTEXT, digits=1):
        """A row of Figures (or of finished cells); none for a scenario that did not run."""
        if scenario in present:
            out.append((f"{scenario} {NAMES[scenario].replace('-', ' ')}", measure,
                        {s: c if isinstance(c, str) else cell(c, digits) for s, c in cells.items()}, goal_text))

    def generator_row(scenario):
        row(scenario, "load generator CPU % of a core (runs over 90 % left out above)",
            per_system(scenario, lambda r: step(r)["benchCPUPercent"], judge=False))

    p99 = per_system(1, lambda r: r["burst"]["lastReceiverMs"]["p99"])
    row(1, "last receiver p99 ms", p99,
        goal("p99 ≤ 1.2× lws-broadcast", lambda t, l: t <= 1.2 * l, times, p99["tickhub"], p99["lws-broadcast"]))
    row(1, "last receiver p50 ms", per_system(1, lambda r: r["burst"]["lastReceiverMs"]["p50"]))
    generator_row(1)

    latency = {pct: per_system(2, lambda r, pct=pct: step(r)["latencyMs"][pct]) for pct in ("p50", "p99", "p99.9")}
    for pct, limit in (("p99", 10), ("p99.9", 25)):
        row(2, f"latency {pct} ms", latency[pct],
            goal(f"{pct} < {limit} ms", lambda t, limit=limit: t < limit, lambda t: f"{fmt(t)} ms",
                 latency[pct]["tickhub"]))
    row(2, "latency p50 ms", latency["p50"])
    cpu = per_system(2, efficiency)
    row(2, "server CPU µs per delivered update", cpu, "; ".join([
        goal("≤ 0.5× node-ws", lambda t, n: t <= 0.5 * n, times, cpu["tickhub"], cpu["node-ws"]),
        goal("≤ lws-broadcast", lambda t, l: t <= l, times, cpu["tickhub"], cpu["lws-broadcast"])]), digits=2)
    row(2, "delivered updates/s", per_system(2, lambda r: step(r)["updatesPerSecond"]), digits=0)
    row(2, "conflated % (or, for the peers, lost or backlogged)",
        per_system(2, lambda r: 100 * (step(r).get("conflatedShare") or 0)))
    row(2, "frames/s", per_system(2, lambda r: step(r)["framesPerSecond"]), digits=0)
    row(2, "server CPU % of a core", per_system(2, lambda r: step(r)["serverCPUPercent"]))
    row(2, "server RSS MiB", per_system(2, lambda r: step(r)["serverRSSKiB"] / 1024))
    generator_row(2)

    peers = {s: figure(runs, 3, s, sustained) for s in SYSTEMS if s != "tickhub"}
    for variant in tickhub_variants(runs, 3):
        threads = server_threads(variant)
        name = f"{variant}, {threads} server thread{'s' if threads > 1 else ''}" if threads else variant
        figures = {"tickhub": figure(runs, 3, variant, sustained), **peers}
        row(3, f"highest sustained updates/s (p99 ≤ 50 ms, ≥ 90 % delivered): {name}", figures,
            "; ".join(goal(f"≥{want}× {peer}", lambda t, p, want=want: t > 0 and t >= want * p, times,
                           figures["tickhub"], figures[peer]) for peer, want in (("node-ws", 3), ("lws-broadcast", 2))),
            digits=0)

    slow = per_system(4, lambda r: step(r)["latencyMs"]["p99"])
    row(4, "readers' p99 ms", slow,
        goal("p99 within 10 % of steady", lambda s, st: abs(s / st - 1) < 0.10,
             lambda s, st: f"{(s / st - 1) * 100:+.0f} % against {fmt(st)} ms", slow["tickhub"],
             latency["p99"]["tickhub"]))
    growth = per_system(4, lambda r: (r["server"]["rssKiB"]["end"] - r["server"]["rssKiB"]["connected"]) / 1024)
    connected = figure(runs, 4, "tickhub", lambda r: r["server"]["rssKiB"]["connected"] / 1024)
    row(4, "server RSS growth MiB, connected → end", growth,
        goal("memory flat (grows < 10 % of its size when connected)", lambda g, c: g < 0.1 * c,
             lambda g, c: f"{g:+.1f} on {fmt(c)} MiB", growth["tickhub"], connected))
    generator_row(4)

    clients = figure(runs, 5, "tickhub", lambda r: r["clients"], judge=False).median
    per_conn = per_system(5, lambda r: r["server"]["rssPerConnectionBytes"] / 1024)
    row(5, f"server RSS KiB per idle connection, {fmt(clients, 0)} connected", per_conn,
        goal("< 4 KiB", lambda k: k < 4, lambda k: f"{k:.2f} KiB", per_conn["tickhub"]), digits=2)
    accepted = per_system(5, lambda r: r["acceptedPerSecond"])
    row(5, "connections accepted/s", accepted,
        goal("≥ 3,000/s", lambda a: a >= 3000, lambda a: f"{fmt(a, 0)}/s", accepted["tickhub"]), digits=0)

    http = {name: {measure: figure(runs, 6, name, lambda r, m=measure: r[m]) for measure in
                   ("requestsPerSecond", "p99Ms", "wrkCPUPercent")} for name in ("tickhub", "node-http")}

    def http_row(measure, label, goal_text=CONTEXT, digits=1):
        row(6, label, {"tickhub": cell(http["tickhub"][measure], digits),
                       "node-ws": "Node http: " + cell(http["node-http"][measure], digits)}, goal_text)
    requests = (http["tickhub"]["requestsPerSecond"], http["node-http"]["requestsPerSecond"])
    http_row("requestsPerSecond", "GET /api/market-data/quote/AAPL req/s (same wrk settings for both)",
             goal("≥ 3× Node http", lambda t, n: t >= 3 * n, times, *requests), digits=0)
    http_row("p99Ms", "p99 ms (wrk)", digits=2)
    http_row("wrkCPUPercent", "wrk CPU % of a core (reported, not judged)")
    return out


def generator_notes(runs):
    """Each step over the generator limit, and whether it cost its run a place in the medians."""
    notes = []
    for (scenario, system), group in sorted(runs.items(), key=str):
        for run in group:
            for s in run.get("steps") or []:
                if over_limit(s):
                    rate = f" at {fmt(s['rate'], 0)} updates/s" if s.get("rate") else ""
                    verdict = "run left out" if generator_limited(run) else "below the figure, run kept"
                    notes.append(f"- scenario {scenario}, {system}, run {run.get('run', 1)}{rate}: "
                                 f"{s['benchCPUPercent']:.0f} % ({verdict})")
    return notes


def timing(runs, machine):
    """Wall time per scenario, from each run's own clock."""
    seconds = defaultdict(float)
    for (scenario, _), group in runs.items():
        seconds[scenario] += sum(run.get("wallSeconds") or 0 for run in group)
    if not any(seconds.values()):
        return []
    parts = ", ".join(f"{n} {NAMES.get(n, '?')} {seconds[n] / 60:.1f} min" for n in sorted(seconds, key=lambda n: n or 0))
    return [f"Wall time of the runs ({machine.get('runs', '?')} per system, by scenario): {parts}; "
            f"{sum(seconds.values()) / 60:.1f} min in all.", ""]


def markdown(runs, machine):
    lines = ["# Tickhub fan-out benchmark", ""]
    if machine:
        lines += [f"Machine: {machine.get('cpu')}, {machine.get('cores')} cores, {machine.get('memoryGiB')} GiB, "
                  f"Linux {machine.get('kernel')}; {machine.get('swift', '').split('(')[0].strip()}, "
                  f"node {machine.get('node')}, Python {machine.get('python')}, libwebsockets {machine.get('libwebsockets')}. "
                  f"Run {machine.get('date')}.", ""]
    lines += [f"Each cell: median over the runs (min–max). Runs whose load generator was over "
              f"{GENERATOR_LIMIT:.0f} % of a core are left out; goals are judged from the medians.", "",
              "| scenario | measure | " + " | ".join(SYSTEMS) + " | goal |",
              "|---|---|" + "---|" * len(SYSTEMS) + "---|"]
    for scenario, measure, cells, goal_text in rows(runs):
        lines.append(f"| {scenario} | {measure} | " + " | ".join(cells.get(s, "") for s in SYSTEMS) + f" | {goal_text} |")
    lines.append("")
    problems = [f"- {system} in scenario {scenario}, run {run.get('run', 1)}: {run['error']}"
                for (scenario, system), group in sorted(runs.items(), key=str) for run in group if run.get("error")]
    if problems:
        lines += ["Runs that ended early:", *problems, ""]
    limited = generator_notes(runs)
    if limited:
        lines += [f"Steps with the load generator over {GENERATOR_LIMIT:.0f} % of a core:", *limited, ""]
    calibration = [s.get("benchCPUPercent") or 0 for (scenario, _), group in runs.items() if scenario in (1, 2, 3, 4)
                   for run in group for s in run.get("steps") or []]
    if calibration:
        lines += [f"Load generator CPU per measured step (scenarios 1–4): at most {max(calibration):.0f} % of a core "
                  f"(median {statistics.median(calibration):.0f} %).", ""]
    lines += timing(runs, machine)
    lines += ["Charts: latency-percentiles.png, throughput.png, burst.png, connections.png, http.png.", ""]
    return "\n".join(lines)


def representative(runs, scenario, system):
    """The counted run with the median p99 (of an even count, the lower middle), for a curve that cannot be
    averaged across runs."""
    judged = [run for run in partition(runs, scenario, system)[0] if step(run) and step(run).get("percentiles")]
    judged.sort(key=lambda run: step(run)["latencyMs"]["p99"])
    return judged[(len(judged) - 1) // 2] if judged else None


def charts(directory, runs):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # Latency percentile curves, steady and slow-consumer scenarios, one line per system.
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
    for ax, scenario, title in ((axes[0], 2, "2 · steady market"), (axes[1], 4, "4 · 5 % slow consumers")):
        for system in SYSTEMS:
            s = step(representative(runs, scenario, system))
            if not s:
                continue
            points = [(p, ms) for p, ms in s["percentiles"] if p < 100]
            xs = [1 / (1 - p / 100) for p, _ in points]
            ax.plot(xs, [max(ms, 0.001) for _, ms in points], marker="o", label=system, color=COLORS[system])
        ax.set_xscale("log")
        ax.set_yscale("log")
        ticks = [1, 2, 10, 100, 1000, 10000]
        ax.set_xticks(ticks)
        ax.set_xticklabels(["0", "50", "90", "99", "99.9", "99.99"])
        ax.set_xlabel("percentile (the run with the median p99)")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("latency, publisher → client (ms)")
    axes[0].legend()
    fig.tight_layout()
    fig.savefig(directory / "latency-percentiles.png", dpi=110)
    plt.close(fig)

    def bars(filename, panels):
        """One panel per (title, {name: Figure}, unit): the median, its range as an error bar."""
        fig, axes = plt.subplots(1, len(panels), figsize=(6 * len(panels), 4.2))
        axes = axes if len(panels) > 1 else [axes]
        for ax, (title, figures, unit) in zip(axes, panels):
            names = [n for n in figures if figures[n].values]
            heights = [figures[n].median for n in names]
            below = [h - min(figures[n].values) for n, h in zip(names, heights)]
            above = [max(figures[n].values) - h for n, h in zip(names, heights)]
            ax.bar(names, heights, yerr=[below, above], capsize=4,
                   color=[COLORS.get("tickhub" if server_threads(n) else n, "#999") for n in names])
            for x, (h, top) in enumerate(zip(heights, above)):
                ax.annotate(fmt(h, 0 if h >= 100 else 1 if h >= 10 else 2), (x, h + top), ha="center", va="bottom",
                            fontsize=9)
            ax.set_title(title)
            ax.set_ylabel(unit)
            ax.tick_params(axis="x", labelrotation=15)
        fig.tight_layout()
        fig.savefig(directory / filename, dpi=110)
        plt.close(fig)

    def panel(title, scenario, extract, unit, systems=SYSTEMS):
        return title, {s: figure(runs, scenario, s, extract) for s in systems}, unit

    saturation = tickhub_variants(runs, 3) + [s for s in SYSTEMS if s != "tickhub"]
    bars("throughput.png", [
        panel("3 · highest sustained update rate", 3, sustained, "updates/s in", saturation),
        panel("2 · delivered to clients", 2, lambda r: step(r)["updatesPerSecond"], "updates/s out"),
        panel("2 · server CPU per delivered update", 2, efficiency, "µs"),
    ])
    bars("burst.png", [
        panel("1 · burst, last receiver p50", 1, lambda r: r["burst"]["lastReceiverMs"]["p50"], "ms"),
        panel("1 · burst, last receiver p99", 1, lambda r: r["burst"]["lastReceiverMs"]["p99"], "ms"),
    ])
    bars("connections.png", [
        panel("5 · connections accepted per second", 5, lambda r: r["acceptedPerSecond"], "per second"),
        panel("5 · server RSS per idle connection", 5, lambda r: r["server"]["rssPerConnectionBytes"] / 1024, "KiB"),
    ])
    http = panel("6 · GET /api/market-data/quote/AAPL", 6, lambda r: r["requestsPerSecond"], "requests/s",
                 ["tickhub", "node-http"])
    if any(f.values for f in http[1].values()):
        bars("http.png", [http])


def main():
    directory = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "bench/results/suite")
    runs, machine = load(directory)
    text = markdown(runs, machine)
    (directory / "summary.md").write_text(text)
    charts(directory, runs)
    print(text)


if __name__ == "__main__":
    main()
