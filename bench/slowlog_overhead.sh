#!/usr/bin/env bash
# Benchmark: the cost of slow-query capture on pgbench throughput (not a test).
# Four servers, started once each through scripts/with-services and measured in interleaved rounds:
#   a  pgfast not preloaded                       (the baseline)
#   b  pgfast preloaded, threshold never reached
#   c  pgfast preloaded, threshold 0 (every statement captured), log off
#   d  pg_stat_statements preloaded instead
# For each round, config, script (select-only -S, TPC-B) and client count, a pgbench run of
# BENCH_SECONDS; the table shows median TPS and the ratios b/a, c/a, d/a.
#
#   bench/slowlog_overhead.sh            (BENCH_ROUNDS=5 BENCH_SECONDS=5 BENCH_CLIENTS="1 2 8")
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
configs=(a b c d)
declare -A conf=(
  [a]="shared_preload_libraries = ''"
  [b]=$'pgfast.slow_query_ms = 1000000'
  [c]=$'pgfast.slow_query_ms = 0\npgfast.slow_query_log = off'
  [d]="shared_preload_libraries = 'pg_stat_statements'"
)

# Starts the servers one inside the other, remembering each one's port in PORT_<config>.
if [ "${1:-}" = "--start" ]; then
  shift
  if [ $# -gt 0 ]; then
    config=$1; shift
    PGFAST_PG_CONF="${conf[$config]}" exec "$root/scripts/with-services" bash -c \
      "export PORT_$config=\$PGPORT; psql -qX -c 'SELECT 1' >/dev/null && pgbench -q -i -s \${BENCH_SCALE:-10} >/dev/null 2>&1 && exec '$0' --start $*"
  fi
  exec "$0" --measure
fi

if [ "${1:-}" != "--measure" ]; then
  exec "$0" --start "${configs[@]}"
fi

rounds=${BENCH_ROUNDS:-5}
seconds=${BENCH_SECONDS:-5}
clients_list=${BENCH_CLIENTS:-"1 2 8"}
results="$root/bench/results"
mkdir -p "$results"
raw="$results/slowlog_overhead.raw.tsv"
: >"$raw"
total=$((rounds * ${#configs[@]} * 2 * $(echo $clients_list | wc -w)))
done_runs=0
for round in $(seq 1 "$rounds"); do
  for script in select tpcb; do
    for clients in $clients_list; do
      for config in "${configs[@]}"; do
        port_var="PORT_$config"
        flags=(-n -c "$clients" -j "$(( clients < 2 ? 1 : 2 ))" -T "$seconds" -p "${!port_var}")
        [ "$script" = select ] && flags+=(-S)
        tps=$(pgbench "${flags[@]}" 2>/dev/null | sed -n 's/^tps = \([0-9.]*\) (without.*/\1/p')
        printf '%s\t%s\t%s\t%s\t%s\n' "$round" "$script" "$clients" "$config" "$tps" >>"$raw"
        done_runs=$((done_runs + 1))
        printf '\r[%d/%d] round %d %s c=%d %s: %s tps      ' "$done_runs" "$total" "$round" "$script" "$clients" "$config" "$tps" >&2
      done
    done
  done
done
printf '\n' >&2

python3 - "$raw" "$results/slowlog_overhead.json" <<'PY'
import json, statistics, sys
rows = [l.split('\t') for l in open(sys.argv[1]).read().splitlines() if l]
data = {}
for r, script, clients, config, tps in rows:
    data.setdefault((script, int(clients)), {}).setdefault(config, []).append(float(tps))
out = []
print(f"{'script':8} {'clients':>7} {'a: no pgfast':>13} {'b: idle':>10} {'c: capture all':>15} {'d: pg_stat_st':>14} {'b/a':>6} {'c/a':>6} {'d/a':>6}")
for (script, clients), by in sorted(data.items()):
    med = {k: statistics.median(v) for k, v in by.items()}
    a = med['a']
    entry = {"script": script, "clients": clients, "median_tps": med,
             "ratio_b_a": med['b'] / a, "ratio_c_a": med['c'] / a, "ratio_d_a": med['d'] / a,
             "runs": by}
    out.append(entry)
    print(f"{script:8} {clients:7d} {a:13.0f} {med['b']:10.0f} {med['c']:15.0f} {med['d']:14.0f} "
          f"{entry['ratio_b_a']:6.3f} {entry['ratio_c_a']:6.3f} {entry['ratio_d_a']:6.3f}")
json.dump(out, open(sys.argv[2], 'w'), indent=2)
print(f"raw runs: {sys.argv[1]}; summary: {sys.argv[2]}")
PY
