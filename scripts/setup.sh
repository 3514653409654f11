#!/usr/bin/env bash
# Installs what Tickhub needs to build, test and benchmark. Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# Build: libwebsockets on libuv for the server, SQLite for the store.
# Test and bench: Chromium for the dashboard test, wrk for HTTP load, node + ws for the Node peer, nginx for the
# reverse-proxy test, systemd for `systemd-analyze verify` of the unit, openssl for the TLS test.
# Scale-out: the NATS C client to build against, and nats-server (with JetStream) for the tests that start one.
debs=(libwebsockets-dev libuv1-dev libsqlite3-dev pkg-config chromium wrk node-ws nginx systemd openssl libnats-dev nats-server)

missing=()
for p in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Python tools for the end-to-end tests, pinned.
req=Tests/e2e/requirements.txt
stamp=.build/.setup-pip-$(sha1sum "$req" | cut -c1-12)
if [ ! -f "$stamp" ]; then
  python3 -m pip install -q --disable-pip-version-check -r "$req"
  mkdir -p .build && touch "$stamp"
fi
echo "setup: ok"
