#!/usr/bin/env bash
# Deliveries/s of POST /webhooks/x/{channelId}: signed ~1 KB DM deliveries, verified,
# deduplicated and durably stored (group commit), under wrk; then how many were stored.
#
#   bash bench/deliveries.sh                                   # embedded SQLite (synchronous=FULL)
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/xchannel_bench bash bench/deliveries.sh
#
# Knobs: DURATION (10s), CONNECTIONS (64), THREADS (2), PORT (18182), COUNT (signed
# deliveries generated, 100000; a run that sends more repeats them: duplicates),
# XCHANNEL_BIN (a binary to measure as it is, e.g. a debug build for a smoke; without it the
# release build is made and used). Needs wrk, curl and python3. Traffic stays on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
PORT="${PORT:-18182}"
COUNT="${COUNT:-100000}"
BASE="http://127.0.0.1:$PORT"
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
if [[ -n "${XCHANNEL_BIN:-}" ]]; then
  BIN="$(realpath "$XCHANNEL_BIN")"
else
  cargo build --release --locked -p xchannel >/dev/null
  BIN="$(realpath "${CARGO_TARGET_DIR:-$PWD/target}/release/xchannel")"
fi
BENCH="$PWD/bench"
WORK="$(mktemp -d)"
trap 'kill "${SERVER:-0}" 2>/dev/null || true; rm -rf "$WORK"' EXIT
cd "$WORK"
if [[ "${DATABASE_URL:-}" == postgres* ]]; then
  admin="${DATABASE_URL%/*}/postgres"; db="${DATABASE_URL##*/}"
  psql "$admin" -qc "DROP DATABASE IF EXISTS $db" && psql "$admin" -qc "CREATE DATABASE $db"
fi
XCHANNEL_WORKERS=off RUST_LOG=warn "$BIN" serve --bind "127.0.0.1:$PORT" 2>server.log &
SERVER=$!
until curl -fs "$BASE/readyz" >/dev/null 2>&1; do sleep 0.01; done

json() { python3 -c "import sys,json; print(json.load(sys.stdin)$1)"; }
post() { curl -fs -XPOST "$BASE$1" -H "Authorization: Bearer $2" -H 'Content-Type: application/json' -d "$3"; }
SYS=$("$BIN" token create --role system-admin 2>/dev/null)
TENANT=$(post /api/v1/tenants "$SYS" '{"name":"bench"}' | json '["id"]')
TOKEN=$(post /api/v1/tokens "$SYS" "{\"tenantId\":\"$TENANT\",\"role\":\"tenant-admin\"}" | json '["token"]')
OU=$(post /api/v1/ous "$TOKEN" '{"name":"bench"}' | json '["id"]')
QUEUE=$(post /api/v1/called-routes "$TOKEN" "{\"name\":\"bench\",\"mediaType\":\"multimedia\",\"ouId\":\"$OU\"}" | json '["id"]')
SECRET="bench-api-key-secret"
CHANNEL=$(post /api/v1/channels "$TOKEN" "{\"name\":\"bench\",\"type\":\"x\",\"x\":{\"apiKey\":\"benchkey\",\"apiKeySecret\":\"$SECRET\",\"accessToken\":\"1-benchtoken\",\"accessTokenSecret\":\"benchtokensecret\",\"accountLevel\":\"enterprise\",\"signatureAlgorithm\":\"SHA-256\"},\"ouId\":\"$OU\",\"skillQueueId\":\"$QUEUE\",\"transferKeywords\":[\"agent\"],\"robot\":{\"intelligentRobot\":{\"enabled\":false},\"robotAssistant\":{\"enabled\":false}}}" | json '["id"]')

python3 "$BENCH/sign_deliveries.py" "$COUNT" "$SECRET" deliveries.tsv
echo "body size of one delivery: $(head -n1 deliveries.tsv | cut -f2 | wc -c) bytes"
echo "== POST /webhooks/x/{channelId} (${CONNECTIONS} connections, ${DURATION}) =="
DELIVERIES="$WORK/deliveries.tsv" CHANNEL="$CHANNEL" WRK_THREADS="$THREADS" \
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$BENCH/delivery.lua" "$BASE"
curl -fs "$BASE/metrics" | grep -E '^xchannel_(messages_stored|messages_duplicate|group_commits)_total|^xchannel_webhook_deliveries_total'
