#!/usr/bin/env bash
# The API contract as others see it, against the running service (the debug build that
# `cargo test` left), on SQLite and on PostgreSQL:
#
#   spec lint     openapi.yaml through Redocly's recommended rules and openapi-spec-validator
#   fuzz          schemathesis from openapi.yaml: every check, every phase (stateful too),
#                 once per role (system admin, tenant admin, tenant user), with references
#                 that exist (tests/contract/seed.py); 0 failures is the bar
#   client        a TypeScript client generated from openapi.yaml (openapi-typescript,
#                 openapi-fetch), compiled with tsc --strict, runs a channel's life through it
#   docs page     /docs/ in headless Chromium without network: every operation is listed;
#                 the screenshot is kept at target/contract/docs.png
#
# It installs what it needs, pinned, once (a venv and node_modules keyed by their lock
# files; Debian's chromium when missing). Called by scripts/test.sh; alone:
#
#   bash scripts/contract.sh                 # everything
#   CONTRACT_PARTS="lint client" bash scripts/contract.sh
#
# Knobs: CONTRACT_EXAMPLES (cases per operation and phase, default 25), CONTRACT_SEED
# (schemathesis seed, default random and printed), CONTRACT_BACKENDS ("sqlite postgres"),
# CONTRACT_ROLES ("system-admin tenant-admin tenant-user").
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
TOOLS="${XCHANNEL_TOOLS_DIR:-$HOME/.cache/xchannel-tools}"
OUT="$ROOT/target/contract"
PG_URL="${XCHANNEL_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}"
PARTS="${CONTRACT_PARTS:-lint fuzz client docs}"
BACKENDS="${CONTRACT_BACKENDS:-sqlite postgres}"
ROLES="${CONTRACT_ROLES:-system-admin tenant-admin tenant-user}"
EXAMPLES="${CONTRACT_EXAMPLES:-25}"
SEED="${CONTRACT_SEED:-$(od -An -N3 -tu4 /dev/urandom | tr -d ' ')}"
mkdir -p "$OUT" "$TOOLS"

wants() { [[ " $PARTS " == *" $1 "* ]]; }

# --- timing and outcome of each part --------------------------------------------------
PASSED=0
FAILED=0
TIMES=()
part() {
  local name="$1"; shift
  local start=$SECONDS status=0
  echo "== contract: $name =="
  "$@" || status=$?
  TIMES+=("$(printf '%-36s %4ss  %s' "$name" $((SECONDS - start)) "$([ $status = 0 ] && echo ok || echo FAILED)")")
  if [ $status = 0 ]; then PASSED=$((PASSED + 1)); else FAILED=$((FAILED + 1)); fi
}

# --- tools, installed once and kept while their pins do not change --------------------
stamp_of() { sha256sum "$@" | sha256sum | cut -c1-16; }

ensure_python_tools() {
  VENV="$TOOLS/venv-$(stamp_of tests/contract/requirements.txt)"
  if [ ! -x "$VENV/bin/schemathesis" ]; then
    echo "installing the pinned Python tools into $VENV"
    rm -rf "$VENV"
    python3 -m venv "$VENV" && "$VENV/bin/pip" install --quiet --disable-pip-version-check \
      -r tests/contract/requirements.txt || { rm -rf "$VENV"; return 1; }
  fi
}

ensure_node_tools() {
  local stamp
  stamp="$(stamp_of clients/package.json clients/package-lock.json)"
  if [ "$(cat clients/node_modules/.xchannel-stamp 2>/dev/null)" != "$stamp" ]; then
    echo "installing the pinned npm packages of clients/"
    (cd clients && npm ci --no-audit --no-fund --loglevel=error) || return 1
    echo "$stamp" > clients/node_modules/.xchannel-stamp
  fi
}

ensure_chromium() {
  CHROMIUM="$(command -v chromium || true)"
  if [ -z "$CHROMIUM" ]; then
    echo "installing Debian's chromium"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null || return 1
    CHROMIUM="$(command -v chromium)"
  fi
  export CHROMIUM
}

