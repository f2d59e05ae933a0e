-- The C++/PostgreSQL boundary (DESIGN 3), proven with test-only functions that exist only in this
-- test's schema (they are not part of the extension's SQL script) and live in the test module
-- pgfast_testing.so, which scripts/stage-install stages and `make install` never installs.
CREATE SCHEMA pgfast_test;
CREATE FUNCTION pgfast_test.throw_cpp(kind text, sqlstate text, message text) RETURNS text
  AS '$libdir/pgfast_testing', 'pgfast_test_throw_cpp' LANGUAGE C STRICT;
CREATE FUNCTION pgfast_test.spi_error(sql text) RETURNS text
  AS '$libdir/pgfast_testing', 'pgfast_test_spi_error' LANGUAGE C STRICT;
CREATE FUNCTION pgfast_test.spin(ms int) RETURNS bigint
  AS '$libdir/pgfast_testing', 'pgfast_test_spin' LANGUAGE C STRICT;
CREATE FUNCTION pgfast_test.probe_state() RETURNS text
  AS '$libdir/pgfast_testing', 'pgfast_test_probe_state' LANGUAGE C STRICT;
CREATE FUNCTION pgfast_test.call_fault(place text, kind text) RETURNS text
  AS '$libdir/pgfast_testing', 'pgfast_test_call_fault' LANGUAGE C STRICT;
CREATE FUNCTION pgfast_test.holdoff_after_error() RETURNS bool
  AS '$libdir/pgfast_testing', 'pgfast_test_holdoff_after_error' LANGUAGE C STRICT;
CREATE FUNCTION pgfast_test.subtransaction_fault(kind text, recover bool) RETURNS text
  AS '$libdir/pgfast_testing', 'pgfast_test_subtransaction_fault' LANGUAGE C STRICT;
CREATE FUNCTION pgfast_test.local_settings_fault(kind text, recover bool) RETURNS text
  AS '$libdir/pgfast_testing', 'pgfast_test_local_settings_fault' LANGUAGE C STRICT;
CREATE FUNCTION pgfast_test.inject_fault(point text, kind text) RETURNS text
  AS '$libdir/pgfast_testing', 'pgfast_test_inject_fault' LANGUAGE C STRICT;
CREATE FUNCTION pgfast_test.inject_fault(point text, enabled bool) RETURNS text
  AS '$libdir/pgfast_testing', 'pgfast_test_inject_fault_bool' LANGUAGE C STRICT;
CREATE FUNCTION pgfast_test.capture_failures() RETURNS bigint
  AS '$libdir/pgfast_testing', 'pgfast_test_capture_failures' LANGUAGE C STRICT;

-- 1. A C++ exception thrown in an SQL function becomes an ERROR with its SQLSTATE, message,
--    detail and hint; the session keeps working.
SELECT pgfast_test.throw_cpp('pgfast', '22023', 'page_size must be between 1 and 500');
\echo :LAST_ERROR_SQLSTATE
SELECT pgfast_test.throw_cpp('pgfast', '42P01', 'relation "nope" is gone');
\echo :LAST_ERROR_SQLSTATE
SELECT 1 AS still_working;
-- Any other exception is an internal error (XX000) or, for bad_alloc, out of memory (53200).
SELECT pgfast_test.throw_cpp('std', '', 'std::runtime_error from C++');
\echo :LAST_ERROR_SQLSTATE
SELECT pgfast_test.throw_cpp('bad_alloc', '', '');
\echo :LAST_ERROR_SQLSTATE
SELECT pgfast_test.throw_cpp('int', '', '');
\echo :LAST_ERROR_SQLSTATE
-- Inside a transaction: the error aborts it like any PostgreSQL error, and rollback recovers.
BEGIN;
CREATE TABLE pgfast_test.t (id int);
SELECT pgfast_test.throw_cpp('pgfast', '23505', 'duplicate key');
SELECT 1;
ROLLBACK;
SELECT to_regclass('pgfast_test.t') AS table_rolled_back;
-- plpgsql can trap it by SQLSTATE.
DO $$
BEGIN
  PERFORM pgfast_test.throw_cpp('pgfast', '22023', 'trapped');
