#!/usr/bin/env bash
# Benchmark: short transactions at 100 clients through PgBouncer (pool_mode = transaction) vs
# straight to the server (not a test). One server and one PgBouncer in front of it
# (scripts/with-pgbouncer); pgbench with the extended protocol and unnamed statements (-M extended:
# what the client sends through a transaction pooler), select-only (-S, one statement per
# transaction) and TPC-B (five statements in BEGIN ... END), in interleaved rounds of BENCH_SECONDS.
# Direct, the server runs 100 backends (its max_connections is 200); through PgBouncer, 100 client
# connections share PGFAST_PGBOUNCER_POOL_SIZE server connections (default 20).
#
#   bench/pgbouncer_overhead.sh     (BENCH_ROUNDS=3 BENCH_SECONDS=10 BENCH_CLIENTS=100 BENCH_SCALE=10)
#
# Results: a table on stdout, bench/results/pgbouncer.raw.tsv and bench/results/pgbouncer.json
# ("ratios": through PgBouncer / direct, median TPS; bench/summarize.py reads it).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

if [ -z "${PGBOUNCER_PORT:-}" ]; then
  exec "$root/scripts/with-pgbouncer" "$0" "$@"
fi

rounds=${BENCH_ROUNDS:-3}
seconds=${BENCH_SECONDS:-10}
clients=${BENCH_CLIENTS:-100}
results="$root/bench/results"
mkdir -p "$results"
raw="$results/pgbouncer.raw.tsv"
: >"$raw"

pgbench -q -i -s "${BENCH_SCALE:-10}" -h 127.0.0.1 -p "$PGPORT" >/dev/null 2>&1
pool_size=$(psql -X -qAt -h 127.0.0.1 -p "$PGBOUNCER_PORT" pgbouncer -c "SHOW CONFIG" |
  awk -F'|' '$1 == "default_pool_size" {print $2}')

total=$((rounds * 4))
done_runs=0
for round in $(seq 1 "$rounds"); do
  for script in select tpcb; do
    for target in direct pgbouncer; do
      port=$PGPORT
      [ "$target" = pgbouncer ] && port=$PGBOUNCER_PORT
      flags=(-n -M extended -c "$clients" -j 2 -T "$seconds" -h 127.0.0.1 -p "$port")
      [ "$script" = select ] && flags+=(-S)
      tps=$(pgbench "${flags[@]}" 2>/dev/null | sed -n 's/^tps = \([0-9.]*\) (without.*/\1/p')
      [ -n "$tps" ] || { echo "pgbouncer bench: pgbench $script against $target failed" >&2; exit 1; }
      printf '%s\t%s\t%s\t%s\n' "$round" "$script" "$target" "$tps" >>"$raw"
      done_runs=$((done_runs + 1))
      printf '\r[%d/%d] round %d %s %s: %s tps      ' "$done_runs" "$total" "$round" "$script" "$target" "$tps" >&2
    done
  done
done
printf '\n' >&2

python3 - "$raw" "$results/pgbouncer.json" "$clients" "$pool_size" <<'PY'
import json, statistics, sys
raw, out_path, clients, pool_size = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
runs = {}
for line in open(raw).read().splitlines():
    _, script, target, tps = line.split('\t')
    runs.setdefault(script, {}).setdefault(target, []).append(float(tps))
label = {"select": "select-only (1 statement)", "tpcb": "TPC-B (5 statements)"}
ratios = []
print(f"{'transaction':26} {'clients':>7} {'direct tps':>11} {'pgbouncer tps':>14} {'ratio':>6}")
for script in ("select", "tpcb"):
    direct = statistics.median(runs[script]["direct"])
    pooled = statistics.median(runs[script]["pgbouncer"])
    print(f"{label[script]:26} {clients:7d} {direct:11.0f} {pooled:14.0f} {pooled / direct:6.3f}")
    ratios.append({"name": f"{label[script]} at {clients} clients: through PgBouncer "
                           f"({pool_size} server conns) vs direct (tps)",
                   "pgfast": pooled, "baseline": direct, "unit": "tps", "ratio": pooled / direct,
                   "goal": None, "better": "higher"})
json.dump({"clients": clients, "pgbouncer_pool_size": pool_size, "runs": runs, "ratios": ratios},
          open(out_path, "w"), indent=2)
print(f"raw runs: {raw}; summary: {out_path}")
PY