# --- the service, on a fresh database -------------------------------------------------
BIN="$TARGET/debug/xchannel"
SERVER=""
PG_DB=""
RUN=""

stop_service() {
  if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
  SERVER=""
  if [ -n "$PG_DB" ]; then psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS \"$PG_DB\" WITH (FORCE)" >/dev/null 2>&1 || true; fi
  PG_DB=""
}
trap stop_service EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Starts the service on BACKEND (sqlite or postgres), seeds it; sets BASE, RUN, SYSTEM_TOKEN.
start_service() {
  local backend="$1"
  RUN="$OUT/$backend"
  rm -rf "$RUN" && mkdir -p "$RUN/data"
  export XCHANNEL_DATA_DIR="$RUN/data"
  export XCHANNEL_MASTER_KEY="AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
  # An event stream ends after this, so the fuzzer's and the client's requests end too.
  export XCHANNEL_EVENT_STREAM_SECONDS=1
  if [ "$backend" = postgres ]; then
    PG_DB="xchannel_contract_$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"
    psql "$PG_URL/postgres" -qc "CREATE DATABASE \"$PG_DB\"" >/dev/null
    export DATABASE_URL="$PG_URL/$PG_DB"
  else
    export DATABASE_URL="sqlite://$RUN/data/xchannel.db?mode=rwc"
  fi
  local port
  port="$(free_port)"
  BASE="http://127.0.0.1:$port"
  RUST_LOG=warn "$BIN" serve --bind "127.0.0.1:$port" --public-url "https://xchannel.example.com" >"$RUN/server.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 100); do
    curl -fs "$BASE/readyz" >/dev/null 2>&1 && break
    kill -0 "$SERVER" 2>/dev/null || { cat "$RUN/server.log"; return 1; }
    sleep 0.1
  done
  SYSTEM_TOKEN="$("$BIN" token create --role system-admin --label contract 2>"$RUN/token.log")"
  SYSTEM_TOKEN_ID="$(sed -n 's/^token \([^ ]*\) .*/\1/p' "$RUN/token.log")"
  python3 tests/contract/seed.py "$BASE" "$SYSTEM_TOKEN" "$RUN"
  set -a; . "$RUN/refs.env"; set +a
  export XCH_BASE="$BASE"
}

# --- the parts ------------------------------------------------------------------------
lint_spec() {
  (cd clients && npx --no-install redocly lint --config redocly.yaml ../openapi.yaml) 2>&1 |
    grep -v -e '^ *║' -e '^ *╔' -e '^ *╚' | sed '/^$/N;/^\n$/D'
  [ "${PIPESTATUS[0]}" = 0 ] && "$VENV/bin/openapi-spec-validator" openapi.yaml
}

build_client() {
  (cd clients && npm run --silent generate && npx --no-install tsc -p tsconfig.json)
}

# Whether each role's token still opens the API (a fuzzing run that revoked one would go on
# testing nothing but 401s).
tokens_still_work() {
  local token status ok=0
  for token in "$SYSTEM_TOKEN" "$XCH_ADMIN_TOKEN" "$XCH_USER_TOKEN"; do
    status="$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$BASE/api/v1/tokens")"
    if [ "$status" = 401 ]; then echo "a role's token stopped working (${token:0:8}...)"; ok=1; fi
  done
  return $ok
}

