-- Slow-query capture (DESIGN 4.4), with pgfast preloaded by the test server.
CREATE EXTENSION IF NOT EXISTS pgfast;
SELECT pgfast.slow_queries_reset();
-- What this database captured, without the timing-dependent columns and the SET statements that
-- steer the test (captured too when the threshold is 0).
CREATE VIEW captured AS
  SELECT nesting_level, rows, query
    FROM pgfast.slow_queries
   WHERE database = current_database() AND query NOT LIKE 'SET %'
   ORDER BY captured_at;
SHOW pgfast.slow_query_ms;
SHOW pgfast.slow_query_track;

-- 1. Threshold 100 ms: pg_sleep(0.15) is captured, pg_sleep(0.05) is not.
SET pgfast.slow_query_ms = 100;
SELECT pg_sleep(0.15);
SELECT pg_sleep(0.05);
SET pgfast.slow_query_ms = -1;
SELECT * FROM captured;
SELECT duration_ms >= 150 AS took_150ms, username = current_user AS by_me, pid = pg_backend_pid() AS my_pid,
       queryid <> 0 AS has_queryid, captured_at <= now() + interval '1 minute' AS sane_time
  FROM pgfast.slow_queries WHERE database = current_database();
-- Threshold -1 captures nothing; sample rate 0 captures nothing.
SELECT pgfast.slow_queries_reset();
SELECT pg_sleep(0.15);
SET pgfast.slow_query_sample_rate = 0;
SET pgfast.slow_query_ms = 0;
SELECT pg_sleep(0.15);
SET pgfast.slow_query_ms = -1;
RESET pgfast.slow_query_sample_rate;
SELECT count(*) AS captured_nothing FROM captured;

-- 2. Nesting: a plpgsql function running a slow statement.
CREATE FUNCTION slow_inner() RETURNS int LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_sleep(0.12);
  RETURN 1;
END $$;
SET pgfast.slow_query_ms = 100;
SELECT slow_inner();
SET pgfast.slow_query_track = 'all';
SELECT slow_inner() AS tracked_all;
SET pgfast.slow_query_ms = -1;
RESET pgfast.slow_query_track;
SELECT * FROM captured;

-- 3. An error mid-statement leaves the nesting level right.
SELECT pgfast.slow_queries_reset();
CREATE FUNCTION slow_then_fail() RETURNS int LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_sleep(0.12);
  RAISE EXCEPTION 'failing after a slow nested statement';
END $$;
SET pgfast.slow_query_ms = 100;
SET pgfast.slow_query_track = 'all';
SELECT slow_then_fail();
SELECT pg_sleep(0.12) AS after_error;
SET pgfast.slow_query_ms = -1;
RESET pgfast.slow_query_track;
SELECT * FROM captured;

-- 4. Utility statements are captured once, as themselves.
SELECT pgfast.slow_queries_reset();
SET pgfast.slow_query_ms = 100;
CREATE TABLE ctas AS SELECT g, pg_sleep(0.15)::text AS slept FROM generate_series(1, 1) g;
SET pgfast.slow_query_ms = 0;
VACUUM ctas;
SET pgfast.slow_query_utility = off;
ANALYZE ctas;
SET pgfast.slow_query_ms = -1;
RESET pgfast.slow_query_utility;
SELECT * FROM captured;

-- 5. Prepared statements: captured once (the execution), not again as EXECUTE.
SELECT pgfast.slow_queries_reset();
PREPARE nap(float8) AS SELECT pg_sleep($1);
SET pgfast.slow_query_ms = 100;
EXECUTE nap(0.15);
EXECUTE nap(0.01);
SET pgfast.slow_query_ms = -1;
DEALLOCATE nap;
SELECT * FROM captured;

-- 6. A cursor: the slow FETCH is captured with its row count.
SELECT pgfast.slow_queries_reset();
SET pgfast.slow_query_ms = 100;
BEGIN;
DECLARE c CURSOR FOR SELECT g, pg_sleep(0.06) FROM generate_series(1, 4) g;
FETCH 2 FROM c;
CLOSE c;
COMMIT;
SET pgfast.slow_query_ms = -1;
SELECT * FROM captured;

-- 7. A forced parallel query is captured once, with the rows of the leader.
CREATE TABLE par AS SELECT g FROM generate_series(1, 20000) g;
ANALYZE par;
SELECT pgfast.slow_queries_reset();
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET force_parallel_mode = on;
SET pgfast.slow_query_ms = 0;
SELECT count(*) FROM par WHERE g % 7 = 0;
SELECT g FROM par WHERE g <= 3 ORDER BY g;
SET pgfast.slow_query_ms = -1;
RESET force_parallel_mode;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
SELECT * FROM captured WHERE query LIKE '%FROM par%';

