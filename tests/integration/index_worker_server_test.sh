#!/usr/bin/env bash
# Background index builds that need a server of their own: a queued job survives a restart, the
# build worker checks privileges as the role that asked, and the launcher comes back after being
# killed. Each case starts its own throwaway PostgreSQL through scripts/with-services.
#
#   tests/integration/index_worker_server_test.sh <case>
#   cases: restart_keeps_queued_job worker_checks_role launcher_restarts killed_build
#          orphaned_build leaked_slots stranded_jobs gin_report_during_build wait_forms slots_taken
#          stall_by_other_role stuck_build_times_out wait_cancel
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
case_name=${1:?case name}

fail() { echo "FAIL [$case_name]: $*" >&2; exit 1; }
expect_eq() { [ "$1" = "$2" ] || fail "$3: expected [$2], got [$1]"; }
with_server() { PGFAST_PG_CONF="$1" "$root/scripts/with-services" "$0" "$case_name" --inside; }
q() { psql -X -v ON_ERROR_STOP=1 -qAt "$@"; }
# The server's pg_ctl (the private copy when with-services runs a staged pgfast).
pg_ctl_bin() {
  local private
  private=$(ls "$PGFAST_SERVICES_DIR"/pg/usr/lib/postgresql/15/bin/pg_ctl 2>/dev/null || true)
  echo "${private:-/usr/lib/postgresql/15/bin/pg_ctl}"
}
as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
# Polls a query until it prints the expected value (server-side events on their own schedule).
wait_for() {
  local query=$1 expected=$2 what=$3
  for _ in $(seq 1 300); do
    [ "$(q -c "$query" 2>/dev/null || true)" = "$expected" ] && return 0
    sleep 0.1
  done
  fail "$what: [$query] never returned [$expected] (last: $(q -c "$query" 2>&1 || true))"
}

# Waits for the job the query names (the call alone in its statement, as wait_index_job requires).
wait_job() { q -c "SELECT pgfast.wait_index_job($(q -c "$1"), ${2:-60000})"; }
# The stall attacks' setup: roles attacker and victim with a table each (att.slow, vic.mine), and
# the attacker holding ROW EXCLUSIVE on att.slow in an idle transaction of its own session (fed
# through a fifo on fd 9). Sets holder (that psql's pid) and held (the query that sees the lock).
attacker_holds_lock() {
  q -c "CREATE EXTENSION pgfast"
  q -c "CREATE ROLE attacker LOGIN" -c "CREATE ROLE victim LOGIN"
  q -c "CREATE SCHEMA att AUTHORIZATION attacker" -c "CREATE SCHEMA vic AUTHORIZATION victim"
  q -U attacker -c "CREATE TABLE att.slow AS SELECT g AS id FROM generate_series(1, 1000) g"
  q -U victim -c "CREATE TABLE vic.mine AS SELECT g AS id FROM generate_series(1, 1000) g"
  fifo="$PGFAST_SERVICES_DIR/attacker.fifo"
  mkfifo "$fifo"
  psql -X -qAt -U attacker <"$fifo" >/dev/null 2>&1 &
  holder=$!
  exec 9>"$fifo"
  echo "BEGIN; LOCK TABLE att.slow IN ROW EXCLUSIVE MODE;" >&9
  held="SELECT count(*) FROM pg_locks WHERE relation = 'att.slow'::regclass AND mode = 'RowExclusiveLock' AND granted"
  wait_for "$held" "1" "the attacker holds its lock"
}
attacker_releases_lock() {
  echo "COMMIT;" >&9
  exec 9>&-
  wait "$holder" || true
}

inside=${2:-}

