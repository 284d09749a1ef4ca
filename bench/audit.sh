#!/usr/bin/env bash
# The cost of the audit trail (issue 17): the same `PUT /api/v1/channels/{id}` load
# (bench/put_channel.lua) against two service binaries in one run, one with the trail and
# one without (built from main), and the ratio of their requests/s. The goal: the audited
# binary keeps at least 0.8x.
#
#   bench/audit.sh WITH_TRAIL_BIN WITHOUT_TRAIL_BIN
#
# The two binaries take turns, ROUNDS times each (with, without, with, without, ...), each
# turn on a fresh database with PUT_CHANNELS channels, so that a neighbour's load on this
# shared machine falls on both alike; the figure of each binary is the median of its turns,
# counting 200 answers only (a lost race for a version is a 412 and is not counted).
#
# Knobs: DURATION (10s), CONNECTIONS (64), THREADS (2), ROUNDS (3), PUT_CHANNELS (256),
# BACKENDS ("sqlite"; "sqlite postgres" for both), PG_URL
# (postgres://postgres@127.0.0.1:5432/xchannel_bench_audit: dropped and created again at
# each turn). Needs wrk, curl, python3 (and psql for PostgreSQL). Raw figures are kept in
# bench/results/audit-<UTC time>/ (ignored by git). Traffic stays on 127.0.0.1.
set -euo pipefail
if [[ $# -ne 2 ]]; then
  echo "usage: bench/audit.sh WITH_TRAIL_BIN WITHOUT_TRAIL_BIN" >&2
  exit 2
fi
WITH="$(realpath "$1")"
WITHOUT="$(realpath "$2")"
for bin in "$WITH" "$WITHOUT"; do
  [[ -x "$bin" ]] || { echo "$bin is not an executable" >&2; exit 2; }
done
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BENCH="$ROOT/bench"
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
ROUNDS="${ROUNDS:-3}"
PUT_CHANNELS="${PUT_CHANNELS:-256}"
BACKENDS="${BACKENDS:-sqlite}"
PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432/xchannel_bench_audit}"
for tool in wrk curl python3; do
  command -v "$tool" >/dev/null || { echo "bench/audit.sh needs $tool" >&2; exit 1; }
done

RESULTS="$BENCH/results/audit-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$RESULTS"
WORK="$(mktemp -d)"
SERVER=""
cleanup() {
  if [[ -n "$SERVER" ]]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
  if [[ " $BACKENDS " == *" postgres "* ]]; then
    psql "${PG_URL%/*}/postgres" -qc "DROP DATABASE IF EXISTS ${PG_URL##*/}" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
export BENCH_DIR="$BENCH"

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
json() { python3 -c "import sys,json; print(json.load(sys.stdin)$1)"; }
{
  echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "commit=$(git -C "$ROOT" rev-parse --short HEAD)"
  echo "with_trail=$WITH ($(stat -c %s "$WITH") bytes)"
  echo "without_trail=$WITHOUT ($(stat -c %s "$WITHOUT") bytes)"
  echo "nproc=$(nproc)"
  echo "load_start=$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "threads=$THREADS connections=$CONNECTIONS duration=$DURATION rounds=$ROUNDS put_channels=$PUT_CHANNELS"
} >"$RESULTS/meta.txt"

channel_body() { # NAME N
  cat <<JSON
{"name":"$1","type":"x","x":{"apiKey":"putkey${RUN}_$2","apiKeySecret":"putsecret$2","accessToken":"1-puttoken$2","accessTokenSecret":"puttokensecret$2","accountLevel":"enterprise","signatureAlgorithm":"SHA-256"},
 "ouId":"$OU","skillQueueId":"$QUEUE","transferKeywords":["agent"],"queueReminder":{"mode":"all","content":"Please wait."},
 "robot":{"intelligentRobot":{"enabled":true,"robotId":"bot-1"},"robotAssistant":{"enabled":false}}}
JSON
}
post() { # PATH TOKEN BODY: prints the answer
  curl -fs -XPOST "$BASE$1" -H "Authorization: Bearer $2" -H 'Content-Type: application/json' -d "$3"
}

turn() { # BIN NAME BACKEND ROUND: one PUT load on a fresh database; figures in RESULTS
  local bin="$1" name="$2" backend="$3" round="$4" data="$WORK/$2-$3-$4" port database_url
  mkdir -p "$data"
  case "$backend" in
    sqlite) database_url="sqlite://$data/xchannel.db?mode=rwc" ;;
    postgres)
      database_url="$PG_URL"
      local admin="${PG_URL%/*}/postgres" db="${PG_URL##*/}"
      psql "$admin" -qc "DROP DATABASE IF EXISTS $db" && psql "$admin" -qc "CREATE DATABASE $db" ;;
    *) echo "unknown backend $backend" >&2; exit 1 ;;
  esac
  port=$(free_port)
  BASE="http://127.0.0.1:$port"
  export DATABASE_URL="$database_url" XCHANNEL_DATA_DIR="$data"
  unset XCHANNEL_MASTER_KEY
  (cd "$data" && RUST_LOG=warn exec "$bin" serve --bind "127.0.0.1:$port") \
    2>"$RESULTS/$name-$backend-$round-server.log" &
  SERVER=$!
  until curl -fs "$BASE/readyz" >/dev/null 2>&1; do
    kill -0 "$SERVER" 2>/dev/null || { echo "$bin stopped: see $RESULTS/$name-$backend-$round-server.log" >&2; exit 1; }
    sleep 0.01
  done
  local sys tenant token i ids=()
  sys=$(cd "$data" && "$bin" token create --role system-admin 2>/dev/null | grep -o 'xch_[A-Za-z0-9_-]*' | head -1)
  tenant=$(post /api/v1/tenants "$sys" '{"name":"bench"}' | json '["id"]')
  token=$(post /api/v1/tokens "$sys" "{\"tenantId\":\"$tenant\",\"role\":\"tenant-admin\"}" | json '["token"]')
  OU=$(post /api/v1/ous "$token" '{"name":"bench"}' | json '["id"]')
  QUEUE=$(post /api/v1/called-routes "$token" "{\"name\":\"bench\",\"mediaType\":\"multimedia\",\"ouId\":\"$OU\"}" | json '["id"]')
  RUN="$(date +%s)"
  for i in $(seq 1 "$PUT_CHANNELS"); do
    ids+=("$(post /api/v1/channels "$token" "$(channel_body "put_${RUN}_$i" "$i")" | json '["id"]')")
  done
  echo "== $backend, round $round: $name ($CONNECTIONS connections, $DURATION)"
  BENCH_TOKEN="$token" BENCH_OU="$OU" BENCH_QUEUE="$QUEUE" BENCH_RUN="$RUN" \
    BENCH_CHANNELS="$(IFS=,; echo "${ids[*]}")" BENCH_THREADS="$THREADS" \
    BENCH_JSON="$RESULTS/$name-$backend-$round.json" \
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$BENCH/put_channel.lua" "$BASE" \
    | tee "$RESULTS/$name-$backend-$round.txt"
  if [[ "$name" == with ]]; then
    # The audited binary must have recorded the load: one event per accepted PUT.
    local events
    events=$(curl -fs "$BASE/api/v1/audit-events?action=channel.updated&limit=1" -H "Authorization: Bearer $token" \
      | json '["items"][0]["action"]' 2>/dev/null || echo none)
    [[ "$events" == channel.updated ]] || { echo "the binary given WITH the trail recorded no channel.updated" >&2; exit 1; }
  fi
  kill "$SERVER"; wait "$SERVER" 2>/dev/null || true
  SERVER=""
}

