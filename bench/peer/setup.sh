#!/usr/bin/env bash
# scimkeeper runs from the project's own virtualenv ($SK_ROOT/.venv, an editable install of the working
# tree, like scripts/serve); created here only when it is missing. PostgreSQL variant: checks the server.
set -euo pipefail
DIR="$(cd "$(dirname "$0")" && pwd)"
# shellcheck disable=SC1091
source "$DIR/env.sh"
if [ ! -x "$SK_BIN" ]; then
  echo "setup: installing scimkeeper into $SK_ROOT/.venv" >&2
  [ -x "$SK_ROOT/.venv/bin/python" ] || python3 -m venv "$SK_ROOT/.venv"
  "$SK_ROOT/.venv/bin/python" -m pip install --quiet -c "$SK_ROOT/constraints.txt" -e "$SK_ROOT"
fi
"$SK_BIN" --version
if [ "$SK_DB" = postgresql ]; then
  pg_isready -q -h "$SK_PG_HOST" -p "$SK_PG_PORT" || { echo "setup: no PostgreSQL on $SK_PG_HOST:$SK_PG_PORT" >&2; exit 1; }
  psql -X -q -h "$SK_PG_HOST" -p "$SK_PG_PORT" -U postgres -d postgres -Atc 'select version()'
fi