EXCEPTION WHEN invalid_parameter_value THEN
  RAISE NOTICE 'trapped % %', SQLSTATE, SQLERRM;
END $$;

-- 2. A PostgreSQL error inside a guarded call (SPI on a missing table) becomes a C++ exception:
--    destructors run, CurrentMemoryContext is restored, and the client sees the original SQLSTATE.
SELECT pgfast_test.spi_error('SELECT * FROM pgfast_test.no_such_table');
\echo :LAST_ERROR_SQLSTATE
SELECT pgfast_test.probe_state();
SELECT pgfast_test.spi_error('SELECT 1/0');
\echo :LAST_ERROR_SQLSTATE
SELECT pgfast_test.probe_state();
-- No error: the same path returns normally and SPI is finished cleanly.
SELECT pgfast_test.spi_error('SELECT 1');
SELECT pgfast_test.probe_state();
-- Repeating the failing call many times in one session leaks nothing that breaks the session.
DO $$
BEGIN
  FOR i IN 1..200 LOOP
    BEGIN
      PERFORM pgfast_test.spi_error('SELECT * FROM pgfast_test.no_such_table');
    EXCEPTION WHEN undefined_table THEN NULL;
    END;
  END LOOP;
END $$;
SELECT pgfast_test.probe_state();

-- 3. A cancel (statement_timeout) inside a long C++ loop stops it promptly and cleanly: the loop
--    would run for 60 s; the timeout is 200 ms.
SET statement_timeout = '200ms';
SELECT pgfast_test.spin(60000);
\echo :LAST_ERROR_SQLSTATE
RESET statement_timeout;
SELECT pgfast_test.probe_state();
CREATE TEMP TABLE spin_timing AS SELECT clock_timestamp() AS started;
SET statement_timeout = '200ms';
DO $$
BEGIN
  PERFORM pgfast_test.spin(60000);
EXCEPTION WHEN query_canceled THEN
  RAISE NOTICE 'cancelled: %', SQLERRM;
END $$;
RESET statement_timeout;
-- Generous bound: the point is "not 60 s", not a speed figure.
SELECT clock_timestamp() - started < interval '10 seconds' AS stopped_promptly FROM spin_timing;
-- Without a timeout the loop simply finishes.
SELECT pgfast_test.spin(10) > 0 AS spin_finished;

