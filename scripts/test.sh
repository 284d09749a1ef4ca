#!/usr/bin/env bash
# The whole suite: every crate's tests on the embedded SQLite database, then the
# end-to-end API tests (and the SIGKILL test of api/tests/crash.rs) again on PostgreSQL (a
# fresh database per test, dropped after),
# then the API contract as outsiders see it (scripts/contract.sh: spec lint, schemathesis
# on both databases, the generated TypeScript client, the docs page in Chromium).
# Prints the time each part took.
set -euo pipefail
cd "$(dirname "$0")/.."

TIMES=()
timed() {
  local name="$1" start=$SECONDS status=0; shift
  "$@" || status=$?
  TIMES+=("$(printf '%-44s %5ss' "$name" $((SECONDS - start)))")
  return $status
}
report_times() {
  echo "== time per part =="
  printf '%s\n' "${TIMES[@]}"
}

PG_URL="${XCHANNEL_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}"
export XCHANNEL_TEST_POSTGRES_URL="$PG_URL"

start_postgres() {
  if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then return 0; fi
  if [ -d /etc/postgresql ]; then
    echo "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
  for _ in $(seq 1 30); do
    pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && return 0
    sleep 1
  done
  echo "PostgreSQL is not reachable at $PG_URL" >&2
  return 1
}

# Each run names its databases with a prefix of its own and drops only those, so two
# runs on one server do not pull databases from under each other.
export XCHANNEL_TEST_DB_PREFIX="xchannel_test_$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')_"

drop_test_databases() {
  psql "$PG_URL/postgres" -Atqc \
    "SELECT datname FROM pg_database WHERE datname LIKE '${XCHANNEL_TEST_DB_PREFIX}%'" 2>/dev/null |
    while read -r db; do psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS \"$db\"" >/dev/null 2>&1 || true; done
}

echo "== The habits: rustfmt and clippy =="
timed "cargo fmt --check" cargo fmt --all -- --check
timed "cargo clippy -D warnings" cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== SQLite: every crate =="
timed "cargo test, every crate (SQLite)" cargo test --workspace --locked --no-fail-fast

start_postgres
trap 'drop_test_databases; report_times' EXIT
echo "== PostgreSQL: end-to-end API tests =="
timed "cargo test, end-to-end API (PostgreSQL)" \
  env XCHANNEL_TEST_BACKEND=postgres cargo test --locked --no-fail-fast -p xchannel-tests --test api
timed "cargo test, SIGKILL under webhook load (PostgreSQL)" \
  env XCHANNEL_TEST_BACKEND=postgres cargo test --locked -p xchannel --test crash

echo "== The contract: spec lint, fuzzing, generated client, docs page =="
# One seed, so that CI is repeatable; CONTRACT_SEED=<n> (or a random one) explores further.
timed "contract (scripts/contract.sh)" env CONTRACT_SEED="${CONTRACT_SEED:-2583302}" bash scripts/contract.sh
