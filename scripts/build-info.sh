#!/bin/sh
# Writes GeneratedBuildInfo.swift: the version in VERSION and the commit the tree was built from.
# Usage: build-info.sh PACKAGE_ROOT OUTPUT_DIR. Run by the BuildInfo plugin before every build.
set -eu
root=$1
out=$2
mkdir -p "$out"
version=$(tr -d ' \n' < "$root/VERSION" 2>/dev/null || echo unknown)
commit=unknown
if command -v git >/dev/null 2>&1 && git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
  commit=$(git -C "$root" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
  # Tracked files changed since that commit: the binary is not exactly that commit.
  if ! git -C "$root" diff --quiet HEAD -- 2>/dev/null; then commit="$commit-modified"; fi
fi
file="$out/GeneratedBuildInfo.swift"
new="let generatedVersion = \"$version\"
let generatedCommit = \"$commit\""
if [ ! -f "$file" ] || [ "$(cat "$file")" != "$new" ]; then
  printf '%s\n' "$new" > "$file"
fi
