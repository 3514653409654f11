#!/usr/bin/env bash
# The demo: tickhub-sim with the sample portfolio, and a terminal client streaming its quotes.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${TICKHUB_BIN_DIR:-.build/debug}"
port="${DEMO_PORT:-7497}"

"$bin/tickhub-sim" --port "$port" --portfolio config/sim-portfolio.json --tick-rate 200 > >(tee /tmp/tickhub-demo-sim.log) &
sim=$!
trap 'kill $sim 2>/dev/null; wait $sim 2>/dev/null' EXIT INT TERM
for _ in $(seq 100); do grep -q "listening" /tmp/tickhub-demo-sim.log 2>/dev/null && break; sleep 0.1; done
port=$(grep -o 'port=[0-9]*' /tmp/tickhub-demo-sim.log | head -1 | cut -d= -f2)
python3 clients/python/tws_watch.py --port "$port" "$@"
