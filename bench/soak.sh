#!/usr/bin/env bash
# The soak: tickhub-sim → tickhub → churning WebSocket and HTTP clients, TWS faults on a schedule, and a verdict
# on whether the hub's memory and file descriptors stay flat (bench/README.md, Soak).
#   bench/soak.sh                  30 minutes; soak.csv and summary.md kept in bench/results/soak/
#   bench/soak.sh --minutes 2      what `make test` runs; results in bench/results/tmp/soak/ (not kept)
#   bench/soak.sh --minutes 0.5    a quick check that the harness works (too short to judge flatness well)
# Other options go to bench/soak.py (--seed N, --out DIR, --fault-gap S, ...; see its --help).
# Binaries from ${TICKHUB_BIN_DIR:-.build/debug}. Exits non-zero, saying why, on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

minutes=30
rest=()
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes="${2:-}"; shift 2 || { echo "soak: --minutes needs a number" >&2; exit 2; } ;;
    --minutes=*) minutes="${1#*=}"; shift ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) rest+=("$1"); shift ;;
  esac
done
if ! [[ "$minutes" =~ ^([0-9]+([.][0-9]*)?|[.][0-9]+)$ ]] || [[ "$minutes" =~ ^[0.]+$ ]]; then
  echo "soak: --minutes takes a positive number of minutes (2, 0.5), not '$minutes'" >&2
  exit 2
fi

bin="${TICKHUB_BIN_DIR:-.build/debug}"
for executable in tickhub tickhub-sim; do
  if [ ! -x "$bin/$executable" ]; then
    echo "soak: no $bin/$executable: build first (swift build, or make build)" >&2
    exit 2
  fi
done
# A few dozen clients and their reconnects; the default limit is usually enough, a higher one does no harm.
ulimit -n 4096 2>/dev/null || true

exec python3 bench/soak.py --minutes "$minutes" --bin "$bin" ${rest[@]+"${rest[@]}"}