case "$case_name" in
restart_keeps_queued_job)
  if [ -z "$inside" ]; then with_server "pgfast.index_worker_paused = on"; exit; fi
  q -c "CREATE EXTENSION pgfast"
  q -c "CREATE TABLE items AS SELECT g AS id, md5(g::text) AS h FROM generate_series(1, 20000) g"
  expect_eq "$(q -c "SELECT pgfast.ensure_index('items', '{h}', '{\"concurrently\": true}')")" \
    "items_h_idx" "name returned at once"
  # Paused: the job stays queued (wait_index_job with a timeout returns the current state).
  expect_eq "$(wait_job "SELECT job_id FROM pgfast.index_jobs" 500)" "queued" \
    "queued while paused"
  # Unpause in postgresql.auto.conf only, then restart: the job is a row and must survive.
  q -c "ALTER SYSTEM SET pgfast.index_worker_paused = off"
  as_postgres "$(pg_ctl_bin)" -D "$PGFAST_PG_DATA" -m fast -w stop >/dev/null
  as_postgres "$(pg_ctl_bin)" -D "$PGFAST_PG_DATA" -l "$PGFAST_PG_LOG" -w -t 60 start >/dev/null
  expect_eq "$(wait_job "SELECT job_id FROM pgfast.index_jobs" 60000)" "done" \
    "the queued job ran after the restart"
  expect_eq "$(q -c "SELECT indisvalid FROM pg_index WHERE indexrelid = 'items_h_idx'::regclass")" "t" \
    "index valid"
  expect_eq "$(q -c "SELECT count(*) FROM pgfast.index_jobs WHERE started_at IS NOT NULL AND finished_at >= started_at")" \
    "1" "timings recorded"
  ;;

worker_checks_role)
  if [ -z "$inside" ]; then with_server "pgfast.index_worker_paused = on"; exit; fi
  q -c "CREATE EXTENSION pgfast"
  q -c "CREATE ROLE builder LOGIN" -c "CREATE ROLE other_owner LOGIN" -c "GRANT CREATE ON SCHEMA public TO builder, other_owner"
  q -c "SET ROLE builder" -c "CREATE TABLE t AS SELECT g AS id, g % 100 AS v FROM generate_series(1, 5000) g"
  expect_eq "$(q -c "SET ROLE builder" -c "SELECT pgfast.ensure_index('t', '{v}', '{\"concurrently\": true}')")" \
    "t_v_idx" "queued by the owner"
  # Before the worker runs it, the table changes hands: the job runs as `builder`, who may no
  # longer build on it, and PostgreSQL itself refuses.
  q -c "ALTER TABLE t OWNER TO other_owner"
  q -c "ALTER SYSTEM SET pgfast.index_worker_paused = off" -c "SELECT pg_reload_conf()" >/dev/null
  expect_eq "$(wait_job "SELECT job_id FROM pgfast.index_jobs" 60000)" "failed" \
    "the build as builder fails"
  expect_eq "$(q -c "SELECT error, requested_by FROM pgfast.index_jobs")" "must be owner of table t|builder" \
    "PostgreSQL's own privilege error, as the requesting role"
  expect_eq "$(q -c "SELECT count(*) FROM pg_class WHERE relname = 't_v_idx'")" "0" "nothing built"
  # The worker keeps running after the failure: the next job (by the new owner) is built.
  q -c "SET ROLE other_owner" -c "SELECT pgfast.ensure_index('t', '{v}', '{\"concurrently\": true}')" >/dev/null
  expect_eq "$(wait_job "SELECT max(job_id) FROM pgfast.index_jobs" 60000)" "done" \
    "next job done: $(q -c "SELECT error FROM pgfast.index_jobs ORDER BY job_id DESC LIMIT 1")"
  ;;

