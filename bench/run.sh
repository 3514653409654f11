#!/usr/bin/env bash
# Runs Tickhub's benchmark suite and writes JSON plus a markdown summary under bench/results/.
#   bench/run.sh           full suite on the release build
#   bench/run.sh --smoke   every benchmark at tiny scale on the current build: keeps the harness working, no figures
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
  recovery_args=(--runs 5 --refuse-seconds 20)
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

python3 bench/summarize.py "$out" "$stamp" > "$out/summary.md"
cat "$out/summary.md"
