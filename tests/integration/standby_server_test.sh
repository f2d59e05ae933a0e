#!/usr/bin/env bash
# pgfast on a PostgreSQL hot standby (issue #18): each case starts its own primary + streaming
# standby (pgfast preloaded on both) through scripts/with-replica and asserts with psql.
#
#   tests/integration/standby_server_test.sh <case>
#   cases: reads writes slow_queries index_worker
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
case_name=${1:?case name}

fail() { echo "FAIL [$case_name]: $*" >&2; exit 1; }
expect_eq() { [ "$1" = "$2" ] || fail "$3: expected [$2], got [$1]"; }
# Runs this script's case body inside its own primary + standby; $1: postgresql.conf lines of both.
with_pair() { PGFAST_PG_CONF="$1" "$root/scripts/with-replica" "$0" "$case_name" --inside; }
primary() { psql -X -v ON_ERROR_STOP=1 -qAt -h 127.0.0.1 -p "$PGPORT" "$@"; }
standby() { psql -X -v ON_ERROR_STOP=1 -qAt -h 127.0.0.1 -p "$PGPORT_REPLICA" "$@"; }
replayed() { "$root/scripts/with-replica" --wait-replay; }
# The same query on both servers must give the same text.
same_on_both() {
  local on_primary on_standby
  on_primary=$(primary -c "$1")
  on_standby=$(standby -c "$1")
  [ -n "$on_primary" ] || fail "$2: empty result"
  expect_eq "$on_standby" "$on_primary" "$2 (standby vs primary)"
}
# A table of 60 rows with a full-text index, made on the primary and replayed on the standby.
make_items() {
  primary -c "CREATE EXTENSION pgfast" \
    -c "CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, kind text NOT NULL, body text NOT NULL)" \
    -c "INSERT INTO items SELECT g, 'name ' || lpad((g * 7 % 60)::text, 2, '0'), CASE WHEN g % 3 = 0 THEN 'a' ELSE 'b' END,
               CASE WHEN g % 2 = 0 THEN 'the quick brown fox ' ELSE 'a lazy dog ' END || g
          FROM generate_series(1, 60) g" \
    -c "SELECT pgfast.fts_index('items', '{name, body}')" -c "ANALYZE items" >/dev/null
  replayed
}

inside=${2:-}

case "$case_name" in
reads)
  # page, offset_page and fts_search give the same items on the standby as on the primary, and a
  # cursor issued by either server works on the other.
  if [ -z "$inside" ]; then with_pair ""; exit; fi
  make_items
  expect_eq "$(standby -c "SELECT pg_is_in_recovery()")" "t" "the standby is in recovery"
  expect_eq "$(primary -c "SELECT pg_is_in_recovery()")" "f" "the primary is not"
  page1="SELECT pgfast.page('items', 'name, id', 7, filter => '{\"kind\": \"b\"}')"
  same_on_both "SELECT p -> 'items' FROM ($page1) s(p)" "page 1"
  same_on_both "SELECT pgfast.offset_page('items', 'name DESC, id', 3, 8)" "offset_page 3"
  same_on_both "SELECT pgfast.offset_page('items', 'id', 2, 5, '{\"kind\": \"a\"}', 'none')" \
    "offset_page with filter, no count"
  same_on_both "SELECT pgfast.fts_search('items', 'fox', 6) -> 'items'" "fts_search page 1"
  # Primary's cursors on the standby, and the other way round, each against the same call on the
  # server that issued it.
  for from in primary standby; do
    to=standby
    [ "$from" = standby ] && to=primary
    next=$($from -c "SELECT p ->> 'next_cursor' FROM ($page1) s(p)")
    [ -n "$next" ] || fail "$from: page 1 has no next_cursor"
    page2="SELECT pgfast.page('items', 'name, id', 7, :'c', filter => '{\"kind\": \"b\"}') -> 'items'"
    expect_eq "$($to -v c="$next" <<<"$page2")" "$($from -v c="$next" <<<"$page2")" \
      "page 2 on the $to from the $from's cursor"
    [ "$($to -v c="$next" <<<"$page2")" != "$(primary -c "SELECT p -> 'items' FROM ($page1) s(p)")" ] ||
      fail "page 2 repeats page 1"
    prev=$($from -v c="$next" <<<"SELECT pgfast.page('items', 'name, id', 7, :'c', filter => '{\"kind\": \"b\"}') ->> 'prev_cursor'")
    back="SELECT pgfast.page('items', 'name, id', 7, before => :'c', filter => '{\"kind\": \"b\"}') -> 'items'"
    expect_eq "$($to -v c="$prev" <<<"$back")" "$(primary -c "SELECT p -> 'items' FROM ($page1) s(p)")" \
      "back to page 1 on the $to from the $from's prev_cursor"
    fts_next=$($from -c "SELECT pgfast.fts_search('items', 'fox', 6) ->> 'next_cursor'")
    [ -n "$fts_next" ] || fail "$from: fts_search page 1 has no next_cursor"
    fts2="SELECT pgfast.fts_search('items', 'fox', 6, :'c') -> 'items'"
    expect_eq "$($to -v c="$fts_next" <<<"$fts2")" "$($from -v c="$fts_next" <<<"$fts2")" \
      "fts_search page 2 on the $to from the $from's cursor"
  done
  # A row changed on the primary shows on the standby's pages once replayed.
  primary -c "UPDATE items SET name = 'name 00' WHERE id = 59" >/dev/null
  replayed
  same_on_both "SELECT p -> 'items' FROM ($page1) s(p)" "page 1 after a replayed update"
  ;;

