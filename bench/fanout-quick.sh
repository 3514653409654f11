#!/usr/bin/env bash
# A quick fan-out run on the real path: tickhub-sim → tickhub (IBKR provider) → N WebSocket clients.
#   bench/fanout-quick.sh [clients] [ticks/s] [seconds] [warmup seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${TICKHUB_BIN_DIR:-.build/release}"
clients="${1:-1000}"; rate="${2:-5000}"; seconds="${3:-10}"; warmup="${4:-12}"
ulimit -n 65536 2>/dev/null || true
work=$(mktemp -d)
"$bin/tickhub-sim" --port 0 --control-port=-1 --clock open --tick-rate "$rate" --synthetic 500 --pacing-limit 0 --lines 1000 > "$work/sim" 2>/dev/null &
sim=$!
trap 'kill $sim $hub 2>/dev/null; rm -rf "$work"' EXIT
hub=""
for _ in $(seq 100); do grep -q listening "$work/sim" 2>/dev/null && break; sleep 0.1; done
sim_port=$(grep -o ' port=[0-9]*' "$work/sim" | cut -d= -f2)
echo '{"ibkr":{"lineBudget":500,"pacingPerSecond":45}}' > "$work/config.json"
TICKHUB_DATA_DIR="$work" TICKHUB_PROVIDERS=ibkr "$bin/tickhub" --config "$work/config.json" --ibkr-port "$sim_port" --listen 127.0.0.1:0 > "$work/hub" 2>"$work/hub.err" &
hub=$!
for _ in $(seq 100); do grep -q listening "$work/hub" 2>/dev/null && break; sleep 0.1; done
hub_port=$(grep -o ' port=[0-9]*' "$work/hub" | cut -d= -f2)
"$bin/tickhub-bench" fanout --port "$hub_port" --clients "$clients" --synthetic 500 --per-client 20 \
  --pattern zipf --duration "$seconds" --warmup "$warmup" --hub-pid "$hub"
