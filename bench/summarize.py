"""Turns the JSON results of one bench run into a markdown table (and fails loudly if a result is malformed)."""
import json
import os
import pathlib
import platform
import sys

out, stamp = pathlib.Path(sys.argv[1]), sys.argv[2]
decode = json.loads((out / "decode.json").read_text())
sim = json.loads((out / "sim-throughput.json").read_text())
recovery = json.loads((out / "ibkr-recovery.json").read_text())
fanout = json.loads((out / "fanout.json").read_text())

cpu = "unknown CPU"
try:
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
except OSError:
    pass

print(f"## Tickhub benchmarks, {stamp}")
print()
print(f"Machine: {os.cpu_count()} cores, {cpu}, {platform.system()} {platform.release()}")
print()
print("| benchmark | figure | detail |")
print("|---|---|---|")
print(f"| TWS decode (framing + fields, tick-heavy stream) | {decode['messagesPerSecond']:,} msg/s (median) "
      f"| {decode['messages']:,} messages, {decode['bytes']:,} bytes, runs {decode['allRuns']} |")
rates = ", ".join(f"{r['target']:,}→{r['received']:,}" for r in sim["rates"])
print(f"| tickhub-sim sustained tick rate to one decoding client | {sim['maxSustainedTicksPerSecond']:,} ticks/s "
      f"| {sim['symbols']} symbols, target→received: {rates} |")
for fault in recovery["faults"]:
    print(f"| IBKR recovery after `{fault['fault']}` (fault over → every symbol fresh) | {fault['medianSeconds']:.3f} s (median) "
          f"| runs {fault['runs']} |")
step = fanout["steps"][0]
lat = step["latencyMs"]
print(f"| Fan-out, {fanout['connected']:,} clients × {fanout['perClient']} of {fanout['universe']} symbols (Zipf), "
      f"simulator feed | {step['updatesPerSecond']:,} updates/s delivered, p99 {lat['p99']} ms "
      f"| {step['framesPerSecond']:,} frames/s; p50 {lat['p50']} / p90 {lat['p90']} / p99.9 {lat['p99.9']} / max {lat['max']} ms; "
      f"hub CPU {step.get('serverCPUPercent', '?')} %, bench CPU {step.get('benchCPUPercent', '?')} % |")