launcher_restarts)
  if [ -z "$inside" ]; then with_server ""; exit; fi
  q -c "CREATE EXTENSION pgfast"
  wait_for "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pgfast index launcher'" "1" \
    "launcher running"
  old=$(q -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'pgfast index launcher'")
  q -c "SELECT pg_terminate_backend($old)" >/dev/null
  wait_for "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pgfast index launcher' AND pid <> $old" \
    "1" "launcher restarted by the postmaster (bgw_restart_time)"
  q -c "CREATE TABLE t AS SELECT g AS id FROM generate_series(1, 1000) g"
  q -c "SELECT pgfast.ensure_index('t', '{id}', '{\"concurrently\": true}')" >/dev/null
  expect_eq "$(wait_job "SELECT job_id FROM pgfast.index_jobs" 60000)" "done" \
    "jobs run after the launcher restart"
  ;;

killed_build)
  if [ -z "$inside" ]; then with_server ""; exit; fi
  q -c "CREATE EXTENSION pgfast"
  q -c "CREATE TABLE big AS SELECT g AS id, md5(g::text) || md5((g * 3)::text) AS h FROM generate_series(1, 600000) g"
  q -c "SELECT pgfast.ensure_index('big', '{h}', '{\"concurrently\": true}')" >/dev/null
  wait_for "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pgfast index build'" "1" \
    "build worker running"
  q -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'pgfast index build'" >/dev/null
  expect_eq "$(wait_job "SELECT job_id FROM pgfast.index_jobs" 60000)" "failed" \
    "a killed build is failed"
  q -c "SELECT error FROM pgfast.index_jobs" | grep -q "exited before finishing" ||
    fail "error: $(q -c "SELECT error FROM pgfast.index_jobs")"
  expect_eq "$(q -c "SELECT count(*) FROM pg_index WHERE indrelid = 'big'::regclass")" "0" \
    "the INVALID index it left was dropped"
  q -c "SELECT pgfast.ensure_index('big', '{id}', '{\"concurrently\": true}')" >/dev/null
  expect_eq "$(wait_job "SELECT max(job_id) FROM pgfast.index_jobs" 60000)" "done" \
    "the next job runs"
  ;;

orphaned_build)
  # The database worker is terminated while its build worker builds: the next database worker
  # waits for that build instead of dropping the index it is building, and frees the build slot.
  if [ -z "$inside" ]; then with_server ""; exit; fi
  q -c "CREATE EXTENSION pgfast"
  q -c "CREATE TABLE big AS SELECT g AS id, md5(g::text) || md5((g * 3)::text) AS h FROM generate_series(1, 600000) g"
  q -c "CREATE TABLE small AS SELECT g AS id FROM generate_series(1, 100) g"
  q -c "SELECT pgfast.ensure_index('big', '{h}', '{\"concurrently\": true}')" >/dev/null
  wait_for "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pgfast index build'" "1" \
    "build worker running"
  q -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'pgfast index jobs'" >/dev/null
  q -c "SELECT pgfast.ensure_index('small', '{id}', '{\"concurrently\": true}')" >/dev/null
  expect_eq "$(wait_job "SELECT max(job_id) FROM pgfast.index_jobs" 120000)" "done" \
    "the next job runs"
  expect_eq "$(q -c "SELECT state FROM pgfast.index_jobs WHERE index_name = 'big_h_idx'")" "failed" \
    "the orphaned job is failed"
  expect_eq "$(q -c "SELECT indisvalid FROM pg_index WHERE indexrelid = 'big_h_idx'::regclass")" "t" \
    "the index the orphaned build finished is kept"
  expect_eq "$(q -c "SELECT error FROM pgfast.index_jobs WHERE index_name = 'big_h_idx'")" \
    "the build was interrupted (server restart or worker exit); the index exists and is valid" \
    "no drop attempted on the index being built"
  ;;

