#!/usr/bin/env bash
# Stop the server (its pid only), then delete its database unless it is a staged, unused one (run_all.sh
# calls stop.sh before run.sh too). SK_PURGE=1 deletes a staged database as well.
DIR="$(cd "$(dirname "$0")" && pwd)"
# shellcheck disable=SC1091
source "$DIR/env.sh"
# shellcheck disable=SC1091
source "$DIR/../common.sh"
stop_pidfile
if [ -d "$SK_STATE" ] && { [ ! -f "$SK_STATE/prepared" ] || [ "${SK_PURGE:-0}" = 1 ]; }; then
  if [ "$SK_DB" = postgresql ]; then
    PGOPTIONS="-c client_min_messages=warning" psql -X -q -h "$SK_PG_HOST" -p "$SK_PG_PORT" -U postgres -d postgres \
      -c "DROP DATABASE IF EXISTS $SK_PG_DBNAME WITH (FORCE)" >&2 || true
  fi
  rm -rf "$SK_STATE"
fi
