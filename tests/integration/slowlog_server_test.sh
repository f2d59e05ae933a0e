#!/usr/bin/env bash
# Slow-query capture tests that need a server of their own (restart-only settings, no preload, the
# server log, concurrency). Each case starts its own throwaway PostgreSQL through
# scripts/with-services and asserts with psql.
#
#   tests/integration/slowlog_server_test.sh <case>
#   cases: not_preloaded ring_overflow role_share role_share_concurrency log_line auto_explain_oracle pgbench_concurrency
#          pg_stat_statements_shared text_truncated
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
case_name=${1:?case name}

fail() { echo "FAIL [$case_name]: $*" >&2; exit 1; }
expect_eq() { [ "$1" = "$2" ] || fail "$3: expected [$2], got [$1]"; }
# Runs the case body (a function name) inside its own services.
with_server() { PGFAST_PG_CONF="$1" "$root/scripts/with-services" "$0" "$case_name" --inside; }
q() { psql -X -v ON_ERROR_STOP=1 -qAt "$@"; }

inside=${2:-}

case "$case_name" in
not_preloaded)
  if [ -z "$inside" ]; then with_server "shared_preload_libraries = ''"; exit; fi
  q -c "CREATE EXTENSION pgfast"
  for object in "SELECT * FROM pgfast.slow_queries" "SELECT * FROM pgfast.slow_query_stats" \
                "SELECT * FROM pgfast.slow_queries_info()" "SELECT pgfast.slow_queries_reset()"; do
    out=$(psql -X -qAt -v VERBOSITY=verbose -c "$object" 2>&1 || true)
    grep -q "ERROR:  55000: pgfast slow-query capture is not enabled" <<<"$out" || fail "$object: $out"
    grep -q "shared_preload_libraries" <<<"$out" || fail "$object: no hint: $out"
  done
  # Everything else keeps working.
  expect_eq "$(q -c "SELECT pgfast.version() LIKE 'pgfast %'")" "t" "version without preload"
  ;;

ring_overflow)
  if [ -z "$inside" ]; then with_server $'pgfast.slow_query_max = 4\npgfast.slow_query_ms = 0\npgfast.slow_query_log = off'; exit; fi
  q -c "CREATE EXTENSION pgfast"
  statements="SELECT pgfast.slow_queries_reset();"
  for i in $(seq 1 10); do statements+=$'\n'"SELECT $i AS q$i;"; done
  echo "$statements" | q >/dev/null
  # Reset + 10 statements = 11 writes into 4 slots: the newest 4 are kept, 7 overwritten.
  # One statement reads both (each statement is captured itself once it ends).
  expect_eq "$(q -c "SELECT i.capacity || ' ' || i.used || ' ' || i.overwritten || ' ' ||
                            (SELECT string_agg(query, '|' ORDER BY captured_at) FROM pgfast.slow_queries)
                       FROM pgfast.slow_queries_info() i")" \
    "4 4 7 SELECT 7 AS q7|SELECT 8 AS q8|SELECT 9 AS q9|SELECT 10 AS q10" \
    "capacity, used, overwritten, and the newest entries kept oldest first"
  ;;

