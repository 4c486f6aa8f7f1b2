#!/usr/bin/env bash
# scimkeeper's benchmark runner: the shared scimbench harness (/work/shared/bench, read-only) with scimkeeper
# added as the peers `scimkeeper` (SQLite) and `scimkeeper-pg` (PostgreSQL on 127.0.0.1:5432).
#
#   bash bench/run.sh                                   # scimkeeper baseline-sqlite scim2-server-asgi django-scim2-sqlite
#   N=1000 WORKLOADS=W1,W2,W3,W4 bash bench/run.sh scimkeeper baseline-sqlite          # smoke test
#   N=10000 WORKLOADS=W1,W2,W3,W4,W5,W6 bash bench/run.sh scimkeeper scimkeeper-pg baseline-sqlite scim2-server-asgi
#
# Env: N (users created by W1, default 10000), WORKLOADS (default W1,W2,W3,W4,W5,W6,W2B), TAG (default n$N),
#      EXTRA (more scimbench flags for every peer), SCIMBENCH_SRC (default /work/shared/bench),
#      SCIMKEEPER_BENCH_WORK (scratch dir, default /tmp/scimkeeper-bench).
# Writes bench/results/summary-$TAG.md (run info + side-by-side tables) and bench/results/<peer>-$TAG.json
# (scimbench reports, token redacted). Console and server logs stay in $SCIMKEEPER_BENCH_WORK/harness/results.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SRC=${SCIMBENCH_SRC:-/work/shared/bench}
WORK=${SCIMKEEPER_BENCH_WORK:-/tmp/scimkeeper-bench}
H=$WORK/harness
export N=${N:-10000}
export WORKLOADS=${WORKLOADS:-W1,W2,W3,W4,W5,W6,W2B}
export TAG=${TAG:-n$N}
export EXTRA=${EXTRA:-}
PEERS=("$@")
[ ${#PEERS[@]} -gt 0 ] || PEERS=(scimkeeper baseline-sqlite scim2-server-asgi django-scim2-sqlite)
OURS=(scimkeeper scimkeeper-pg)
say() { echo "[bench] $*" >&2; }

# 1. a writable copy of the harness (peer virtualenvs from earlier runs are kept)
[ -f "$SRC/run_all.sh" ] || { say "no harness at $SRC"; exit 1; }
mkdir -p "$H"
find "$H" -mindepth 1 -maxdepth 1 ! -name '.venv-*' ! -name results -exec rm -rf {} +
cp -r "$SRC/." "$H/"
find "$H" -path "$H/.venv-*" -prune -o -exec chmod u+w {} +

# 2. wrk, the load generator
if ! command -v wrk > /dev/null; then
  say "installing wrk"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq wrk > /dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk > /dev/null; }
fi
say "$(wrk --version 2>&1 | head -n 1)"

# 3. our peers, installed into the copy as peers/scimkeeper and peers/scimkeeper-pg
for p in "${OURS[@]}"; do
  rm -rf "${H:?}/peers/$p" && mkdir -p "$H/peers/$p"
  cp "$ROOT"/bench/peer/*.sh "$H/peers/$p/"
  db=sqlite; [ "$p" = scimkeeper-pg ] && db=postgresql
  printf 'SK_ROOT=%q\nSK_DB=%s\n' "$ROOT" "$db" > "$H/peers/$p/peer.conf"
done

is_ours() { local x; for x in "${OURS[@]}"; do [ "$1" = "$x" ] && return 0; done; return 1; }
cleanup() {  # on any exit: stop our servers, drop their databases (staged ones too)
  local p
  for p in "${PEERS[@]}"; do
    if is_ours "$p"; then SK_PURGE=1 bash "$H/peers/$p/stop.sh" > /dev/null 2>&1 || true; fi
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# 4. set up each peer whose virtualenv is missing (ours: fresh database + token are made by peers/<ours>/env.sh
#    when run_all.sh sources it, just before run.sh)
for p in "${PEERS[@]}"; do
  d=$H/peers/$p
  [ -f "$d/env.sh" ] || { say "unknown peer $p (no $d/env.sh)"; exit 1; }
  if is_ours "$p"; then
    bash "$d/setup.sh" >&2
    continue
  fi
  missing=0
  for v in $(grep -ho '\.venv-[A-Za-z0-9_-]*' "$d/run.sh" | sort -u); do [ -d "$H/$v" ] || missing=1; done
  if [ "$missing" = 1 ] || ! grep -q '\.venv-' "$d/run.sh"; then
    say "setup $p"; bash "$d/setup.sh" >&2
  fi
done

# 5. the side-by-side run, once the machine looks quiet (waits at most QUIET_WAIT_S seconds, then goes anyway)
busy_cores() {  # CPU cores busy over the next 3 s, machine-wide
  local a b
  a=$(head -n 1 /proc/stat); sleep 3; b=$(head -n 1 /proc/stat)
  echo "$a" "$b" | awk '{n=(NF-2)/2; for(i=2;i<=n+1;i++){t1+=$i; t2+=$(i+n+1)}; i1=$5+$6; i2=$(5+n+1)+$(6+n+1);
    printf "%.2f", ((t2-t1)-(i2-i1))/(t2-t1)*'"$(nproc)"'}'
}
deadline=$((SECONDS + ${QUIET_WAIT_S:-120}))
while :; do
  b=$(busy_cores)
  awk -v b="$b" 'BEGIN{exit !(b < 0.3)}' && break
  if [ $SECONDS -ge $deadline ]; then say "machine still busy ($b cores); measuring anyway, see 'other' CPU in the summary"; break; fi
  say "machine busy ($b cores in use by others); waiting"; sleep 5
done
for p in "${PEERS[@]}"; do rm -f "$H/results/$p-$TAG".*; done
rm -f "$H/results/summary-$TAG.md"
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
say "N=$N WORKLOADS=$WORKLOADS TAG=$TAG peers: ${PEERS[*]} (loadavg $load_before)"
( cd "$H" && bash run_all.sh "${PEERS[@]}" ) 2>&1 | tee "$WORK/run-$TAG.log"
finished=$(date -u +%Y-%m-%dT%H:%M:%SZ)

# 6. commit-friendly results: the JSON reports (token redacted) and the summary with the run's context
mkdir -p "$ROOT/bench/results"
"$ROOT/.venv/bin/python" "$ROOT/bench/report.py" --harness "$H" --tag "$TAG" --out "$ROOT/bench/results" \
  --started "$started" --finished "$finished" --load-before "$load_before" --project "$ROOT" \
  --command "N=$N WORKLOADS=$WORKLOADS TAG=$TAG bash bench/run.sh ${PEERS[*]}" -- "${PEERS[@]}"
