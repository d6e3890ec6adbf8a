#!/usr/bin/env sh
# Runs the pinned Deno: the `deno` on PATH when it is the pinned version, otherwise the `deno` package from the npm
# registry, installed once into .cache/deno (or $PILOT_DENO_CACHE). Usage: scripts/deno.sh <deno args…>
# `scripts/deno.sh --print-path` prints the binary's path instead of running it.
set -eu
DENO_VERSION="2.9.6"
root=$(cd "$(dirname "$0")/.." && pwd)
cache="${PILOT_DENO_CACHE:-$root/.cache/deno}"

find_deno() {
  if command -v deno >/dev/null 2>&1 && deno --version 2>/dev/null | head -n 1 | grep -q "^deno $DENO_VERSION "; then
    command -v deno
    return 0
  fi
  for candidate in "$cache"/node_modules/@deno/*/deno "$cache"/node_modules/@deno/*/deno.exe; do
    if [ -f "$candidate" ]; then
      [ -x "$candidate" ] || chmod +x "$candidate"
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

if ! bin=$(find_deno); then
  command -v npm >/dev/null 2>&1 || { echo "error: deno $DENO_VERSION is not on PATH and npm is missing" >&2; exit 1; }
  echo "installing deno $DENO_VERSION from the npm registry into $cache" >&2
  mkdir -p "$cache"
  # --ignore-scripts: the platform binary ships inside @deno/<platform>; we run it directly.
  npm install --prefix "$cache" --no-save --no-audit --no-fund --ignore-scripts --loglevel=error "deno@$DENO_VERSION" >&2
  bin=$(find_deno) || { echo "error: the deno package installed no binary for this platform" >&2; exit 1; }
fi

if [ "${1:-}" = "--print-path" ]; then
  echo "$bin"
  exit 0
fi
exec "$bin" "$@"
