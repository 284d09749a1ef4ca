#!/usr/bin/env bash
# The whole suite: every crate's tests on the embedded SQLite database, then the
# end-to-end API tests again on PostgreSQL (a fresh database per test, dropped after).
set -euo pipefail
cd "$(dirname "$0")/.."

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

echo "== SQLite: every crate =="
cargo test --workspace --locked --no-fail-fast

start_postgres
trap drop_test_databases EXIT
echo "== PostgreSQL: end-to-end API tests =="
XCHANNEL_TEST_BACKEND=postgres cargo test --locked --no-fail-fast -p xchannel-tests --test api
