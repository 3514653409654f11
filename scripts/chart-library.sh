#!/usr/bin/env bash
# The dashboard's candlestick chart draws with TradingView's Lightweight Charts. No npm registry is reachable from
# the machines that build Tickhub, but PyPI is, and the Python package `lightweight-charts` ships the library's
# standalone bundle. This takes that one file from a pinned wheel (checked by its hash) into
# clients/dashboard/vendor/, which git ignores, the hub serves and `make install` copies, with the licences.
# Safe to run again: with the file already in place and whole, it does nothing and asks nothing of the network.
set -euo pipefail
cd "$(dirname "$0")/.."

WHEEL_VERSION=2.1
WHEEL=lightweight_charts-${WHEEL_VERSION}-py3-none-any.whl
WHEEL_SHA256=4c5598fd57ac7569c3fed733727e2033190ca2f6e2460223d27e0926be7bff4f
MEMBER=lightweight_charts/js/lightweight-charts.js
LIBRARY_VERSION=4.1.3
LIBRARY_SHA256=a7d4221516c7ea0bb0cc17d605df8848c1c748517a2ca43c2ce1a95ddb159006

CACHE=.build/downloads
VENDOR=clients/dashboard/vendor
TARGET=$VENDOR/lightweight-charts.js

whole() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -c1-64)" = "$2" ]; }

if whole "$TARGET" "$LIBRARY_SHA256" && [ -f "$VENDOR/NOTICE" ] && [ -f "$VENDOR/LICENSE-Apache-2.0" ]; then
  echo "chart library: ok (Lightweight Charts $LIBRARY_VERSION in $VENDOR)"
  exit 0
fi

mkdir -p "$CACHE"
if ! whole "$CACHE/$WHEEL" "$WHEEL_SHA256"; then
  rm -f "$CACHE/$WHEEL"
  python3 -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: \
    "lightweight-charts==$WHEEL_VERSION" -d "$CACHE"
  if ! whole "$CACHE/$WHEEL" "$WHEEL_SHA256"; then
    echo "chart library: $CACHE/$WHEEL is not the pinned wheel (sha256 $WHEEL_SHA256); not using it" >&2
    exit 1
  fi
fi

# Written beside the target and moved into place, so that a failure never leaves half a library to be served.
mkdir -p "$VENDOR"
staging=$(mktemp -d "$VENDOR/.staging.XXXXXX")
trap 'rm -rf "$staging"' EXIT
python3 - "$CACHE/$WHEEL" "$MEMBER" "$staging" <<'PY'
import pathlib, sys, zipfile
wheel, member, out = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3])
with zipfile.ZipFile(wheel) as z:
    (out / "lightweight-charts.js").write_bytes(z.read(member))
    license_name = next(n for n in z.namelist() if n.endswith(".dist-info/LICENSE"))
    (out / "LICENSE-lightweight-charts-python").write_bytes(z.read(license_name))
PY
if ! whole "$staging/lightweight-charts.js" "$LIBRARY_SHA256"; then
  echo "chart library: $MEMBER in the wheel is not Lightweight Charts $LIBRARY_VERSION as pinned" >&2
  exit 1
fi
# The bundle's header names its licence, Apache-2.0; the wheel carries only its own (MIT, for the Python code).
if [ -f /usr/share/common-licenses/Apache-2.0 ]; then
  cp /usr/share/common-licenses/Apache-2.0 "$staging/LICENSE-Apache-2.0"
else
  printf '%s\n' "Apache License, Version 2.0: https://www.apache.org/licenses/LICENSE-2.0" > "$staging/LICENSE-Apache-2.0"
fi
cat > "$staging/NOTICE" <<EOF
lightweight-charts.js: TradingView Lightweight Charts(TM) v$LIBRARY_VERSION, standalone build.
Copyright (c) 2024 TradingView, Inc. Licensed under the Apache License, Version 2.0 (LICENSE-Apache-2.0);
its own header says so.

Taken unmodified by scripts/chart-library.sh (\`make setup\`) from $MEMBER in the PyPI wheel
lightweight-charts==$WHEEL_VERSION ($WHEEL, sha256 $WHEEL_SHA256), the Python
package by louisnw01, MIT-licensed (LICENSE-lightweight-charts-python). sha256 of this file:
$LIBRARY_SHA256

Not part of Tickhub's source: this folder is ignored by git and rebuilt by \`make setup\`.
EOF
for f in "$staging"/*; do mv -f "$f" "$VENDOR/"; done
echo "chart library: Lightweight Charts $LIBRARY_VERSION into $VENDOR"
