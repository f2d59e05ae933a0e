#!/usr/bin/env bash
# Benchmark (not a test): instructions per statement, counted by valgrind's callgrind, of a backend
# in single-user mode running a mixed workload, for:
#   none                  pgfast not preloaded
#   none_queryid_on       not preloaded, compute_query_id = on (the cost of query ids alone)
#   pgfast_idle           pgfast preloaded, threshold never reached (query ids on: EnableQueryId)
#   pgfast_idle_no_qid    the same with compute_query_id = off (pgfast's hooks alone)
#   pgfast_capture_all    threshold 0, log off, no plans
#   pg_stat_statements    pg_stat_statements preloaded instead
# The mix repeats five client statements, each its own transaction:
#   SELECT abalance FROM acc WHERE aid = k              primary-key select
#   UPDATE acc SET abalance = abalance + 1 WHERE aid = k  one-row update
#   INSERT INTO hist (aid, delta) VALUES (k, 1)          one-row insert, id and mtime by default
#   SELECT balance_of(k)                                 a select run inside a plpgsql function
#   EXECUTE pick(k)                                      a prepared statement
# Instruction counts do not depend on what else the machine does, unlike TPS on 2 noisy cores.
# Each configuration runs twice (BENCH_N1 and BENCH_N2 statements, multiples of 5), each run on a
# fresh copy of the same data directory; the difference divided by BENCH_N2 - BENCH_N1 is the cost
# of one statement, without the backend's start-up.
#
#   bench/slowlog_instructions.sh
#   BENCH_CONFIGS="none_queryid_on pgfast_idle" BENCH_KEEP=/tmp/cg bench/slowlog_instructions.sh
# BENCH_CONFIGS runs only those configurations (the JSON then holds only them); BENCH_KEEP copies
# the callgrind files there, for callgrind_annotate (docs/slow_queries.md shows how).
set -euo pipefail
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 1; }
n1=${BENCH_N1:-1000}
n2=${BENCH_N2:-4000}
if (( n1 % 5 || n2 % 5 || n2 <= n1 )); then echo "BENCH_N1 < BENCH_N2, both multiples of 5" >&2; exit 1; fi
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
as_pg "$bin/psql" -h "$dir" -p 54999 -qX -v ON_ERROR_STOP=1 \
  -c "CREATE TABLE acc (aid int PRIMARY KEY, abalance int)" \
  -c "INSERT INTO acc SELECT g, 0 FROM generate_series(1, 100000) g" \
  -c "CREATE TABLE hist (id bigserial PRIMARY KEY, aid int, delta int, mtime timestamptz DEFAULT now())" \
  -c "CREATE FUNCTION balance_of(k int) RETURNS int LANGUAGE plpgsql AS
      \$\$ DECLARE b int; BEGIN SELECT abalance INTO b FROM acc WHERE aid = k; RETURN b; END \$\$" \
  -c "VACUUM ANALYZE acc" -c "CHECKPOINT" postgres
as_pg "$bin/pg_ctl" -D "$dir/data" -w stop >/dev/null
# Single-user mode with -j: a statement ends with a semicolon and an empty line. The preamble
# (prepare, first call of the function) is the same in both runs, so it cancels out.
for n in "$n1" "$n2"; do
  {
    printf 'PREPARE pick(int) AS SELECT abalance FROM acc WHERE aid = $1;\n\n'
    printf 'SELECT balance_of(1);\n\n'
    for ((i = 0; i < n / 5; i++)); do
      k=$(( (i * 7919) % 100000 + 1 ))
      printf 'SELECT abalance FROM acc WHERE aid = %d;\n\n' "$k"
      printf 'UPDATE acc SET abalance = abalance + 1 WHERE aid = %d;\n\n' "$k"
      printf 'INSERT INTO hist (aid, delta) VALUES (%d, 1);\n\n' "$k"
      printf 'SELECT balance_of(%d);\n\n' "$(( (k * 31) % 100000 + 1 ))"
      printf 'EXECUTE pick(%d);\n\n' "$(( (k * 17) % 100000 + 1 ))"
    done
  } >"$dir/stmts.$n"
done
chown postgres: "$dir"/stmts.*