role_share)
  # Issue #15 item 11: one role running capacity x 2 slow statements must not evict another role's
  # entries, in the ring nor in the statistics. Ring of 8 and 10 statistics keys: with the default
  # pgfast.slow_query_role_share = 0.25 a role evicts others' entries only while it holds fewer
  # than 2 of either.
  if [ -z "$inside" ]; then
    with_server $'pgfast.slow_query_max = 8\npgfast.slow_query_stats_max = 10\npgfast.slow_query_ms = -1\npgfast.slow_query_log = off'
    exit
  fi
  q -c "CREATE EXTENSION pgfast"
  for role in regress_pgfast_a regress_pgfast_b; do
    q -c "CREATE ROLE $role LOGIN" -c "ALTER ROLE $role SET pgfast.slow_query_ms = 0"
  done
  q -c "SELECT pgfast.slow_queries_reset()" >/dev/null
  # The victim: two statements, two statistics keys.
  printf 'SELECT 1 AS a1;\nSELECT 1, 2 AS a2;\n' | q -U regress_pgfast_a >/dev/null
  # The attacker: 16 statements, each with a queryid of its own (3 to 18 columns).
  attack=""
  for i in $(seq 1 16); do attack+="SELECT $(seq -s, 1 $((i + 2))) AS b$i;"$'\n'; done
  echo "$attack" | q -U regress_pgfast_b >/dev/null
  expect_eq "$(q -c "SELECT string_agg(query, '|' ORDER BY captured_at) FROM pgfast.slow_queries
                      WHERE username = 'regress_pgfast_a'")" \
    "SELECT 1 AS a1|SELECT 1, 2 AS a2" "the victim's ring entries after the attack"
  expect_eq "$(q -c "SELECT count(*) FROM pgfast.slow_query_stats WHERE username = 'regress_pgfast_a'")" \
    "2" "the victim's statistics keys after the attack"
  # The attacker took the free slots, then replaced its own oldest entries: it keeps its newest 6.
  # 18 entries offered: 8 held, 4 dropped when the slot offered held the victim's entry, 6
  # overwritten (its own). Its statistics keep its 8 most recent keys.
  expect_eq "$(q -c "SELECT string_agg(substring(query from 'b[0-9]+\$'), ' ' ORDER BY captured_at)
                       FROM pgfast.slow_queries WHERE username = 'regress_pgfast_b'")" \
    "b11 b12 b13 b14 b15 b16" "the attacker's newest entries kept"
  expect_eq "$(q -c "SELECT capacity || ' ' || used || ' ' || overwritten || ' ' || max_per_role || ' ' || dropped
                       FROM pgfast.slow_queries_info()")" "8 8 6 2 4" "capacity used overwritten max_per_role dropped"
  expect_eq "$(q -c "SELECT string_agg(substring(query from 'b[0-9]+\$'), ' ' ORDER BY substring(query from 'b([0-9]+)\$')::int)
                       FROM pgfast.slow_query_stats WHERE username = 'regress_pgfast_b'")" \
    "b9 b10 b11 b12 b13 b14 b15 b16" "the attacker's most recent statistics keys kept"
  # With the share at 1 (reload), a role may evict every other role's entries again.
  q -c "ALTER SYSTEM SET pgfast.slow_query_role_share = 1" -c "SELECT pg_reload_conf()" >/dev/null
  # New sessions see the reloaded value once the postmaster has read it.
  reloaded=""
  for _ in $(seq 1 300); do
    [ "$(q -c "SELECT max_per_role FROM pgfast.slow_queries_info()")" = "8" ] && { reloaded=1; break; }
  done
  [ -n "$reloaded" ] || fail "pgfast.slow_query_role_share = 1 not seen after a reload"
  echo "$attack" | q -U regress_pgfast_b >/dev/null
  expect_eq "$(q -c "SELECT count(*) FROM pgfast.slow_queries WHERE username = 'regress_pgfast_a'")" \
    "0" "share 1: the victim's entries are evicted"
  q -c "DROP ROLE regress_pgfast_a" -c "DROP ROLE regress_pgfast_b"
  ;;