writes)
  # Every write function fails on the standby with 25006 and a message naming it, and changes
  # nothing (the standby replays the primary's state only).
  if [ -z "$inside" ]; then with_pair ""; exit; fi
  make_items
  primary -c "CREATE TABLE other (id int PRIMARY KEY, name text)" \
    -c "SELECT pgfast.notify_changes('other')" >/dev/null
  replayed
  row='[{"id": 1, "name": "x", "kind": "a", "body": "b"}]'
  refused() {  # <function> <call>: pgfast's own up-front 25006
    local out
    out=$(psql -X -qAt -h 127.0.0.1 -p "$PGPORT_REPLICA" -v VERBOSITY=verbose -c "SELECT * FROM $2" 2>&1 || true)
    grep -q "ERROR:  25006: $1 cannot run on a hot standby: the server is in recovery" <<<"$out" ||
      fail "$1 on the standby: $out"
    grep -q "HINT:  Run it on the primary." <<<"$out" || fail "$1: no hint: $out"
  }
  refused bulk_upsert "pgfast.bulk_upsert('items', '$row')"
  refused bulk_upsert_rows "pgfast.bulk_upsert_rows('items', '$row')"
  refused bulk_upsert_from "pgfast.bulk_upsert_from('items', 'items')"
  refused bulk_insert "pgfast.bulk_insert('items', '[{\"id\": 100, \"name\": \"x\", \"kind\": \"a\", \"body\": \"b\"}]')"
  refused bulk_update "pgfast.bulk_update('items', '$row')"
  refused bulk_delete "pgfast.bulk_delete('items', '[{\"id\": 1}]')"
  refused ensure_index "pgfast.ensure_index('items', '{kind}')"
  refused ensure_index "pgfast.ensure_index('items', '{kind}', '{\"concurrently\": true}')"
  refused fts_index "pgfast.fts_index('items', '{kind}')"
  # notify_changes and stop_notify_changes are PL/pgSQL running DDL: PostgreSQL's own 25006, which
  # names the statement.
  for call in "pgfast.notify_changes('items')" "pgfast.stop_notify_changes('other')"; do
    out=$(psql -X -qAt -h 127.0.0.1 -p "$PGPORT_REPLICA" -v VERBOSITY=verbose -c "SELECT $call" 2>&1 || true)
    grep -Eq "ERROR:  25006: cannot execute (CREATE|DROP) TRIGGER in a read-only transaction" <<<"$out" ||
      fail "$call on the standby: $out"
  done
  # No other error on the standby: its log holds these refusals and nothing worse.
  unexpected=$(grep "ERROR:\|FATAL:\|PANIC:" "$PGFAST_REPLICA_LOG" |
               grep -v "cannot run on a hot standby\|TRIGGER in a read-only transaction" || true)
  [ -z "$unexpected" ] || fail "other errors in the standby's log: $unexpected"
  # The same calls still work on the primary (the check is for recovery only).
  expect_eq "$(primary -c "SELECT inserted || ' ' || updated FROM pgfast.bulk_upsert('items', '$row')")" "0 1" \
    "bulk_upsert on the primary"
  expect_eq "$(primary -c "SELECT pgfast.ensure_index('items', '{kind}')")" "items_kind_idx" \
    "ensure_index on the primary"
  ;;

