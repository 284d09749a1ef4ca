#!/usr/bin/env bash
# Export figures for BENCHMARKS.md (issue 16): the time from POST /api/v1/exports to the
# task's `success`, and the service's peak resident memory (VmHWM), for a tenant of
# 10,000 and then 100,000 channels, on the release build. Prints a Markdown table.
#
#   bash bench/export.sh                   # embedded SQLite (synchronous=FULL)
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/xchannel_bench bash bench/export.sh
#
# Knobs: SIZES (default "10000 100000"), FORMAT (csv), PORT (18182), XCHANNEL_BIN (a
# release binary to measure as it is; the script then builds nothing). Without
# XCHANNEL_BIN it builds and runs ${CARGO_TARGET_DIR:-./target}/release/xchannel.
# Channels beyond the first are copied with SQL (sqlite3 or psql), not POSTed: the POST
# rate is measured by bench/load.sh. Needs curl, python3 and sqlite3 or psql. Traffic
# stays on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES="${SIZES:-10000 100000}"
FORMAT="${FORMAT:-csv}"
PORT="${PORT:-18182}"
BASE="http://127.0.0.1:$PORT"
if [[ -n "${XCHANNEL_BIN:-}" ]]; then
  BIN="$(realpath "$XCHANNEL_BIN")"
else
  cargo build --release --locked -p xchannel >/dev/null
  BIN="$(realpath "${CARGO_TARGET_DIR:-$PWD/target}/release/xchannel")"
fi
WORK="$(mktemp -d)"
trap 'kill "${SERVER:-0}" 2>/dev/null || true; rm -rf "$WORK"' EXIT
cd "$WORK"

if [[ "${DATABASE_URL:-}" == postgres* ]]; then
  BACKEND=PostgreSQL
  admin="${DATABASE_URL%/*}/postgres"; db="${DATABASE_URL##*/}"
  psql "$admin" -qc "DROP DATABASE IF EXISTS $db" && psql "$admin" -qc "CREATE DATABASE $db"
  run_sql() { psql "$DATABASE_URL" -q -v ON_ERROR_STOP=1 >/dev/null; }
else
  BACKEND=SQLite
  export DATABASE_URL="sqlite://$WORK/data/xchannel.db?mode=rwc"
  run_sql() { sqlite3 -bail "$WORK/data/xchannel.db" >/dev/null; }
fi

RUST_LOG=warn "$BIN" serve --bind "127.0.0.1:$PORT" 2>server.log &
SERVER=$!
until curl -fs "$BASE/readyz" >/dev/null 2>&1; do sleep 0.01; done

json() { python3 -c "import sys,json; print(json.load(sys.stdin)$1)"; }
SYS=$("$BIN" token create --role system-admin 2>/dev/null)
post() { curl -fs -XPOST "$BASE$1" -H "Authorization: Bearer $2" -H 'Content-Type: application/json' -d "$3"; }
TENANT=$(post /api/v1/tenants "$SYS" '{"name":"bench"}' | json '["id"]')
TOKEN=$(post /api/v1/tokens "$SYS" "{\"tenantId\":\"$TENANT\",\"role\":\"tenant-admin\"}" | json '["token"]')
OU=$(post /api/v1/ous "$TOKEN" '{"name":"bench"}' | json '["id"]')
QUEUE=$(post /api/v1/called-routes "$TOKEN" "{\"name\":\"bench\",\"mediaType\":\"multimedia\",\"ouId\":\"$OU\"}" | json '["id"]')
SEED=$(post /api/v1/channels "$TOKEN" @- <<JSON | json '["id"]'
{"name":"seed","type":"x","x":{"apiKey":"seedkey$RANDOM","apiKeySecret":"seedsecret","accessToken":"1-seedtoken","accessTokenSecret":"seedtokensecret","accountLevel":"enterprise","signatureAlgorithm":"SHA-256"},
 "ouId":"$OU","skillQueueId":"$QUEUE","transferKeywords":["agent","human"],
 "workTime":{"workday":[{"start":"08:00","end":"12:00"},{"start":"13:00","end":"18:00"}],"nonWorkday":[{"start":"10:00","end":"16:00"}]},
 "nonWorkingTimeNotification":"We are closed, back at 8.","queueReminder":{"mode":"all","content":"Please wait.","progressContent":"You are number \${position}"},
 "callTransferInteractionTimes":3,
 "more":{"lastAgentMode":{"enabled":true,"validHours":24},"noCustomerReplyEnd":{"enabled":true,"timeoutSeconds":600,"reminderSeconds":300,"reminderText":"Still there?","endText":"Bye"},
         "sessionTransfer":{"enabled":true,"allowedTargets":["agent","skillQueue"]}},
 "robot":{"intelligentRobot":{"enabled":true,"robotId":"bot-1"},"robotAssistant":{"enabled":false}}}
JSON
)