-- 8. Counters: an INSERT of 500 rows reports rows = 500 and writes WAL; buffers are counted.
SELECT pgfast.slow_queries_reset();
CREATE TABLE ins (id int PRIMARY KEY, payload text);
SET pgfast.slow_query_ms = 0;
INSERT INTO ins SELECT g, repeat('x', 100) FROM generate_series(1, 500) g;
SELECT count(*) FROM ins;
SET pgfast.slow_query_ms = -1;
SELECT rows, wal_bytes > 500 * 100 AS wrote_wal, shared_blks_hit + shared_blks_read > 0 AS used_buffers, query
  FROM pgfast.slow_queries
 WHERE database = current_database() AND query LIKE '%ins%' ORDER BY captured_at;

-- 9. Plans of captured statements, text and JSON; none for utility statements.
SELECT pgfast.slow_queries_reset();
SET pgfast.slow_query_plan = 'text';
SET pgfast.slow_query_ms = 0;
SELECT count(*) FROM ins WHERE id < 10;
SET pgfast.slow_query_plan = 'json';
SELECT count(*) FROM ins WHERE id < 20;
SET pgfast.slow_query_ms = -1;
RESET pgfast.slow_query_plan;
SELECT query, plan LIKE 'Aggregate%' AS text_plan,
       CASE WHEN plan LIKE '{%' THEN plan::json -> 'Plan' ->> 'Node Type' END AS json_node
  FROM pgfast.slow_queries
 WHERE database = current_database() AND query LIKE '%FROM ins%' ORDER BY captured_at;
SELECT count(*) AS plans_for_utilities FROM pgfast.slow_queries
 WHERE database = current_database() AND query LIKE 'SET%' AND plan IS NOT NULL;

-- 10. Statistics per (database, user, queryid): calls and percentiles.
SELECT pgfast.slow_queries_reset();
SET pgfast.slow_query_ms = 0;
SELECT pg_sleep(0.01);
SELECT pg_sleep(0.01);
SELECT pg_sleep(0.03);
SET pgfast.slow_query_ms = -1;
SELECT calls, mean_ms BETWEEN 10 AND 1000 AS mean_sane, p50_ms <= p95_ms AND p95_ms <= p99_ms AND p99_ms <= max_ms AS ordered,
       max_ms >= 30 AS max_sane, abs(total_ms - mean_ms * calls) < 0.001 AS total_consistent, query
  FROM pgfast.slow_query_stats
 WHERE database = current_database() AND query LIKE 'SELECT pg_sleep%';
SELECT capacity, used >= 3 AS used_some, overwritten FROM pgfast.slow_queries_info();

-- 11. Privileges: other users' text is hidden without pg_read_all_stats; own text is shown.
SELECT pgfast.slow_queries_reset();
CREATE ROLE pgfast_alice;
CREATE ROLE pgfast_bob;
GRANT SELECT ON ins TO pgfast_alice, pgfast_bob;
SET pgfast.slow_query_ms = 0;
SET ROLE pgfast_alice;
SELECT count(*) AS alice_count FROM ins WHERE id > 100;
RESET ROLE;
SET ROLE pgfast_bob;
SELECT count(*) AS bob_count FROM ins WHERE id > 200;
RESET ROLE;
SET pgfast.slow_query_ms = -1;
SET ROLE pgfast_bob;
SELECT username, query FROM pgfast.slow_queries
 WHERE username IN ('pgfast_alice', 'pgfast_bob') ORDER BY captured_at;
SELECT username, query FROM pgfast.slow_query_stats
 WHERE username IN ('pgfast_alice', 'pgfast_bob') ORDER BY username, query;
-- Only superusers reset, or change the threshold.
SELECT pgfast.slow_queries_reset();
SET pgfast.slow_query_ms = 0;
RESET ROLE;
GRANT pg_read_all_stats TO pgfast_bob;
SET ROLE pgfast_bob;
SELECT username, query FROM pgfast.slow_queries
 WHERE username IN ('pgfast_alice', 'pgfast_bob') ORDER BY captured_at;
RESET ROLE;
REVOKE ALL ON ins FROM pgfast_alice, pgfast_bob;
DROP ROLE pgfast_alice;
DROP ROLE pgfast_bob;

-- 12. Settings: bounds are enforced.
SET pgfast.slow_query_ms = -2;
SET pgfast.slow_query_sample_rate = 1.5;
SET pgfast.slow_query_plan = 'yaml';
SET pgfast.slow_query_track = 'some';
SET pgfast.slow_query_max = 10;

SELECT pgfast.slow_queries_reset();
DROP VIEW captured;
DROP TABLE ctas, par, ins;
DROP FUNCTION slow_inner(), slow_then_fail();
