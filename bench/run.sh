#!/usr/bin/env bash
# Runs Tickhub's benchmarks and writes JSON, markdown summaries and charts under bench/results/.
#   bench/run.sh           everything on the release build, three runs per suite system (about 23 minutes
#                          on a 2-core machine, at most 28: bench/README.md, Timing of a full run)
#   bench/run.sh --smoke   every benchmark, scenario and peer at tiny scale on the current build:
#                          keeps the harness working, no figures
# Part one measures Tickhub's own paths (TWS decoding, the simulator, IBKR recovery, simulator → hub fan-out, and
# the same fan-out scaled out over NATS);
# part two, bench/suite.py, runs the six fan-out scenarios against Tickhub and its peers (bench/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."

smoke=0
[ "${1:-}" = "--smoke" ] && smoke=1

if [ $smoke = 1 ]; then
  bin="${TICKHUB_BIN_DIR:-.build/debug}"
  out=bench/results/tmp
  decode_args=(--messages 20000 --runs 1)
  sim_args=(--rates 2000 --seconds 1 --symbols 10)
  recovery_args=(--runs 1 --refuse-seconds 1)
  fanout_args=(20 200 2 6)
else
  bin=.build/release
  out=bench/results
  decode_args=(--messages 2000000 --runs 7)
  sim_args=(--rates 100000,200000,400000,600000,800000 --seconds 5 --symbols 200)
  recovery_args=(--runs 3 --refuse-seconds 10)
  fanout_args=(1000 5000 10 25)
fi
mkdir -p "$out"
stamp=$(date -u +%Y%m%dT%H%M%SZ)

echo "bench: TWS decode throughput"
"$bin/tickhub-bench" decode "${decode_args[@]}" | tee "$out/decode.json"
echo "bench: simulator sustained tick rate"
"$bin/tickhub-bench" sim-throughput "${sim_args[@]}" | tee "$out/sim-throughput.json"

echo "bench: IBKR provider recovery after TWS faults"
"$bin/tickhub-bench" ibkr-recovery "${recovery_args[@]}" 2>/dev/null | tee "$out/ibkr-recovery.json"

echo "bench: fan-out, tickhub-sim → tickhub → WebSocket clients"
TICKHUB_BIN_DIR="$bin" bash bench/fanout-quick.sh "${fanout_args[@]}" | tee "$out/fanout.json"

echo "bench: scale-out, the same fan-out through an ingest, NATS and one or three edges (bench/scaleout.py)"
if [ $smoke = 1 ]; then
  python3 bench/scaleout.py --smoke --bin "$bin" --out "$out/scaleout.json"
else
  python3 bench/scaleout.py --bin "$bin" --out "$out/scaleout.json"
fi

python3 bench/summarize.py "$out" "$stamp" > "$out/summary.md"
{ echo; cat "$out/scaleout.md"; } >> "$out/summary.md"
cat "$out/summary.md"

echo "bench: Tickhub and its peers, same load (bench/suite.py)"
if [ $smoke = 1 ]; then
  python3 bench/suite.py --smoke --bin "$bin" --out "$out/suite"
else
  python3 bench/suite.py --bin "$bin" --out "$out/suite"
fi
