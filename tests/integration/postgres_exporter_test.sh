#!/usr/bin/env bash
# contrib/postgres_exporter/pgfast_queries.yaml against Debian's prometheus-postgres-exporter: a
# throwaway server (scripts/with-services), some captured statements and an index job, then the
# exporter's /metrics must carry the pgfast series with plausible values, the queries file must
# load without error, and promtool must accept the pgfast part without a lint complaint.
#
#   tests/integration/postgres_exporter_test.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
queries="$root/contrib/postgres_exporter/pgfast_queries.yaml"
exporter=/usr/bin/prometheus-postgres-exporter

fail() { echo "FAIL [postgres_exporter]: $*" >&2; exit 1; }
q() { psql -X -v ON_ERROR_STOP=1 -qAt "$@"; }

if [ "${1:-}" != "--inside" ]; then
  PGFAST_PG_CONF=$'pgfast.slow_query_log = off' exec "$root/scripts/with-services" "$0" --inside
fi

[ -x "$exporter" ] || fail "$exporter missing (Debian package prometheus-postgres-exporter)"
command -v promtool >/dev/null || fail "promtool missing (Debian package prometheus)"

q -c "CREATE EXTENSION IF NOT EXISTS pgfast"
q -c "SELECT pgfast.slow_queries_reset()" >/dev/null
# Captured statements: the threshold lowered to 0 for this session only.
q -c "SET pgfast.slow_query_ms = 0" -c "SELECT 1 AS exporter_q1" -c "SELECT 1 AS exporter_q1" \
  -c "SELECT count(*) FROM generate_series(1, 1000)" >/dev/null
# An index job that completes, and an index that is never scanned.
q -c "CREATE TABLE exporter_items (id int PRIMARY KEY, v int)" \
  -c "INSERT INTO exporter_items SELECT g, g FROM generate_series(1, 100) g"
q -c "SELECT pgfast.ensure_index('exporter_items', '{v}', '{\"concurrently\": true, \"name\": \"exporter_items_v\"}')" >/dev/null
job=$(q -c "SELECT job_id FROM pgfast.index_jobs WHERE index_name = 'exporter_items_v'")
[ "$(q -c "SELECT pgfast.wait_index_job($job, 60000)")" = "done" ] || fail "index job $job not done"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log=$(mktemp /tmp/pgfast-exporter.XXXXXX)
DATA_SOURCE_NAME="postgresql://$PGUSER@$PGHOST:$PGPORT/$PGDATABASE?sslmode=disable" \
  "$exporter" --extend.query-path="$queries" --web.listen-address="127.0.0.1:$port" \
  --disable-settings-metrics >"$log" 2>&1 &
exporter_pid=$!
stop_exporter() {
  kill "$exporter_pid" 2>/dev/null || true
  wait "$exporter_pid" 2>/dev/null || true
  rm -f "$log" "$log.metrics" "$log.pgfast"
}
trap stop_exporter EXIT
trap "exit 1" INT TERM  # through the EXIT trap

# Ready once it answers (polled; the exporter has no readiness signal of its own).
for _ in $(seq 1 200); do
  curl -fsS "http://127.0.0.1:$port/metrics" -o "$log.metrics" 2>/dev/null && break
  kill -0 "$exporter_pid" 2>/dev/null || fail "the exporter exited: $(cat "$log")"
  sleep 0.05
done
[ -s "$log.metrics" ] || fail "no answer on port $port: $(cat "$log")"
metrics=$(cat "$log.metrics")

# The value of the first sample matching a regular expression (name and labels).
value() { { echo "$metrics" | grep -E "^$1" || true; } | head -1 | awk '{print $NF}'; }
positive() {
  local v
  v=$(value "$1")
  [ -n "$v" ] || fail "no sample $1 in: $(echo "$metrics" | grep '^pgfast_' || true)"
  awk -v v="$v" 'BEGIN { exit !(v > 0) }' || fail "$1 = $v, expected > 0"
}

[ "$(value 'pg_exporter_user_queries_load_error\{')" = "0" ] ||
  fail "the queries file did not load: $(echo "$metrics" | grep user_queries_load_error) $(cat "$log")"
[ "$(value 'pg_exporter_last_scrape_error ')" = "0" ] || fail "scrape error: $(cat "$log")"
grep -q 'level=error' "$log" && fail "exporter errors: $(cat "$log")"

# The exporter adds a `server` label to every series.
positive 'pgfast_slow_queries_capacity\{'
positive 'pgfast_slow_queries_used\{'
# "SELECT 1 AS exporter_q1" ran twice with the threshold at 0: some key has 2 calls or more.
max_calls=$(echo "$metrics" | awk '/^pgfast_slow_query_stats_calls_total\{/ {print $NF}' | sort -g | tail -1)
awk -v v="${max_calls:-0}" 'BEGIN { exit !(v >= 2) }' || fail "slow_query_stats calls: max ${max_calls:-none}"
positive 'pgfast_slow_query_stats_seconds_total\{.*username="'"$PGUSER"'"'
positive 'pgfast_slow_query_stats_max_seconds\{'
[ "$(value 'pgfast_index_jobs_jobs\{.*state="done"')" = "1" ] || fail "index_jobs done: $(echo "$metrics" | grep index_jobs)"
[ "$(value 'pgfast_index_jobs_jobs\{.*state="failed"')" = "0" ] || fail "index_jobs failed: $(echo "$metrics" | grep index_jobs)"
positive 'pgfast_index_report_size_bytes\{index_name="exporter_items_v"'
[ "$(value 'pgfast_index_report_unused\{index_name="exporter_items_v"')" = "1" ] || fail "exporter_items_v not unused"
[ "$(value 'pgfast_index_report_unused\{index_name="exporter_items_pkey"')" = "0" ] || fail "a primary key counted unused"

# The pgfast part passes promtool's parser and linter.
echo "$metrics" | awk '/^(# (HELP|TYPE) )?pgfast_/' >"$log.pgfast"
lint=$(promtool check metrics <"$log.pgfast" 2>&1) || fail "promtool: $lint"
[ -z "$lint" ] || fail "promtool lint: $lint"
echo "postgres_exporter: $(grep -c '^pgfast_' "$log.pgfast") pgfast samples OK"
