#!/usr/bin/env bash
# Load figures for BENCHMARKS.md: cold start to ready, then requests/s of GET /healthz
# (reference), GET /api/v1/channels/{id}, PUT /api/v1/channels/{id} and POST
# /api/v1/channels under wrk, on the release build.
#
#   bash bench/load.sh                    # embedded SQLite (synchronous=FULL)
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/xchannel_bench bash bench/load.sh
#
# Knobs: DURATION (default 10s), CONNECTIONS (64), THREADS (2), PORT (18181),
# PUT_CHANNELS (256: channels the PUT run spreads its requests over; with fewer than
# about 4 per connection, responses out of order make concurrent PUTs of one channel, 412),
# XCHANNEL_BIN (a release binary to measure as it is; the script then builds nothing).
# Without XCHANNEL_BIN it builds and runs ${CARGO_TARGET_DIR:-./target}/release/xchannel.
# Needs wrk and curl (apt-get install wrk curl). Traffic stays on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
PORT="${PORT:-18181}"
BASE="http://127.0.0.1:$PORT"
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }

PUT_CHANNELS="${PUT_CHANNELS:-256}"
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

# Cold start: from exec to the first 200 of /readyz, on an empty data directory
# (database created and migrated, master key generated).
start=$(date +%s%N)
RUST_LOG=warn "$BIN" serve --bind "127.0.0.1:$PORT" 2>server.log &
SERVER=$!
until curl -fs "$BASE/readyz" >/dev/null 2>&1; do sleep 0.005; done
ready=$(date +%s%N)
echo "cold start to ready: $(( (ready - start) / 1000000 )) ms"

json() { python3 -c "import sys,json; print(json.load(sys.stdin)$1)"; }
SYS=$("$BIN" token create --role system-admin 2>/dev/null)
TENANT=$(curl -fs -XPOST "$BASE/api/v1/tenants" -H "Authorization: Bearer $SYS" -H 'Content-Type: application/json' -d '{"name":"bench"}' | json '["id"]')
TOKEN=$(curl -fs -XPOST "$BASE/api/v1/tokens" -H "Authorization: Bearer $SYS" -H 'Content-Type: application/json' -d "{\"tenantId\":\"$TENANT\",\"role\":\"tenant-admin\"}" | json '["token"]')
OU=$(curl -fs -XPOST "$BASE/api/v1/ous" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"name":"bench"}' | json '["id"]')
QUEUE=$(curl -fs -XPOST "$BASE/api/v1/called-routes" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d "{\"name\":\"bench\",\"mediaType\":\"multimedia\",\"ouId\":\"$OU\"}" | json '["id"]')
export BENCH_TOKEN="$TOKEN" BENCH_OU="$OU" BENCH_QUEUE="$QUEUE" BENCH_RUN="$(date +%s)"

# One channel to read; the POST run then adds channels with unique names and keys.
CHANNEL=$(curl -fs -XPOST "$BASE/api/v1/channels" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d @- <<JSON | json '["id"]'
{"name":"seed","type":"x","x":{"apiKey":"seedkey$BENCH_RUN","apiKeySecret":"seedsecret","accessToken":"1-seedtoken","accessTokenSecret":"seedtokensecret","accountLevel":"enterprise","signatureAlgorithm":"SHA-256"},
 "ouId":"$OU","skillQueueId":"$QUEUE","transferKeywords":["agent"],"queueReminder":{"mode":"all","content":"Please wait."},
 "robot":{"intelligentRobot":{"enabled":true,"robotId":"bot-1"},"robotAssistant":{"enabled":false}}}
JSON
)

echo "== GET /healthz, reference (${CONNECTIONS} connections, ${DURATION}) =="
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$BASE/healthz"

echo "== GET /api/v1/channels/{id} (${CONNECTIONS} connections, ${DURATION}) =="
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/channels/$CHANNEL"

# Channels to replace: unique names and keys like the seed; the PUT run spreads its
# requests over them (round-robin per thread) so that few of them race for one version.
ids=()
for i in $(seq 1 "$PUT_CHANNELS"); do
  ids+=("$(curl -fs -XPOST "$BASE/api/v1/channels" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d @- <<JSON | json '["id"]'
{"name":"put_${BENCH_RUN}_$i","type":"x","x":{"apiKey":"putkey${BENCH_RUN}_$i","apiKeySecret":"putsecret$i","accessToken":"1-puttoken$i","accessTokenSecret":"puttokensecret$i","accountLevel":"enterprise","signatureAlgorithm":"SHA-256"},
 "ouId":"$OU","skillQueueId":"$QUEUE","transferKeywords":["agent"],"queueReminder":{"mode":"all","content":"Please wait."},
 "robot":{"intelligentRobot":{"enabled":true,"robotId":"bot-1"},"robotAssistant":{"enabled":false}}}
JSON
)")
done
export BENCH_CHANNELS="$(IFS=,; echo "${ids[*]}")" BENCH_THREADS="$THREADS"

echo "== PUT /api/v1/channels/{id} (${CONNECTIONS} connections, ${DURATION}, ${PUT_CHANNELS} channels) =="
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$BENCH/put_channel.lua" "$BASE"

echo "== POST /api/v1/channels (${CONNECTIONS} connections, ${DURATION}) =="
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$BENCH/post_channel.lua" "$BASE"