# One role's fuzzing run: every check, every phase, the references of seed.py.
fuzz_as() {
  local role="$1" token="$2"
  python3 tests/contract/seed.py "$BASE" "$SYSTEM_TOKEN" "$RUN" --spares || return 1
  cp tests/contract/schemathesis.toml "$RUN/schemathesis.toml"
  XCH_TOKEN="$token" XCH_ROLE="$role" XCH_HOOKS="$ROOT/tests/contract/hooks.py" \
    XCH_PROTECTED_IDS="$XCH_TENANT,$SYSTEM_TOKEN_ID,$XCH_ADMIN_TOKEN_ID,$XCH_USER_TOKEN_ID,$XCH_OU,$XCH_CHILD_OU,$XCH_QUEUE,$XCH_VOICE_QUEUE,$XCH_CHANNEL,$XCH_CERTIFICATE,$XCH_EXPORT" \
    "$VENV/bin/schemathesis" --config-file "$RUN/schemathesis.toml" run "$ROOT/openapi.yaml" \
    --url "$BASE" --checks all --phases examples,coverage,fuzzing,stateful \
    --max-examples "$EXAMPLES" --seed "$SEED" --no-color --output-sanitize false --output-truncate false \
    --report junit,ndjson --report-dir "$RUN/report-$role" >"$RUN/schemathesis-$role.log" 2>&1
  local status=$?
  sed -n '/^=* *SUMMARY/,$p' "$RUN/schemathesis-$role.log" | grep -v '^$' | head -40
  if [ $status != 0 ]; then
    echo "schemathesis as $role on $BACKEND failed; the whole log: $RUN/schemathesis-$role.log"
    grep -A25 -m5 -e '^_* .* _*$' "$RUN/schemathesis-$role.log" | head -150
  fi
  tokens_still_work && return $status
}

client_flow() { (cd clients && node --test dist/); }

docs_page() { (cd clients && XCH_SCREENSHOT="$OUT/docs.png" node --test docs-page.test.mjs); }

# --- the run --------------------------------------------------------------------------
start=$SECONDS
echo "schemathesis seed: $SEED, $EXAMPLES examples per operation and phase"
ensure_tools() {
  ensure_python_tools || return 1
  if wants lint || wants client || wants docs; then ensure_node_tools || return 1; fi
  if wants docs; then ensure_chromium || return 1; fi
}
part "tools (installed when pins change)" ensure_tools

if wants lint; then part "spec lint" lint_spec; fi
if wants client; then part "client: generate and tsc --strict" build_client; fi
if wants fuzz || wants client || wants docs; then
  # A no-op after `cargo test`; XCHANNEL_BUILD_LOCK names a lock file to build under.
  ${XCHANNEL_BUILD_LOCK:+flock "$XCHANNEL_BUILD_LOCK"} cargo build --locked -p xchannel
  for BACKEND in $BACKENDS; do
    start_service "$BACKEND"
    if wants fuzz; then
      for role in $ROLES; do
        case "$role" in
          system-admin) part "fuzz $BACKEND: system admin" fuzz_as system-admin "$SYSTEM_TOKEN" ;;
          tenant-admin) part "fuzz $BACKEND: tenant admin" fuzz_as tenant-admin "$XCH_ADMIN_TOKEN" ;;
          tenant-user) part "fuzz $BACKEND: tenant user" fuzz_as tenant-user "$XCH_USER_TOKEN" ;;
        esac
      done
    fi
    if wants client; then
      XCH_TOKEN="$XCH_ADMIN_TOKEN" XCH_SYSTEM_TOKEN="$SYSTEM_TOKEN" part "client flow $BACKEND" client_flow
    fi
    if wants docs && [ "$BACKEND" = "${BACKENDS%% *}" ]; then part "docs page in chromium" docs_page; fi
    # An error the service logged is a failure too, but for actix's own line on each
    # malformed HTTP request (issue 12 item 10 moves it below warning).
    if grep ' ERROR ' "$RUN/server.log" | grep -vq 'actix_http::h1::dispatcher'; then
      echo "the service logged errors on $BACKEND:"
      grep ' ERROR ' "$RUN/server.log" | grep -v 'actix_http::h1::dispatcher' | head -20
      FAILED=$((FAILED + 1))
    fi
    stop_service
  done
fi

echo "== contract: time per part =="
printf '%s\n' "${TIMES[@]}"
echo "contract total: $((SECONDS - start))s"
echo "contract: $PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