leaked_slots)
  # Seventeen database workers terminated mid-build: no build slot stays taken (there are
  # sixteen) and no database worker entry (there are eight).
  if [ -z "$inside" ]; then with_server ""; exit; fi
  q -c "CREATE EXTENSION pgfast"
  q -c "CREATE TABLE big AS SELECT g AS id, md5(g::text) || md5((g * 3)::text) AS h FROM generate_series(1, 600000) g"
  q -c "CREATE TABLE small AS SELECT g AS id FROM generate_series(1, 100) g"
  for i in $(seq 1 17); do
    q -c "SELECT pgfast.ensure_index('big', '{\"(h || ''$i'')\"}', '{\"concurrently\": true}')" >/dev/null
    wait_for "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pgfast index build'" "1" \
      "build worker $i running"
    q -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'pgfast index jobs'" >/dev/null
    q -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'pgfast index build'" >/dev/null
    wait_for "SELECT count(*) FROM pg_stat_activity WHERE backend_type LIKE 'pgfast index %' AND backend_type <> 'pgfast index launcher'" "0" \
      "workers $i gone"
  done
  q -c "SELECT pgfast.ensure_index('small', '{id}', '{\"concurrently\": true}')" >/dev/null
  expect_eq "$(wait_job "SELECT max(job_id) FROM pgfast.index_jobs" 60000)" "done" \
    "a build slot is free: $(q -c "SELECT error FROM pgfast.index_jobs ORDER BY job_id DESC LIMIT 1")"
  expect_eq "$(q -c "SELECT count(*) FROM pg_index WHERE indrelid = 'big'::regclass")" "0" \
    "the INVALID leftovers were dropped: $(q -c "SELECT job_id, state, error FROM pgfast.index_jobs")"
  ;;

stranded_jobs)
  # A queued job whose table was dropped does not strand the jobs after it, and a role holding
  # the old well-known advisory lock key does not stop the builds.
  if [ -z "$inside" ]; then with_server "pgfast.index_worker_paused = on"; exit; fi
  q -c "CREATE EXTENSION pgfast"
  q -c "CREATE TABLE gone AS SELECT g AS id FROM generate_series(1, 100) g"
  q -c "CREATE TABLE kept AS SELECT g AS id FROM generate_series(1, 100) g"
  q -c "SELECT pgfast.ensure_index('gone', '{id}', '{\"concurrently\": true}')" >/dev/null
  q -c "SELECT pgfast.ensure_index('kept', '{id}', '{\"concurrently\": true}')" >/dev/null
  q -c "DROP TABLE gone"
  q -c "CREATE ROLE squatter LOGIN"
  # An idle session (no snapshot, which the concurrent build would wait for) holding the lock.
  fifo="$PGFAST_SERVICES_DIR/squatter.fifo"
  mkfifo "$fifo"
  psql -X -qAt -U squatter <"$fifo" >/dev/null 2>&1 &
  squatter=$!
  exec 9>"$fifo"
  echo "SELECT pg_advisory_lock(hashtext('pgfast index jobs'));" >&9
  wait_for "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted" "1" "lock held"
  q -c "ALTER SYSTEM SET pgfast.index_worker_paused = off" -c "SELECT pg_reload_conf()" >/dev/null
  expect_eq "$(wait_job "SELECT job_id FROM pgfast.index_jobs WHERE index_name = 'kept_id_idx'" 60000)" \
    "done" "the job after the dropped table's job runs"
  expect_eq "$(q -c "SELECT error FROM pgfast.index_job WHERE index_name = 'gone_id_idx'")" \
    "the table no longer exists" "the dropped table's job is failed"
  exec 9>&-  # end of input: the squatter's psql exits
  wait "$squatter" || true
  ;;

gin_report_during_build)
  # index_report while a concurrent GIN build waits for writers: its index has no block yet.
  if [ -z "$inside" ]; then with_server ""; exit; fi
  q -c "CREATE EXTENSION pgfast"
  q -c "CREATE TABLE docs AS SELECT g AS id, 'word' || g AS body FROM generate_series(1, 1000) g"
  fifo="$PGFAST_SERVICES_DIR/writer.fifo"
  mkfifo "$fifo"
  psql -X -qAt <"$fifo" >/dev/null 2>&1 &
  writer=$!
  exec 9>"$fifo"
  echo "BEGIN; INSERT INTO docs VALUES (0, 'open');" >&9   # a writer the build must wait for
  wait_for "SELECT count(*) FROM pg_locks WHERE relation = 'docs'::regclass AND mode = 'RowExclusiveLock' AND granted" \
    "1" "writer holds its lock"
  q -c "SELECT pgfast.ensure_index('docs', '{\"to_tsvector(''simple''::regconfig, body)\"}', '{\"method\": \"gin\", \"concurrently\": true}')" >/dev/null
  wait_for "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = 'docs'::regclass AND c.relam = (SELECT oid FROM pg_am WHERE amname = 'gin')" \
    "1" "the build created its (empty, invalid) index"
  expect_eq "$(q -c "SELECT invalid, gin_pending_pages IS NULL FROM pgfast.index_report('docs') WHERE method = 'gin'")" \
    "t|t" "the report works and shows no pending pages for the index being built"
  echo "COMMIT;" >&9
  exec 9>&-
  wait "$writer" || true
  expect_eq "$(wait_job "SELECT job_id FROM pgfast.index_jobs" 60000)" "done" "build done"
  expect_eq "$(q -c "SELECT invalid, gin_pending_pages FROM pgfast.index_report('docs') WHERE method = 'gin'")" \
    "f|0" "the built index is reported"
  ;;