slow_queries)
  # Slow-query capture works on the standby, which keeps its own captures.
  if [ -z "$inside" ]; then with_pair $'pgfast.slow_query_ms = 0\npgfast.slow_query_log = off'; exit; fi
  primary -c "CREATE EXTENSION pgfast" >/dev/null
  replayed
  standby -c "SELECT pgfast.slow_queries_reset()" >/dev/null
  primary -c "SELECT pgfast.slow_queries_reset()" >/dev/null
  standby -c "SELECT 1 AS on_the_standby" >/dev/null
  primary -c "SELECT 1 AS on_the_primary" >/dev/null
  seen="SELECT coalesce(string_agg(query, '|' ORDER BY captured_at), '') FROM pgfast.slow_queries WHERE query LIKE 'SELECT 1 AS on_the_%'"
  expect_eq "$(standby -c "$seen")" "SELECT 1 AS on_the_standby" "the standby's captures"
  expect_eq "$(primary -c "$seen")" "SELECT 1 AS on_the_primary" "the primary's captures"
  expect_eq "$(standby -c "SELECT calls FROM pgfast.slow_query_stats WHERE query = 'SELECT 1 AS on_the_standby'")" "1" \
    "slow_query_stats on the standby"
  expect_eq "$(standby -c "SELECT used > 0 AND capacity > 0 FROM pgfast.slow_queries_info()")" "t" \
    "slow_queries_info on the standby"
  ;;

index_worker)
  # On a standby the index launcher never starts (it waits for the end of recovery), so a job
  # queued on the primary and replayed is left alone; once promoted, the server builds it. The
  # primary is paused, so the job stays queued; the standby is not.
  if [ -z "$inside" ]; then
    PGFAST_REPLICA_CONF="pgfast.index_worker_paused = off" with_pair "pgfast.index_worker_paused = on"
    exit
  fi
  make_items
  primary -c "SELECT pgfast.ensure_index('items', '{kind}', '{\"concurrently\": true}')" >/dev/null
  replayed
  workers="SELECT count(*) FROM pg_stat_activity WHERE backend_type LIKE 'pgfast index%'"
  # The query sees the launcher where there is one: on the primary (paused, idle on its latch).
  expect_eq "$(primary -c "$workers")" "1" "the primary's launcher"
  expect_eq "$(standby -c "SHOW pgfast.index_worker_paused")" "off" "the standby is not paused"
  expect_eq "$(standby -c "SELECT state FROM pgfast.index_jobs")" "queued" "the replayed job"
  # The postmaster starts workers on its server loop; a checkpoint on the standby (a restartpoint)
  # passes through it many times. Still no pgfast process, and no pgfast message in its log.
  standby -c "CHECKPOINT" >/dev/null
  expect_eq "$(standby -c "$workers")" "0" "pgfast workers on the standby"
  postmaster=$(head -1 "$PGFAST_REPLICA_DATA/postmaster.pid")
  if ps -o args= --ppid "$postmaster" | grep -q pgfast; then
    fail "pgfast processes on the standby: $(ps -o pid=,args= --ppid "$postmaster")"
  fi
  if grep -i "pgfast" "$PGFAST_REPLICA_LOG" | grep -qi "error\|fatal\|index build"; then
    fail "pgfast errors in the standby's log: $(grep -i pgfast "$PGFAST_REPLICA_LOG" | head)"
  fi
  expect_eq "$(primary -c "SELECT state FROM pgfast.index_jobs")" "queued" "the job on the primary"
  # Promoted, the former standby starts its launcher, which builds the queued job.
  expect_eq "$(standby -c "SELECT pg_promote(true, 60)")" "t" "promotion"
  expect_eq "$(standby -c "SELECT pgfast.wait_index_job((SELECT job_id FROM pgfast.index_jobs), 60000)")" "done" \
    "the job on the promoted standby: $(standby -c "SELECT error FROM pgfast.index_jobs")"
  ;;

*)
  fail "unknown case"
  ;;
esac