role_share_concurrency)
  # Four roles capture every statement at once into a ring of 40 (a share of 10 each): the entries
  # stay well formed, and the per-role bookkeeping stays exact, which the victim check after the
  # run depends on (an attacker whose count were off would evict the victim's entries).
  if [ -z "$inside" ]; then
    with_server $'pgfast.slow_query_max = 40\npgfast.slow_query_ms = -1\npgfast.slow_query_log = off'
    exit
  fi
  q -c "CREATE EXTENSION pgfast"
  for role in regress_pgfast_r1 regress_pgfast_r2 regress_pgfast_r3 regress_pgfast_r4 regress_pgfast_v; do
    q -c "CREATE ROLE $role LOGIN" -c "ALTER ROLE $role SET pgfast.slow_query_ms = 0"
  done
  q -c "SELECT pgfast.slow_queries_reset()" >/dev/null
  printf '\\set n random(1, 1000000)\nSELECT :n AS n;\n' >"$PGFAST_SERVICES_DIR/select.sql"
  pids=()
  for r in 1 2 3 4; do
    pgbench -n -U "regress_pgfast_r$r" -c 2 -j 1 -T "${PGFAST_PGBENCH_SECONDS:-8}" -M simple \
      -f "$PGFAST_SERVICES_DIR/select.sql" >"$PGFAST_SERVICES_DIR/pgbench$r.out" 2>&1 &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || fail "pgbench"; done
  expect_eq "$(q -c "SELECT count(*) FROM pgfast.slow_queries
                      WHERE query !~ '^SELECT [0-9]+ AS n$' OR username !~ '^regress_pgfast_r[1-4]$'
                         OR duration_ms < 0 OR nesting_level <> 0")" "0" "malformed ring entries"
  expect_eq "$(q -c "SELECT used || ' ' || (SELECT count(*) FROM pgfast.slow_queries) FROM pgfast.slow_queries_info()")" \
    "40 40" "ring full, every entry readable"
  printf 'SELECT 1 AS v1;\nSELECT 2 AS v2;\n' | q -U regress_pgfast_v >/dev/null
  attack=""
  for i in $(seq 1 80); do attack+="SELECT $i AS n;"$'\n'; done
  echo "$attack" | q -U regress_pgfast_r1 >/dev/null
  expect_eq "$(q -c "SELECT string_agg(query, '|' ORDER BY captured_at) FROM pgfast.slow_queries
                      WHERE username = 'regress_pgfast_v'")" \
    "SELECT 1 AS v1|SELECT 2 AS v2" "the victim's entries after the attack"
  expect_eq "$(q -c "SELECT count(*) FROM pgfast.slow_queries")" "40" "ring still full"
  ! grep -Eq 'terminated by signal|PANIC|TRAP:|stuck spinlock' "$PGFAST_PG_LOG" || fail "backend crash: $(grep -E 'terminated by signal|PANIC|TRAP:|stuck' "$PGFAST_PG_LOG")"
  ;;

log_line)
  if [ -z "$inside" ]; then with_server ""; exit; fi
  q -c "CREATE EXTENSION pgfast"
  q -c "SELECT pg_sleep(0.15) /* log-line-marker */" >/dev/null
  q -c "SET pgfast.slow_query_log = off" -c "SELECT pg_sleep(0.15) /* not-logged-marker */" >/dev/null
  grep -Eq 'LOG:  SLOW QUERY \(0\.[0-9]{3}s\): SELECT pg_sleep\(0\.15\) /\* log-line-marker \*/$' "$PGFAST_PG_LOG" ||
    fail "no SLOW QUERY line in the log: $(grep 'SLOW QUERY' "$PGFAST_PG_LOG" || true)"
  seconds=$(sed -n 's/.*SLOW QUERY (\([0-9.]*\)s): SELECT pg_sleep(0.15) \/\* log-line-marker.*/\1/p' "$PGFAST_PG_LOG")
  awk -v s="$seconds" 'BEGIN { exit !(s >= 0.150 && s < 5) }' || fail "logged duration $seconds"
  ! grep -q 'not-logged-marker' "$PGFAST_PG_LOG" || fail "logged although pgfast.slow_query_log = off"
  expect_eq "$(q -c "SELECT count(*) FROM pgfast.slow_queries WHERE query LIKE '%not-logged-marker%'")" "1" \
    "captured although not logged"
  ;;

auto_explain_oracle)
  if [ -z "$inside" ]; then with_server $'pgfast.slow_query_log = off'; exit; fi
  q -c "CREATE EXTENSION pgfast"
  q -c "CREATE TABLE big AS SELECT g FROM generate_series(1, 300000) g"
  # Statements around the 100 ms threshold; each carries a marker. auto_explain and pgfast run in
  # the same session with the same threshold and must capture the same set.
  script="LOAD 'auto_explain';