# Copies of the seed channel, new ids, names and API key fingerprints, 5,000 a statement.
HAVE=1
grow_to() {
  python3 - "$SEED" "$HAVE" "$1" <<'PY' | run_sql
import sys, uuid
seed, have, want = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
cols = ("id, tenant_id, name, channel_type, ou_id, skill_queue_id, transfer_queue_id, account_level, "
        "status, status_detail, settings, api_key_fingerprint, credentials, credential_hints, "
        "credentials_version, version, created_at, updated_at")
picked = ("v.column1, c.tenant_id, v.column2, c.channel_type, c.ou_id, c.skill_queue_id, "
          "c.transfer_queue_id, c.account_level, c.status, c.status_detail, c.settings, v.column3, "
          "c.credentials, c.credential_hints, c.credentials_version, c.version, c.created_at, c.updated_at")
n = want - have
print("BEGIN;")
while n > 0:
    batch = min(n, 5000)
    rows = []
    for _ in range(batch):
        u = uuid.uuid4()
        rows.append(f"('{u}', 'copy_{u.hex}', 'fp{u.hex}')")
    print(f"INSERT INTO channels ({cols}) SELECT {picked} FROM channels c, (VALUES {', '.join(rows)}) AS v WHERE c.id = '{seed}';")
    n -= batch
print("COMMIT;")
# Statistics as a database that grew through the API would have them (autovacuum's
# analyze on PostgreSQL): without them the planner sorts the tenant for every page.
print("ANALYZE channels;")
PY
  HAVE=$1
}

rss_mb() { awk "/^$1:/ {printf \"%.0f\", \$2 / 1024}" "/proc/$SERVER/status"; }

echo "| Backend | Channels | Files | Archive | POST to success | Peak RSS (VmHWM) |"
echo "|---|---|---|---|---|---|"
for size in $SIZES; do
  grow_to "$size"
  start=$(date +%s%N)
  ID=$(post /api/v1/exports "$TOKEN" "{\"compressionPassword\":\"Bench-2026\",\"format\":\"$FORMAT\"}" | json '["id"]')
  while :; do
    TASK=$(curl -fs "$BASE/api/v1/exports/$ID" -H "Authorization: Bearer $TOKEN")
    STATUS=$(echo "$TASK" | json '["status"]')
    [[ "$STATUS" == success || "$STATUS" == failed ]] && break
    sleep 0.02
  done
  done_at=$(date +%s%N)
  [[ "$STATUS" == success ]] || { echo "export failed: $TASK" >&2; exit 1; }
  FILES=$(echo "$TASK" | json '["fileCount"]')
  BYTES=$(echo "$TASK" | json '["archiveBytes"]')
  GOT=$(curl -fs "$BASE/api/v1/exports/$ID/archive" -H "Authorization: Bearer $TOKEN" | wc -c)
  [[ "$GOT" == "$BYTES" ]] || { echo "downloaded $GOT bytes, the task says $BYTES" >&2; exit 1; }
  printf '| %s | %s | %s | %s MB | %s ms | %s MB |\n' "$BACKEND" "$size" "$FILES" \
    "$(awk "BEGIN {printf \"%.1f\", $BYTES / 1048576}")" "$(( (done_at - start) / 1000000 ))" "$(rss_mb VmHWM)"
done
