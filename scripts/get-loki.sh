#!/usr/bin/env bash
# Builds the pinned Grafana Loki (v3.7.8) from its Go module once, caches it outside
# the repo, and prints the binary's absolute path as the LAST line of stdout.
#   LOKI_BIN=/path/to/loki     use that binary instead (checked, not built)
#   LOGSLEUTH_CACHE=/dir       cache root (default: ${XDG_CACHE_HOME:-~/.cache}/logsleuth)
# Progress goes to stderr so that stdout's last line is always the path.
set -euo pipefail

LOKI_VERSION=3.7.8
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
say() { printf '[get-loki] %s\n' "$*" >&2; }

if [[ -n "${LOKI_BIN:-}" ]]; then
  if [[ ! -x "$LOKI_BIN" ]]; then
    say "LOKI_BIN=$LOKI_BIN is not an executable file; unset it to build Loki $LOKI_VERSION instead."
    exit 1
  fi
  say "using LOKI_BIN"
  echo "$(cd "$(dirname "$LOKI_BIN")" && pwd)/$(basename "$LOKI_BIN")"
  exit 0
fi

cache_root="${LOGSLEUTH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/logsleuth}"
dir="$cache_root/loki-$LOKI_VERSION"
bin="$dir/loki"

if [[ -x "$bin" ]] && "$bin" -version 2>/dev/null | grep -q "version $LOKI_VERSION"; then
  say "reusing cached Loki $LOKI_VERSION"
  echo "$bin"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  for candidate in /usr/local/go/bin/go /usr/lib/go/bin/go; do
    [[ -x "$candidate" ]] && PATH="$(dirname "$candidate"):$PATH" && break
  done
fi
if ! command -v go >/dev/null 2>&1; then
  say "Go is not installed. Loki $LOKI_VERSION is built from source and needs Go >= 1.26:"
  say "install it from https://go.dev/dl (or your package manager), or set LOKI_BIN to an existing Loki $LOKI_VERSION binary."
  exit 1
fi
go_minor=$(go env GOVERSION | sed -E 's/^go1\.([0-9]+).*/\1/')
if [[ ! "$go_minor" =~ ^[0-9]+$ ]] || (( go_minor < 26 )); then
  say "Go $(go env GOVERSION) is too old: building Loki $LOKI_VERSION needs Go >= 1.26 (or set LOKI_BIN)."
  exit 1
fi

mkdir -p "$dir"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$here/loki/go.mod" "$here/loki/go.sum" "$work/"

say "building Grafana Loki $LOKI_VERSION with $(go env GOVERSION) into $dir"
say "first time only: downloads ~4 GB of Go modules and compiles for about 9 minutes on 2 cores."
start=$(date +%s)
(
  cd "$work"
  # Heartbeat so a long build never sits silent.
  ( while sleep 30; do say "still building... $(( $(date +%s) - start ))s"; done ) &
  hb=$!
  trap 'kill $hb 2>/dev/null || true' EXIT
  say "step 1/2: resolving and downloading modules"
  go mod download github.com/grafana/loki/v3 >&2
  say "step 2/2: compiling cmd/loki"
  go build -tags netgo -ldflags "-s -w -X github.com/grafana/loki/v3/pkg/util/build.Version=$LOKI_VERSION" \
    -o "$bin.tmp" github.com/grafana/loki/v3/cmd/loki >&2
)
mv "$bin.tmp" "$bin"
say "built in $(( $(date +%s) - start ))s"
echo "$bin"