SET auto_explain.log_min_duration = 100;
SET pgfast.slow_query_ms = 100;
SET pgfast.slow_query_utility = off;
SELECT pgfast.slow_queries_reset();"
  n=0
  for sleep in 0.01 0.05 0.09 0.101 0.11 0.15 0.2 0.02 0.13 0.099; do
    n=$((n + 1)); script+=$'\n'"SELECT pg_sleep($sleep) /* m$n */;"
  done
  for rows in 1000 100000 300000 50000 200000; do
    n=$((n + 1)); script+=$'\n'"SELECT count(*) FROM big a JOIN big b USING (g) WHERE a.g <= $rows /* m$n */;"
  done
  n=$((n + 1)); script+=$'\n'"SELECT sum(g) FROM (SELECT g, pg_sleep(0.0005) FROM big WHERE g <= 300) s /* m$n */;"
  echo "$script" | q >/dev/null
  from_auto_explain=$(grep -A1 'LOG:  duration: .* ms  plan:' "$PGFAST_PG_LOG" | grep -o '/\* m[0-9]* \*/' | sort -u)
  from_pgfast=$(q -c "SELECT substring(query from '/\* m[0-9]+ \*/') FROM pgfast.slow_queries WHERE query LIKE '%/* m%'" | sort -u)
  [ -n "$from_pgfast" ] || fail "pgfast captured nothing"
  [ "$from_auto_explain" = "$from_pgfast" ] ||
    fail "sets differ: auto_explain [$(echo "$from_auto_explain" | tr '\n' ' ')] pgfast [$(echo "$from_pgfast" | tr '\n' ' ')]"
  echo "same set: $(echo "$from_pgfast" | tr '\n' ' ')"
  ;;

pgbench_concurrency)
  if [ -z "$inside" ]; then with_server $'pgfast.slow_query_ms = 0\npgfast.slow_query_log = off\npgfast.slow_query_max = 500'; exit; fi
  q -c "CREATE EXTENSION pgfast"
  pgbench -q -i -s 2 >/dev/null 2>&1 || fail "pgbench -i"
  q -c "SELECT pgfast.slow_queries_reset()" >/dev/null
  pgbench -n -c 8 -j 2 -T "${PGFAST_PGBENCH_SECONDS:-30}" -M simple >"$PGFAST_SERVICES_DIR/pgbench.out" 2>&1 ||
    { cat "$PGFAST_SERVICES_DIR/pgbench.out"; fail "pgbench run"; }
  grep -E '^(number of transactions actually processed|tps)' "$PGFAST_SERVICES_DIR/pgbench.out"
  # Every entry is well formed: one of the TPC-B statements pgbench ran, from a pgbench backend,
  # with sane counters.
  bad=$(q -c "
    SELECT count(*) FROM pgfast.slow_queries
     WHERE NOT (query ~ '^(BEGIN|END|UPDATE pgbench_accounts SET abalance = abalance \+ -?[0-9]+ WHERE aid = [0-9]+|SELECT abalance FROM pgbench_accounts WHERE aid = [0-9]+|UPDATE pgbench_tellers SET tbalance = tbalance \+ -?[0-9]+ WHERE tid = [0-9]+|UPDATE pgbench_branches SET bbalance = bbalance \+ -?[0-9]+ WHERE bid = [0-9]+|INSERT INTO pgbench_history \(tid, bid, aid, delta, mtime\) VALUES \([0-9]+, [0-9]+, [0-9]+, -?[0-9]+, CURRENT_TIMESTAMP\));?$')
        OR application_name <> 'pgbench' OR duration_ms < 0 OR duration_ms > 60000
        OR nesting_level <> 0 OR database <> current_database()")
  expect_eq "$bad" "0" "malformed ring entries"
  expect_eq "$(q -c "SELECT used FROM pgfast.slow_queries_info()")" "500" "ring full"
  expect_eq "$(q -c "SELECT count(*) > 0 FROM pgfast.slow_queries_info() WHERE overwritten > 1000")" "t" "overwritten counted"
  expect_eq "$(q -c "SELECT count(*) >= 5 FROM pgfast.slow_query_stats WHERE username = current_user AND calls > 100")" "t" "statistics accumulated"
  ! grep -Eq 'terminated by signal|PANIC|TRAP:' "$PGFAST_PG_LOG" || fail "backend crash: $(grep -E 'terminated by signal|PANIC|TRAP:' "$PGFAST_PG_LOG")"
  ;;

pg_stat_statements_shared)
  # Issue #16: pgfast keeps only a timer in the statement's Instrumentation when no other extension
  # hooks the executor. pg_stat_statements loaded after pgfast wraps pgfast's hooks and reuses the
  # Instrumentation pgfast allocated: it must still be a full one (buffers, WAL), and both must
  # count the same statement's work.
  if [ -z "$inside" ]; then
    with_server $'shared_preload_libraries = \'pgfast,pg_stat_statements\'\npgfast.slow_query_ms = 0\npgfast.slow_query_log = off'
    exit
  fi
  q -c "CREATE EXTENSION pgfast" -c "CREATE EXTENSION pg_stat_statements"
  q -c "CREATE TABLE shared_instr (id int, pad text)"
  q -c "SELECT pgfast.slow_queries_reset()" -c "SELECT pg_stat_statements_reset()" >/dev/null
  q -c "INSERT INTO shared_instr SELECT g, repeat('x', 100) FROM generate_series(1, 2000) g" >/dev/null
  expect_eq "$(q -c "SELECT wal_records > 0 AND wal_bytes > 100000 AND shared_blks_dirtied > 0
                            AND shared_blks_hit + shared_blks_read > 0 AND total_exec_time > 0
                       FROM pg_stat_statements WHERE query LIKE 'INSERT INTO shared_instr%'")" \
    "t" "pg_stat_statements' buffer and WAL counters from the shared Instrumentation"
  expect_eq "$(q -c "SELECT count(*) = 1 AND bool_and(wal_bytes > 100000 AND shared_blks_hit + shared_blks_read > 0)
                       FROM pgfast.slow_queries WHERE query LIKE 'INSERT INTO shared_instr%'")" \
    "t" "pgfast's counters of the same statement"
  expect_eq "$(q -c "SELECT s.wal_bytes = p.wal_bytes
                       FROM pgfast.slow_queries s, pg_stat_statements p
                      WHERE s.query LIKE 'INSERT INTO shared_instr%' AND p.query LIKE 'INSERT INTO shared_instr%'")" \
    "t" "the same WAL bytes in both"
  ;;

