#!/usr/bin/env bash
# The event stream under load (issue 18, "Performance"): CLIENTS SSE clients connected to
# GET /api/v1/events, RATE signed deliveries per second for DURATION seconds, and the time
# from each delivery's 200 to its `message.received` reaching each SSE client that follows
# the delivery's channel (the bar: p99 under 50 ms at 500 clients and 1,000/s). Not CI.
#
#   bench/events.sh                       # release build, SQLite then PostgreSQL
#   XCHANNEL_BIN=$CARGO_TARGET_DIR/debug/xchannel CLIENTS=20 RATE=50 DURATION=5 bench/events.sh
#
# Knobs: CLIENTS (500), RATE (1000), DURATION (30 s), CHANNELS (50: client i follows
# channel i mod CHANNELS with ?channelId=, as an agent desktop does; each delivery then
# reaches CLIENTS/CHANNELS streams), CONNECTIONS (32 keep-alive delivery connections),
# READERS (2 reader processes), BACKENDS ("sqlite postgres"), PG_URL
# (postgres://postgres@127.0.0.1:5432/xchannel_bench_events: dropped and created again),
# XCHANNEL_BIN (default: the release binary under CARGO_TARGET_DIR or target/; this script
# builds nothing). Results: one JSON line per backend, kept in bench/results/events-<UTC>/.
# The load client is bench/events_load.py (python3, standard library only).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
CLIENTS="${CLIENTS:-500}"
RATE="${RATE:-1000}"
DURATION="${DURATION:-30}"
CHANNELS="${CHANNELS:-50}"
CONNECTIONS="${CONNECTIONS:-32}"
READERS="${READERS:-2}"
BACKENDS="${BACKENDS:-sqlite postgres}"
PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432/xchannel_bench_events}"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
BIN="${XCHANNEL_BIN:-$TARGET/release/xchannel}"
[[ -x "$BIN" ]] || { echo "no binary at $BIN: build it (cargo build --release -p xchannel) or set XCHANNEL_BIN" >&2; exit 1; }
OUT="$ROOT/bench/results/events-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$OUT"
# Each SSE client holds a socket; the load client and the server need room for them.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

SERVER=""
stop_server() { if [[ -n "$SERVER" ]]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; SERVER=""; fi; }
trap stop_server EXIT

echo "events bench: $CLIENTS clients, $RATE deliveries/s for ${DURATION}s over $CHANNELS channels; binary $BIN"
status=0
for backend in $BACKENDS; do
  run="$OUT/$backend"
  mkdir -p "$run/data"
  export XCHANNEL_DATA_DIR="$run/data"
  export XCHANNEL_MASTER_KEY="AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
  if [[ "$backend" == postgres ]]; then
    psql "${PG_URL%/*}/postgres" -qc "DROP DATABASE IF EXISTS ${PG_URL##*/}" -c "CREATE DATABASE ${PG_URL##*/}" >/dev/null
    export DATABASE_URL="$PG_URL"
  else
    export DATABASE_URL="sqlite://$run/data/xchannel.db?mode=rwc"
  fi
  port="$(free_port)"
  base="http://127.0.0.1:$port"
  RUST_LOG=warn "$BIN" serve --bind "127.0.0.1:$port" >"$run/server.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 300); do
    curl -fs "$base/readyz" >/dev/null 2>&1 && break
    kill -0 "$SERVER" 2>/dev/null || { cat "$run/server.log"; exit 1; }
    sleep 0.1
  done
  token="$("$BIN" token create --role system-admin --label bench 2>/dev/null)"
  echo "== $backend =="
  if python3 bench/events_load.py "$base" "$token" --clients "$CLIENTS" --rate "$RATE" \
      --duration "$DURATION" --channels "$CHANNELS" --connections "$CONNECTIONS" \
      --readers "$READERS" --out "$run" | tee "$run/result.json"; then :; else
    echo "$backend: not every receipt arrived, or not every client connected (see $run)"; status=1
  fi
  stop_server
  if [[ "$backend" == postgres ]]; then psql "${PG_URL%/*}/postgres" -qc "DROP DATABASE IF EXISTS ${PG_URL##*/}" >/dev/null || true; fi
done
echo "results: $OUT"
exit $status
