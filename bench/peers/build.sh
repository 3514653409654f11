#!/usr/bin/env bash
# Builds the C peer (lws-broadcast) and prints the binary's path.
#   bench/peers/build.sh [output-dir]        (default .build/peers, relative to the current directory)
# Rebuilds only when the source is newer than the binary, so the benchmark can call it on every run.
set -euo pipefail
src="$(cd "$(dirname "$0")" && pwd)/lws-broadcast.c"
out="${1:-.build/peers}"
mkdir -p "$out"
bin="$out/lws-broadcast"
if [ ! -x "$bin" ] || [ "$src" -nt "$bin" ]; then
  # libwebsockets' pkg-config omits libuv, which the foreign-loop code here calls directly.
  cc -O2 -Wall -o "$bin" "$src" $(pkg-config --cflags --libs libwebsockets) -luv >&2
fi
echo "$bin"