wait_forms)
  # wait_index_job never waits holding what the build waits for (DESIGN's function form alone in
  # its statement, or the CALL form, which commits between polls).
  if [ -z "$inside" ]; then with_server "pgfast.index_worker_paused = on"; exit; fi
  q -c "CREATE EXTENSION pgfast"
  q -c "CREATE TABLE t AS SELECT g AS id FROM generate_series(1, 1000) g"
  q -c "SELECT pgfast.ensure_index('t', '{id}', '{\"concurrently\": true}')" >/dev/null
  job=$(q -c "SELECT job_id FROM pgfast.index_jobs")
  expect_eq "$(q -c "SELECT pgfast.wait_index_job($job, 200)")" "queued" "the call alone may wait"
  expect_eq "$(q -c "CALL pgfast.wait_index_job($job, 200, NULL)")" "queued" "CALL may wait"
  refused() {  # $1: SQL; $2: expected message part
    local out
    out=$(psql -X -qAt -c "$1" 2>&1) && fail "not refused: $1 -> $out"
    grep -q "$2" <<<"$out" || fail "refused with another error: $1 -> $out"
  }
  refused "SELECT pgfast.wait_index_job(job_id, 200) FROM pgfast.index_jobs" "would hold a snapshot"
  refused "SELECT pgfast.wait_index_job($job, 200), (SELECT count(*) FROM t)" "would hold a snapshot"
  refused "BEGIN; SELECT pgfast.wait_index_job($job, 200); COMMIT" "would hold a snapshot"
  refused "DO \$\$ BEGIN PERFORM pgfast.wait_index_job($job, 200); END \$\$" "would hold a snapshot"
  refused "BEGIN; LOCK TABLE t IN ROW EXCLUSIVE MODE; SELECT pgfast.wait_index_job($job, 200); COMMIT" \
    "while holding a lock on its table"
  refused "BEGIN; CALL pgfast.wait_index_job($job, 200, NULL); COMMIT" "inside a transaction block"
  # A finished job is reported in any shape.
  q -c "ALTER SYSTEM SET pgfast.index_worker_paused = off" -c "SELECT pg_reload_conf()" >/dev/null
  expect_eq "$(q -c "CALL pgfast.wait_index_job($job, 60000, NULL)")" "done" "CALL waits for the build"
  expect_eq "$(q -c "BEGIN" -c "SELECT pgfast.wait_index_job(job_id) FROM pgfast.index_jobs" -c "COMMIT")" \
    "done" "finished: no wait, any shape"
  ;;

