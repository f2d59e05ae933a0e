#!/usr/bin/env bash
# Benchmark (not a test): instructions per statement, counted by valgrind's callgrind, of a backend
# in single-user mode running primary-key SELECTs (pgbench -S's statement), for:
#   none                  pgfast not preloaded
#   none_queryid_on       not preloaded, compute_query_id = on (the cost of query ids alone)
#   pgfast_idle           pgfast preloaded, threshold never reached
#   pgfast_idle_no_qid    the same with compute_query_id = off (pgfast's hooks alone)
#   pgfast_capture_all    threshold 0, log off
#   pg_stat_statements    pg_stat_statements preloaded instead
# Instruction counts do not depend on what else the machine does, unlike TPS on 2 noisy cores.
# Each configuration runs twice (BENCH_N1 and BENCH_N2 statements); the difference divided by
# BENCH_N2 - BENCH_N1 is the cost of one statement, without the backend's start-up.
set -euo pipefail
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 1; }
n1=${BENCH_N1:-1000}
n2=${BENCH_N2:-4000}
bin=$(/usr/lib/postgresql/15/bin/pg_config --bindir)
dir=$(mktemp -d /tmp/pgfast-callgrind.XXXXXX)
chmod 755 "$dir"
# pgfast from this checkout's stage (scripts/stage-install) when there is one, as with-services does.
here="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=scripts/private-postgres.sh
. "$here/scripts/private-postgres.sh"
stage=$(default_stage "$here")
if [ -n "$stage" ]; then
  private_postgres "$stage" "$dir/pg"
  bin=$PRIVATE_PG_BIN
fi
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  [ -f "$dir/data/postmaster.pid" ] && as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1
  rm -rf "$dir"
}
trap cleanup EXIT
chown postgres: "$dir"
cd "$dir"  # the postgres user may not be able to enter the caller's directory (CI: under /root)
as_pg "$bin/initdb" -D "$dir/data" -A trust >/dev/null
as_pg "$bin/pg_ctl" -D "$dir/data" -o "-p 54999 -k $dir -c listen_addresses=''" -w start >/dev/null
as_pg "$bin/psql" -h "$dir" -p 54999 -qX -c "CREATE TABLE acc (aid int PRIMARY KEY, abalance int)" \
  -c "INSERT INTO acc SELECT g, 0 FROM generate_series(1, 100000) g" -c "VACUUM ANALYZE acc" postgres
as_pg "$bin/pg_ctl" -D "$dir/data" -w stop >/dev/null
for n in "$n1" "$n2"; do
  for i in $(seq 1 "$n"); do echo "SELECT abalance FROM acc WHERE aid = $(( (i * 7919) % 100000 + 1 ));"; done >"$dir/stmts.$n"
done
chown postgres: "$dir"/stmts.*

instructions() {  # config-name n settings...
  local name=$1 n=$2; shift 2
  as_pg valgrind --tool=callgrind --callgrind-out-file="$dir/cg.$name.$n" "$bin/postgres" --single \
    -D "$dir/data" -j "$@" postgres <"$dir/stmts.$n" >/dev/null 2>"$dir/err.$name.$n" || true
  local count
  count=$(sed -n 's/^summary: *//p; s/^totals: *//p' "$dir/cg.$name.$n" 2>/dev/null | head -1 | awk '{print $1}')
  if [ -z "$count" ] || [ "$count" -eq 0 ] || grep -q 'FATAL\|ERROR' "$dir/err.$name.$n"; then
    echo "slowlog_instructions: the $name run failed:" >&2
    tail -5 "$dir/err.$name.$n" >&2
    exit 1
  fi
  echo "$count"
}
declare -A settings=(
  [none]="-c shared_preload_libraries="
  [none_queryid_on]="-c shared_preload_libraries= -c compute_query_id=on"
  [pgfast_idle]="-c shared_preload_libraries=pgfast -c pgfast.slow_query_ms=1000000"
  [pgfast_idle_no_qid]="-c shared_preload_libraries=pgfast -c pgfast.slow_query_ms=1000000 -c compute_query_id=off"
  [pgfast_capture_all]="-c shared_preload_libraries=pgfast -c pgfast.slow_query_ms=0 -c pgfast.slow_query_log=off"
  [pg_stat_statements]="-c shared_preload_libraries=pg_stat_statements"
)
order=(none none_queryid_on pgfast_idle pgfast_idle_no_qid pgfast_capture_all pg_stat_statements)
declare -A per_statement
for name in "${order[@]}"; do
  # shellcheck disable=SC2086
  a=$(instructions "$name" "$n1" ${settings[$name]})
  # shellcheck disable=SC2086
  b=$(instructions "$name" "$n2" ${settings[$name]})
  per_statement[$name]=$(( (b - a) / (n2 - n1) ))
  echo "  measured $name" >&2
done
base=${per_statement[none]}
mkdir -p "$here/bench/results"
out="$here/bench/results/slowlog_instructions.json"
printf '%-22s %22s %10s\n' configuration "instructions/statement" "vs none"
echo "{" >"$out"
first=1
for name in "${order[@]}"; do
  v=${per_statement[$name]}
  printf '%-22s %22d %10s\n' "$name" "$v" "$(awk -v v="$v" -v b="$base" 'BEGIN { printf "%.3f", v / b }')"
  [ $first -eq 1 ] || echo "," >>"$out"
  first=0
  printf '  "%s": %d' "$name" "$v" >>"$out"
done
printf '\n}\n' >>"$out"
echo "per-statement instructions from runs of $n1 and $n2 statements; $out"
