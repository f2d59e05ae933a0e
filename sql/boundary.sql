-- The C++/PostgreSQL boundary (DESIGN 3), proven with test-only functions that exist only in this
-- test's schema (they are not part of the extension's SQL script).
CREATE SCHEMA pgfast_test;
CREATE FUNCTION pgfast_test.throw_cpp(kind text, sqlstate text, message text) RETURNS text
  AS '$libdir/pgfast', 'pgfast_test_throw_cpp' LANGUAGE C STRICT;
CREATE FUNCTION pgfast_test.spi_error(sql text) RETURNS text
  AS '$libdir/pgfast', 'pgfast_test_spi_error' LANGUAGE C STRICT;
CREATE FUNCTION pgfast_test.spin(ms int) RETURNS bigint
  AS '$libdir/pgfast', 'pgfast_test_spin' LANGUAGE C STRICT;
CREATE FUNCTION pgfast_test.probe_state() RETURNS text
  AS '$libdir/pgfast', 'pgfast_test_probe_state' LANGUAGE C STRICT;

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

DROP SCHEMA pgfast_test CASCADE;