stall_by_other_role)
  # Issue 15 item 7, as the attack: the attacker holds ROW EXCLUSIVE on its own table in an idle
  # transaction and queues a concurrent build there (CREATE INDEX CONCURRENTLY then waits for that
  # transaction). Another role's build on its own table must not wait behind it.
  if [ -z "$inside" ]; then with_server ""; exit; fi
  attacker_holds_lock
  q -U attacker -c "SELECT pgfast.ensure_index('att.slow', '{id}', '{\"concurrently\": true}')" >/dev/null
  wait_for "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pgfast index build' AND wait_event_type = 'Lock'" \
    "1" "the attacker's build waits for the attacker's lock"
  q -U victim -c "SELECT pgfast.ensure_index('vic.mine', '{id}', '{\"concurrently\": true}')" >/dev/null
  victim_job=$(q -U victim -c "SELECT job_id FROM pgfast.index_jobs")
  expect_eq "$(q -U victim -c "SELECT pgfast.wait_index_job($victim_job, 60000)")" "done" \
    "the victim's build finishes while the attacker's waits"
  expect_eq "$(q -c "$held")" "1" "the attacker still holds its lock"
  expect_eq "$(q -c "SELECT state FROM pgfast.index_job WHERE index_name = 'slow_id_idx'")" "running" \
    "the attacker's build is still waiting"
  expect_eq "$(q -c "SELECT indisvalid FROM pg_index WHERE indexrelid = 'vic.mine_id_idx'::regclass")" "t" \
    "the victim's index is valid"
  attacker_releases_lock
  expect_eq "$(wait_job "SELECT job_id FROM pgfast.index_job WHERE index_name = 'slow_id_idx'" 60000)" \
    "done" "the attacker's build finishes once its lock is gone"
  ;;

stuck_build_times_out)
  # One build at a time per database: a build stuck on a lock fails after
  # pgfast.index_build_lock_timeout with a clear error, and the next role's job runs.
  if [ -z "$inside" ]; then
    with_server "pgfast.index_builds_per_database = 1
pgfast.index_build_lock_timeout = 1000
pgfast.index_worker_paused = on"
    exit
  fi
  attacker_holds_lock
  # Several jobs of the attacker, queued before the victim's: round robin between roles.
  for col in id "(id + 1)" "(id + 2)"; do
    q -U attacker -c "SELECT pgfast.ensure_index('att.slow', '{\"$col\"}', '{\"concurrently\": true}')" >/dev/null
  done
  q -U victim -c "SELECT pgfast.ensure_index('vic.mine', '{id}', '{\"concurrently\": true}')" >/dev/null
  victim_job=$(q -U victim -c "SELECT job_id FROM pgfast.index_jobs")
  # Everything queued (the attacker's first): now the worker starts.
  q -c "ALTER SYSTEM SET pgfast.index_worker_paused = off" -c "SELECT pg_reload_conf()" >/dev/null
  expect_eq "$(q -U victim -c "SELECT pgfast.wait_index_job($victim_job, 60000)")" "done" \
    "the victim's build runs after at most one of the attacker's"
  expect_eq "$(q -c "$held")" "1" "the attacker still holds its lock"
  expect_eq "$(q -c "SELECT count(*) FROM pgfast.index_job a, pgfast.index_job v WHERE v.job_id = $victim_job AND a.requested_by = 'attacker'::regrole AND a.started_at < v.started_at")" \
    "1" "the victim waited for one of the attacker's builds, not all three"
  first=$(q -c "SELECT min(job_id) FROM pgfast.index_job WHERE requested_by = 'attacker'::regrole")
  expect_eq "$(q -c "SELECT pgfast.wait_index_job($first, 60000)")" "failed" "the stuck build fails"
  q -c "SELECT error FROM pgfast.index_job WHERE job_id = $first" |
    grep -q "pgfast.index_build_lock_timeout" ||
    fail "error: $(q -c "SELECT error FROM pgfast.index_job WHERE job_id = $first")"
  attacker_releases_lock
  # (The attacker's other queued builds may time out too while the lock is held: a new one runs.)
  q -U attacker -c "SELECT pgfast.ensure_index('att.slow', '{\"(id + 3)\"}', '{\"concurrently\": true}')" >/dev/null
  last=$(q -c "SELECT max(job_id) FROM pgfast.index_job WHERE requested_by = 'attacker'::regrole")
  expect_eq "$(q -c "SELECT pgfast.wait_index_job($last, 60000)")" "done" \
    "the attacker's next build runs once its lock is gone"
  ;;

slots_taken)
  # Every background-worker slot taken by another role's parallel query when a build should start:
  # the job waits for a slot instead of failing (0.2.0 before this: 'could not start a build
  # worker' at once). 5 slots: PostgreSQL's logical replication launcher, pgfast's launcher, this
  # database's worker, 2 parallel workers.
  if [ -z "$inside" ]; then
    with_server "max_worker_processes = 5
