#!/usr/bin/env bash
# Stage a fresh, empty scimkeeper database for the next run.sh: drop/recreate it, apply the migrations,
# create an Enterprise account, authorize scimbench's e-mail domain (example.com) and generate the account's
# SCIM token with the CLI (--json); the token goes to
# $SK_STATE/token (read by env.sh) and $SK_STATE/prepared marks the database as staged and unused.
# Prints nothing on stdout (run.sh's stdout is parsed by the harness).
set -euo pipefail
DIR="$(cd "$(dirname "$0")" && pwd)"
# shellcheck disable=SC1091
source "$DIR/env.sh"
exec 1>&2
[ -x "$SK_BIN" ] || { echo "$NAME: $SK_BIN missing; run setup.sh" >&2; exit 1; }
rm -rf "$SK_STATE" && mkdir -p "$SK_STATE" && chmod 700 "$SK_STATE"
if [ "$SK_DB" = postgresql ]; then
  PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -h "$SK_PG_HOST" -p "$SK_PG_PORT" -U postgres -d postgres \
    -c "DROP DATABASE IF EXISTS $SK_PG_DBNAME WITH (FORCE)" -c "CREATE DATABASE $SK_PG_DBNAME"
fi
export SCIMKEEPER_DATABASE_URL="$SK_DATABASE_URL" SCIMKEEPER_LOG_LEVEL=WARNING SCIMKEEPER_LOG_FORMAT=json
cd "$SK_STATE"
"$SK_BIN" db upgrade --json > "$SK_STATE/db.json"
"$SK_BIN" account create scimbench --enterprise --json > "$SK_STATE/account.json"
# scimbench's users are sb<tag>.u000123@example.com: authorize that domain (releases with authorized email domains
# refuse to provision any address outside them; older ones have no `domain` command).
if "$SK_BIN" domain --help > /dev/null 2>&1; then
  "$SK_BIN" domain authorize scimbench "${SCIMKEEPER_BENCH_DOMAIN:-example.com}" --json > "$SK_STATE/domain.json"
fi
"$SK_BIN" token generate scimbench --json \
  | "$SK_ROOT/.venv/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["token"])' > "$SK_STATE/token.tmp"
chmod 600 "$SK_STATE/token.tmp" && mv "$SK_STATE/token.tmp" "$SK_STATE/token"
[ -s "$SK_STATE/token" ] || { echo "$NAME: no token from the CLI" >&2; exit 1; }
touch "$SK_STATE/prepared"
echo "$NAME: fresh $SK_DB database staged ($SK_DATABASE_URL), token ...$(tail -c 5 "$SK_STATE/token")" >&2
