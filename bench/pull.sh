#!/usr/bin/env bash
# The minute pull under load (issue 15): CHANNELS active Pro channels (5,000) on one
# instance against the fake X answering every request after LATENCY_MS (20 ms), for
# DURATION seconds (180) after all are active. Measures, from the fake X's own log of
# `GET /2/dm_events` calls, whether each channel was pulled within its minute: the gap
# between two pulls of one channel (max and p99, the window's edges included), the
# channels that went longer than INTERVAL + 1 s without a pull, and pulls/s. Prints a
# Markdown table.
#
#   bash bench/pull.sh                                   # embedded SQLite, release build
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/xchannel_bench_pull bash bench/pull.sh
#   CHANNELS=500 DURATION=90 XCHANNEL_BIN=$T/debug/xchannel FAKEX_BIN=$T/debug/fake-x bash bench/pull.sh
#
# Knobs: CHANNELS (5000), DURATION (180 s, measured after every channel is active),
# LATENCY_MS (20), INTERVAL (XCHANNEL_PULL_INTERVAL_SECS, 60), CONCURRENCY
# (XCHANNEL_PULL_CONCURRENCY, the service's default unless set), XCHANNEL_BIN and
# FAKEX_BIN (binaries to measure; without them the script builds the release service and
# the fake X). The channels are made through the API (POST /api/v1/channels, then the
# integration submit), with the fake X answering at once while they are made; its
# latency is set to LATENCY_MS only for the measured window. Needs curl and python3.
# Traffic stays on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
CHANNELS="${CHANNELS:-5000}"
DURATION="${DURATION:-180}"
LATENCY_MS="${LATENCY_MS:-20}"
INTERVAL="${INTERVAL:-60}"
TARGET="${CARGO_TARGET_DIR:-$PWD/target}"
if [[ -z "${XCHANNEL_BIN:-}" || -z "${FAKEX_BIN:-}" ]]; then
  cargo build --release --locked -p xchannel -p xchannel-tests --bin xchannel --bin fake-x >/dev/null
fi
BIN="$(realpath "${XCHANNEL_BIN:-$TARGET/release/xchannel}")"
FAKEX="$(realpath "${FAKEX_BIN:-$TARGET/release/fake-x}")"
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
PORT="$(free_port)"
FAKE_PORT="$(free_port)"
WORK="$(mktemp -d)"
trap 'kill "${SERVER:-0}" "${FAKE:-0}" 2>/dev/null || true; rm -rf "$WORK"' EXIT

if [[ "${DATABASE_URL:-}" == postgres* ]]; then
  BACKEND=PostgreSQL
  admin="${DATABASE_URL%/*}/postgres"; db="${DATABASE_URL##*/}"
  psql "$admin" -qc "DROP DATABASE IF EXISTS $db" && psql "$admin" -qc "CREATE DATABASE $db"
else
  BACKEND=SQLite
  export DATABASE_URL="sqlite://$WORK/data/xchannel.db?mode=rwc"
fi

"$FAKEX" --port "$FAKE_PORT" --crc-interval 0 >"$WORK/fake-x.log" 2>&1 &
FAKE=$!
until curl -fs "http://127.0.0.1:$FAKE_PORT/_fake" >/dev/null 2>&1; do sleep 0.02; done
export XCHANNEL_X_API_BASE_URL="http://127.0.0.1:$FAKE_PORT"
export XCHANNEL_PULL_INTERVAL_SECS="$INTERVAL"
[[ -n "${CONCURRENCY:-}" ]] && export XCHANNEL_PULL_CONCURRENCY="$CONCURRENCY"
export XCHANNEL_DATA_DIR="$WORK/data"
RUST_LOG=warn "$BIN" serve --bind "127.0.0.1:$PORT" 2>"$WORK/server.log" &
SERVER=$!
until curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1; do sleep 0.02; done
SYS=$("$BIN" token create --role system-admin 2>/dev/null)

python3 bench/pull.py \
  --service "http://127.0.0.1:$PORT" --fake "http://127.0.0.1:$FAKE_PORT" --token "$SYS" \
  --channels "$CHANNELS" --duration "$DURATION" --latency-ms "$LATENCY_MS" \
  --interval "$INTERVAL" --backend "$BACKEND" \
  --concurrency "${CONCURRENCY:-default}"
