#!/usr/bin/env bash
# scimkeeper serve (one uvicorn process, logging at WARNING) on an empty database: the one prepare.sh staged
# (bench/run.sh does that before run_all.sh, so env.sh's TOKEN is already right), otherwise a fresh one now.
# Prints BASE=, TOKEN=, PID= (and PG_PID=, the PostgreSQL postmaster, so database backends count as server
# CPU as for django-scim2-pg; SCIMKEEPER_BENCH_COUNT_PG=0 leaves it out).
DIR="$(cd "$(dirname "$0")" && pwd)"
# shellcheck disable=SC1091
source "$DIR/env.sh"
# shellcheck disable=SC1091
source "$DIR/../common.sh"
if [ ! -f "$SK_STATE/prepared" ]; then
  bash "$DIR/prepare.sh"
  # shellcheck disable=SC1091
  source "$DIR/env.sh"   # the new TOKEN
fi
rm -f "$SK_STATE/prepared"   # consumed: from now on this database is not empty
cd "$SK_STATE"
SCIMKEEPER_DATABASE_URL="$SK_DATABASE_URL" SCIMKEEPER_LOG_LEVEL=WARNING SCIMKEEPER_LOG_FORMAT=json \
  start_detached "$SK_BIN" serve --host 127.0.0.1 --port "$PORT"
wait_ready "$BASE/ServiceProviderConfig" 60
if [ "$SK_DB" = postgresql ] && [ "${SCIMKEEPER_BENCH_COUNT_PG:-1}" != 0 ]; then
  pgdata=$(psql -X -h "$SK_PG_HOST" -p "$SK_PG_PORT" -U postgres -d postgres -Atc 'show data_directory' 2>/dev/null || true)
  if [ -n "$pgdata" ] && [ -r "$pgdata/postmaster.pid" ]; then echo "PG_PID=$(head -n 1 "$pgdata/postmaster.pid")"; fi
fi