instructions() {  # config-name n settings...
  local name=$1 n=$2; shift 2
  rm -rf "$dir/run"
  cp -a "$dir/data" "$dir/run"
  as_pg valgrind --tool=callgrind --callgrind-out-file="$dir/cg.$name.$n" "$bin/postgres" --single \
    -D "$dir/run" -j "$@" postgres <"$dir/stmts.$n" >"$dir/out.$name.$n" 2>"$dir/err.$name.$n" || true
  local count
  count=$(sed -n 's/^summary: *//p; s/^totals: *//p' "$dir/cg.$name.$n" 2>/dev/null | head -1 | awk '{print $1}')
  if [ -z "$count" ] || [ "$count" -eq 0 ] || grep -q 'FATAL\|ERROR' "$dir/err.$name.$n" "$dir/out.$name.$n"; then
    echo "slowlog_instructions: the $name run failed:" >&2
    tail -5 "$dir/err.$name.$n" "$dir/out.$name.$n" >&2
    exit 1
  fi
  if [ -n "${BENCH_KEEP:-}" ]; then mkdir -p "$BENCH_KEEP" && cp "$dir/cg.$name.$n" "$BENCH_KEEP/"; fi
  echo "$count"
}
declare -A settings=(
  [none]="-c shared_preload_libraries="
  [none_queryid_on]="-c shared_preload_libraries= -c compute_query_id=on"
  [pgfast_idle]="-c shared_preload_libraries=pgfast -c pgfast.slow_query_ms=1000000"
  [pgfast_idle_no_qid]="-c shared_preload_libraries=pgfast -c pgfast.slow_query_ms=1000000 -c compute_query_id=off"
  [pgfast_capture_all]="-c shared_preload_libraries=pgfast -c pgfast.slow_query_ms=0 -c pgfast.slow_query_log=off -c pgfast.slow_query_plan=off"
  [pg_stat_statements]="-c shared_preload_libraries=pg_stat_statements"
)
read -r -a order <<<"${BENCH_CONFIGS:-none none_queryid_on pgfast_idle pgfast_idle_no_qid pgfast_capture_all pg_stat_statements}"
declare -A per_statement
for name in "${order[@]}"; do
  [ -n "${settings[$name]:-}" ] || { echo "unknown configuration $name" >&2; exit 1; }
  # shellcheck disable=SC2086
  a=$(instructions "$name" "$n1" ${settings[$name]})
  # shellcheck disable=SC2086
  b=$(instructions "$name" "$n2" ${settings[$name]})
  per_statement[$name]=$(( (b - a) / (n2 - n1) ))
  echo "  measured $name" >&2
done
base=${per_statement[none]:-0}
mkdir -p "$here/bench/results"
out="$here/bench/results/slowlog_instructions.json"
printf '%-22s %22s %10s\n' configuration "instructions/statement" "vs none"
echo "{" >"$out"
first=1
for name in "${order[@]}"; do
  v=${per_statement[$name]}
  printf '%-22s %22d %10s\n' "$name" "$v" "$(awk -v v="$v" -v b="$base" 'BEGIN { if (b > 0) printf "%.3f", v / b; else print "-" }')"
  [ $first -eq 1 ] || echo "," >>"$out"
  first=0
  printf '  "%s": %d' "$name" "$v" >>"$out"
done
printf '\n}\n' >>"$out"
echo "per-statement instructions (mixed workload) from runs of $n1 and $n2 statements; $out"
# The goals of issue #16 (bench/summarize.py prints them too, in `make bench`'s table).
goal() {  # label pgfast-config baseline-config at-most strict
  local v=${per_statement[$2]:-} b=${per_statement[$3]:-}
  [ -n "$v" ] && [ -n "$b" ] || return 0
  awk -v v="$v" -v b="$b" -v m="$4" -v strict="$5" -v label="$1" 'BEGIN {
    r = v / b; met = strict ? r < m : r <= m
    printf "%-52s %.4fx  %s\n", label, r, met ? "met" : "NOT met" }'
}
goal "goal: pgfast idle <= 1.01x compute_query_id = on" pgfast_idle none_queryid_on 1.01 0
goal "goal: capture-all <= pg_stat_statements" pgfast_capture_all pg_stat_statements 1 0
goal "goal: pgfast idle < pg_stat_statements" pgfast_idle pg_stat_statements 1 1