-- 4. A failure inside a pg::call lambda: a PostgreSQL ERROR (the guard's PG_CATCH path) or a C++
--    exception (caught inside the noexcept trampoline, rethrown after PG_END_TRY). Either way it
--    unwinds the caller's C++ frames (destructors run, memory context restored) and reaches the
--    client with its SQLSTATE.
SELECT pgfast_test.call_fault('in_call', 'pg_error');
\echo :LAST_ERROR_SQLSTATE
SELECT pgfast_test.probe_state();
SELECT pgfast_test.call_fault('in_call', 'error');
\echo :LAST_ERROR_SQLSTATE
SELECT pgfast_test.probe_state();
SELECT pgfast_test.call_fault('in_call', 'bad_alloc');
\echo :LAST_ERROR_SQLSTATE
SELECT pgfast_test.probe_state();
SELECT pgfast_test.call_fault('in_call', 'int');
\echo :LAST_ERROR_SQLSTATE
-- ... and in C++ right after a pg::call caught an ERROR.
SELECT pgfast_test.call_fault('after_call', 'bad_alloc');
\echo :LAST_ERROR_SQLSTATE
SELECT pgfast_test.probe_state();
SELECT pgfast_test.call_fault('after_call', 'error');
\echo :LAST_ERROR_SQLSTATE
SELECT pgfast_test.call_fault('after_call', 'pg_error');
\echo :LAST_ERROR_SQLSTATE
SELECT pgfast_test.call_fault('in_call', 'none');
-- Inside a transaction the error aborts it; ROLLBACK recovers; a savepoint works afterwards.
BEGIN;
CREATE TABLE pgfast_test.t2 (id int);
SELECT pgfast_test.call_fault('in_call', 'bad_alloc');
SELECT 1;
ROLLBACK;
SELECT to_regclass('pgfast_test.t2') AS table_rolled_back;
BEGIN;
CREATE TABLE pgfast_test.t2 (id int);
SAVEPOINT s1;
SELECT pgfast_test.call_fault('in_call', 'pg_error');
ROLLBACK TO SAVEPOINT s1;
INSERT INTO pgfast_test.t2 VALUES (1);
COMMIT;
SELECT id AS committed_after_savepoint FROM pgfast_test.t2;
-- C++ code holding interrupts (an LWLock) that goes on after a caught ERROR gets its interrupt
-- holdoff count back, so cancels are still processed afterwards.
SELECT pgfast_test.holdoff_after_error() AS holdoff_balanced;
SET statement_timeout = '200ms';
SELECT pgfast_test.spin(60000);
\echo :LAST_ERROR_SQLSTATE
RESET statement_timeout;
-- Copying the ERROR fails too (CopyErrorData out of memory, forced): a fixed message, the original
-- SQLSTATE kept, so a cancel stays a cancel.
SELECT pgfast_test.inject_fault('guard_copy_error', 'pg_error');
SELECT pgfast_test.call_fault('in_call', 'pg_error');
\echo :LAST_ERROR_SQLSTATE
SELECT pgfast_test.probe_state();
SET statement_timeout = '200ms';
SELECT pgfast_test.spin(60000);
\echo :LAST_ERROR_SQLSTATE
RESET statement_timeout;
SELECT pgfast_test.inject_fault('guard_copy_error', 'off');
SELECT pgfast_test.call_fault('in_call', 'pg_error');

-- 5. pg::Subtransaction: a failure inside it is rolled back and, when handled (as the bulk
--    functions' bad-row search does), the transaction goes on; the row inserted inside is gone.
CREATE TABLE pgfast_test.sub_t (id int);
SELECT pgfast_test.subtransaction_fault('none', false);
TRUNCATE pgfast_test.sub_t;
SELECT pgfast_test.subtransaction_fault('error', true);
SELECT pgfast_test.subtransaction_fault('bad_alloc', true);
SELECT pgfast_test.subtransaction_fault('pg_error', true);
-- The destructor's first rollback attempt fails too (each kind): guarded, warned, retried; the
-- destructor throws nothing and the subtransaction is rolled back.
SELECT pgfast_test.inject_fault('subtransaction_rollback', 'pg_error');
SELECT pgfast_test.subtransaction_fault('bad_alloc', true);
SELECT pgfast_test.probe_state();
SELECT pgfast_test.inject_fault('subtransaction_rollback', 'bad_alloc');
SELECT pgfast_test.subtransaction_fault('pg_error', true);
SELECT pgfast_test.inject_fault('subtransaction_rollback', 'error');
SELECT pgfast_test.subtransaction_fault('error', true);
-- Not handled: the error reaches the client; in a transaction block ROLLBACK recovers and a
-- savepoint works afterwards.
SELECT pgfast_test.subtransaction_fault('bad_alloc', false);
\echo :LAST_ERROR_SQLSTATE
BEGIN;
INSERT INTO pgfast_test.sub_t VALUES (7);
SELECT pgfast_test.subtransaction_fault('pg_error', false);
SELECT 1;
ROLLBACK;
BEGIN;
SAVEPOINT a;
SELECT pgfast_test.subtransaction_fault('error', false);
ROLLBACK TO SAVEPOINT a;
INSERT INTO pgfast_test.sub_t VALUES (8);
COMMIT;
SELECT pgfast_test.inject_fault('subtransaction_rollback', 'off');
SELECT id AS only_committed_row FROM pgfast_test.sub_t;

-- 6. pg::LocalSettings: the scope's settings are rolled back on exit, also while an exception
--    unwinds. When the restore itself fails (forced), it warns and throws nothing; the values
--    stay until the transaction ends, which rolls them back.
SET work_mem = '2MB';
SELECT pgfast_test.local_settings_fault('none', false);
SELECT pgfast_test.local_settings_fault('bad_alloc', true);
SELECT pgfast_test.local_settings_fault('pg_error', false);
\echo :LAST_ERROR_SQLSTATE
SHOW work_mem;
SELECT pgfast_test.inject_fault('local_settings_restore', 'pg_error');
SELECT pgfast_test.local_settings_fault('none', false);
SHOW work_mem;
SELECT pgfast_test.inject_fault('local_settings_restore', 'bad_alloc');
BEGIN;
SELECT pgfast_test.local_settings_fault('error', false);
ROLLBACK;
SHOW work_mem;
SELECT pgfast_test.inject_fault('local_settings_restore', 'off');
RESET work_mem;

-- 7. Slow-query capture never fails the user's statement: with capture made to fail (fault point
--    slowlog_capture) and every statement captured, each statement returns its rows; the
--    failure is reported once per backend and counted; the next statements work. Only a cancel
--    that arrives during capture still cancels the statement (57014, unchanged).
SET pgfast.slow_query_ms = -1;
SELECT pgfast_test.capture_failures() AS failures_before \gset
SELECT dropped AS server_dropped_before FROM pgfast.slow_queries_info() \gset
SELECT pgfast_test.inject_fault('slowlog_capture', true);
SET pgfast.slow_query_ms = 0;
SELECT g FROM generate_series(1, 3) g;
SELECT g FROM generate_series(1, 3) g;
CREATE TEMP TABLE captured (id int);
INSERT INTO captured VALUES (1) RETURNING id;
SET pgfast.slow_query_ms = -1;
SELECT pgfast_test.capture_failures() - :failures_before AS dropped_captures;
SELECT pgfast_test.inject_fault('slowlog_capture', 'bad_alloc');
SET pgfast.slow_query_ms = 0;
SELECT 'bad_alloc during capture' AS still_returned;
SET pgfast.slow_query_ms = -1;
SELECT pgfast_test.inject_fault('slowlog_capture', 'pg_error');
SET pgfast.slow_query_ms = 0;
SELECT 'ERROR during capture' AS still_returned;
-- In a transaction block: the statements, a savepoint and the commit all work.
BEGIN;
INSERT INTO captured VALUES (2);
SAVEPOINT s;
INSERT INTO captured VALUES (3);
ROLLBACK TO SAVEPOINT s;
INSERT INTO captured VALUES (4);
COMMIT;
SET pgfast.slow_query_ms = -1;
SELECT id FROM captured ORDER BY id;
SELECT pgfast_test.capture_failures() - :failures_before AS dropped_captures;
-- A cancel arriving during capture.
SELECT pgfast_test.inject_fault('slowlog_capture', 'cancel');
SET pgfast.slow_query_ms = 0;
SELECT 1 AS cancelled_during_capture;
\echo :LAST_ERROR_SQLSTATE
SET pgfast.slow_query_ms = -1;
SELECT pgfast_test.inject_fault('slowlog_capture', 'off');
SELECT pgfast_test.capture_failures() - :failures_before AS dropped_captures;
-- The server-wide count is the store's `dropped` (pgfast.slow_queries_info()).
SELECT dropped - :server_dropped_before >= pgfast_test.capture_failures() - :failures_before
       AS counted_server_wide
  FROM pgfast.slow_queries_info();
RESET pgfast.slow_query_ms;
SELECT 1 AS still_working;

DROP SCHEMA pgfast_test CASCADE;
