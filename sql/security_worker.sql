-- Background index builds against a hostile role (issue 15, items 7 and 10; docs/indexes.md):
-- a relation the worker cannot build on is refused when the job would be queued, not when it
-- runs; wait_index_job's timeout is bounded. (The worker's share between roles needs several
-- sessions: tests/integration/index_worker_server_test.sh stall_by_other_role and
-- stuck_build_times_out.)
CREATE ROLE regress_pgfast_worker_a LOGIN;
CREATE SCHEMA regress_worker AUTHORIZATION regress_pgfast_worker_a;
SET ROLE regress_pgfast_worker_a;

-- A temporary table: the worker is another session and would never see it.
CREATE TEMP TABLE scratch AS SELECT g AS id FROM generate_series(1, 100) g;
SELECT pgfast.ensure_index('scratch', '{id}', '{"concurrently": true}');
\echo :LAST_ERROR_SQLSTATE
SELECT pgfast.fts_index('scratch', '{id}', 'simple', NULL, '{"concurrently": true}');
\echo :LAST_ERROR_SQLSTATE
-- Nothing was queued or built; the hint's way works.
SELECT count(*) AS jobs FROM pgfast.index_jobs;
SELECT count(*) AS indexes FROM pg_index WHERE indrelid = 'scratch'::regclass;
SELECT pgfast.ensure_index('scratch', '{id}', '{"concurrently": false}');

-- A partitioned table (PostgreSQL builds it with each partition, not concurrently).
CREATE TABLE regress_worker.parted (id int) PARTITION BY RANGE (id);
SELECT pgfast.ensure_index('regress_worker.parted', '{id}', '{"concurrently": true}');
\echo :LAST_ERROR_SQLSTATE

-- wait_index_job: the timeout is between 0 and one day, checked before anything else.
SELECT pgfast.wait_index_job(1, -1);
\echo :LAST_ERROR_SQLSTATE
SELECT pgfast.wait_index_job(1, 86400001);
\echo :LAST_ERROR_SQLSTATE
CALL pgfast.wait_index_job(1, 2147483647, NULL);
\echo :LAST_ERROR_SQLSTATE
-- In range: the job is looked at (this one does not exist).
SELECT pgfast.wait_index_job(-1, 0);
\echo :LAST_ERROR_SQLSTATE
DROP TABLE scratch;
RESET ROLE;

-- A system catalog, even for a superuser who owns it.
SELECT pgfast.ensure_index('pg_catalog.pg_description', '{description}', '{"concurrently": true}');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS jobs FROM pgfast.index_job WHERE relation = 'pg_catalog.pg_description'::regclass;

DROP SCHEMA regress_worker CASCADE;
DROP ROLE regress_pgfast_worker_a;