text_truncated)
  # The capture walks the text for a character boundary only when it is longer than
  # slow_query_text_max (issue #16): a short text is kept whole, a long multibyte one is cut on a
  # character boundary, in the ring, the statistics sample and the log line.
  if [ -z "$inside" ]; then
    with_server $'pgfast.slow_query_text_max = 64\npgfast.slow_query_ms = 0\nclient_encoding = UTF8'
    exit
  fi
  q -c "CREATE EXTENSION pgfast"
  q -c "SELECT pgfast.slow_queries_reset()" >/dev/null
  # 9 bytes, then 2-byte characters: byte 64 is the first half of one, so the cut keeps 63.
  long="SELECT 'x$(printf 'é%.0s' $(seq 1 60))' AS long_text"
  short="SELECT 'é' AS short_text"
  printf '%s;\n%s;\n' "$long" "$short" | q >/dev/null
  # psql variables quote the texts (they hold single quotes).
  checks=$(q -v long="$long" -v short="$short" <<'SQL'
SELECT (SELECT octet_length(query) || ' ' || (query = :'short')
          FROM pgfast.slow_queries WHERE query LIKE '%short_text'),
       (SELECT octet_length(query) = 63 AND starts_with(:'long', query)
          FROM pgfast.slow_queries WHERE query LIKE '%éé%'),
       (SELECT count(*) FROM pgfast.slow_query_stats
         WHERE starts_with(:'long', query) AND octet_length(query) = 63 AND query LIKE '%éé%');
SQL
)
  expect_eq "$checks" "$(printf '%s' "$short" | wc -c | tr -d ' ') true|t|1" \
    "short text kept whole | long text cut on a character boundary | statistics sample cut the same way"
  cut=$(q -c "SELECT query FROM pgfast.slow_queries WHERE query LIKE '%éé%'")
  grep -F "SLOW QUERY (" "$PGFAST_PG_LOG" | grep -qF "s): $cut" ||
    fail "log line: $(grep -F 'SLOW QUERY' "$PGFAST_PG_LOG" | tail -3)"
  ;;

*) fail "unknown case" ;;
esac
echo "PASS [$case_name]"