max_parallel_workers = 2"
    exit
  fi
  q -c "CREATE EXTENSION pgfast"
  q -c "CREATE ROLE hog LOGIN" -c "CREATE ROLE victim LOGIN"
  q -c "CREATE SCHEMA vic AUTHORIZATION victim"
  q -c "CREATE TABLE big AS SELECT g AS id FROM generate_series(1, 200000) g" -c "GRANT SELECT ON big TO hog"
  q -U victim -c "CREATE TABLE vic.mine AS SELECT g AS id FROM generate_series(1, 1000) g"
  fifo="$PGFAST_SERVICES_DIR/hog.fifo"
  mkfifo "$fifo"
  psql -X -qAt -U hog <"$fifo" >/dev/null 2>&1 &
  hog=$!
  exec 9>"$fifo"
  echo "SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SELECT count(*) FROM big WHERE pg_sleep(0.0001) IS NOT NULL;" >&9
  wait_for "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'parallel worker'" "2" \
    "the parallel query holds both free slots"
  q -U victim -c "SELECT pgfast.ensure_index('vic.mine', '{id}', '{\"concurrently\": true}')" >/dev/null
  job=$(q -U victim -c "SELECT job_id FROM pgfast.index_jobs")
  wait_for "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgfast index jobs'" "1" \
    "the database worker runs"
  expect_eq "$(q -c "SELECT state <> 'failed' FROM pgfast.index_job WHERE job_id = $job")" "t" \
    "the job waits for a slot while the parallel query holds them"
  q -c "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE usename = 'hog' AND backend_type = 'client backend'" >/dev/null
  exec 9>&-
  wait "$hog" || true
  state=$(q -U victim -c "SELECT pgfast.wait_index_job($job, 60000)")
  expect_eq "$state" "done" "the build runs once a slot is free ($(q -c "SELECT error FROM pgfast.index_job WHERE job_id = $job"))"
  ;;

wait_cancel)
  # A cancel or statement_timeout ends wait_index_job at once with 57014, in both forms.
  if [ -z "$inside" ]; then with_server "pgfast.index_worker_paused = on"; exit; fi
  q -c "CREATE EXTENSION pgfast"
  q -c "CREATE TABLE t AS SELECT g AS id FROM generate_series(1, 1000) g"
  q -c "SELECT pgfast.ensure_index('t', '{id}', '{\"concurrently\": true}')" >/dev/null
  job=$(q -c "SELECT job_id FROM pgfast.index_jobs")
  timed_out() {  # $1: the wait statement
    local out
    out=$(PGOPTIONS="-c statement_timeout=300" psql -X -qAt -v VERBOSITY=verbose -c "$1" 2>&1) &&
      fail "not cancelled: $1 -> $out"
    grep -q "57014" <<<"$out" || fail "not 57014: $1 -> $out"
  }
  timed_out "SELECT pgfast.wait_index_job($job, 600000)"
  timed_out "CALL pgfast.wait_index_job($job, 600000, NULL)"
  for form in "SELECT pgfast.wait_index_job($job, 600000)" "CALL pgfast.wait_index_job($job, 600000, NULL)"; do
    out="$PGFAST_SERVICES_DIR/wait.out"
    psql -X -qAt -v VERBOSITY=verbose -c "$form" >"$out" 2>&1 &
    waiter=$!
    wait_for "SELECT count(*) FROM pg_stat_activity WHERE query = '$form' AND state = 'active'" "1" \
      "waiting: $form"
    q -c "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query = '$form'" >/dev/null
    wait "$waiter" && fail "not cancelled: $form -> $(cat "$out")"
    grep -q "57014" "$out" || fail "not 57014: $form -> $(cat "$out")"
  done
  expect_eq "$(q -c "SELECT state FROM pgfast.index_jobs")" "queued" "the job is untouched"
  ;;

*) fail "unknown case" ;;
esac
echo "ok [$case_name]"