for backend in $BACKENDS; do
  for round in $(seq 1 "$ROUNDS"); do
    turn "$WITH" with "$backend" "$round"
    turn "$WITHOUT" without "$backend" "$round"
  done
done
echo "load_end=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$RESULTS/meta.txt"

# The median 200s/s of each binary per backend, and the ratio.
python3 - "$RESULTS" $BACKENDS <<'PY' | tee "$RESULTS/summary.txt"
import glob, json, os, statistics, sys
results, backends = sys.argv[1], sys.argv[2:]
for backend in backends:
    medians = {}
    for name in ("with", "without"):
        rates = []
        for path in sorted(glob.glob(os.path.join(results, f"{name}-{backend}-*.json"))):
            with open(path) as f:
                r = json.load(f)
            rates.append((r["requests"] - r["status_errors"]) / r["seconds"])
        medians[name] = statistics.median(rates)
        print(f"{backend}: {name} the trail: " + ", ".join(f"{x:.0f}" for x in rates)
              + f" PUT 200s/s; median {medians[name]:.0f}")
    ratio = medians["with"] / medians["without"]
    verdict = "meets" if ratio >= 0.8 else "misses"
    print(f"{backend}: ratio with/without = {ratio:.2f} ({verdict} the 0.8 goal)")
PY
echo "figures in $RESULTS"
