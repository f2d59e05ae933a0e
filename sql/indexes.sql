-- Index management (DESIGN 4.3): pgfast.ensure_index, background builds, index_jobs.
CREATE EXTENSION IF NOT EXISTS pgfast;
CREATE TABLE docs (id int PRIMARY KEY, email text, a int, b int, created_at timestamptz, body text);
INSERT INTO docs SELECT g, 'U' || g || '@x.org', g % 10, g % 7, '2024-01-01'::timestamptz + g * interval '1 hour', 'body ' || g
  FROM generate_series(1, 500) g;
CREATE VIEW docs_indexes AS
  SELECT c.relname AS index_name, pg_get_indexdef(i.indexrelid) AS definition, i.indisvalid AS valid
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
   WHERE i.indrelid = 'docs'::regclass ORDER BY 1;

-- 1. The same definition twice: one index.
SELECT pgfast.ensure_index('docs', '{a}');
SELECT pgfast.ensure_index('docs', '{a}');
SELECT pgfast.ensure_index('docs', '{"(a)"}');                    -- "(column)" is the column
SELECT pgfast.ensure_index('docs', '{a}', '{"method": "btree"}');
SELECT count(*) FROM docs_indexes;

-- 2. An equivalent index under another name, in another spelling, is reused.
CREATE INDEX by_hand_lower_email ON docs USING btree (lower(email) ASC NULLS LAST);
SELECT pgfast.ensure_index('docs', '{"LOWER( email )"}');
CREATE INDEX by_hand_recent ON docs (created_at DESC) WHERE created_at > '2024-01-10';
SELECT pgfast.ensure_index('docs', '{"created_at desc nulls first"}',
                           '{"where": "created_at > ''2024-01-10''::timestamptz"}');
-- The primary key is a unique btree on id.
SELECT pgfast.ensure_index('docs', '{id}', '{"unique": true}');

-- 3. A different predicate, INCLUDE list, order, method, opclass or uniqueness: a new index.
SELECT pgfast.ensure_index('docs', '{created_at DESC}', '{"where": "created_at > ''2024-01-11''"}');
SELECT pgfast.ensure_index('docs', '{a, b DESC}', '{"include": ["email"]}');
SELECT pgfast.ensure_index('docs', '{a, b DESC}', '{"include": ["email"]}');
SELECT pgfast.ensure_index('docs', '{a, b DESC}', '{"include": ["email", "created_at"]}');
SELECT pgfast.ensure_index('docs', '{a, b DESC}');
SELECT pgfast.ensure_index('docs', '{a, b}');
SELECT pgfast.ensure_index('docs', '{a}', '{"method": "hash"}');
SELECT pgfast.ensure_index('docs', '{a}', '{"method": "brin"}');
SELECT pgfast.ensure_index('docs', '{email text_pattern_ops}');
SELECT pgfast.ensure_index('docs', '{email}', '{"unique": true, "name": "docs_email_unique"}');
SELECT pgfast.ensure_index('docs', '{email}', '{"unique": true}');
SELECT pgfast.ensure_index('docs', '{"to_tsvector(''english''::regconfig, body)"}', '{"method": "gin"}');
SELECT index_name, definition FROM docs_indexes;

-- 4. Bad input: clear errors, nothing created.
CREATE TEMP TABLE count_before AS SELECT count(*) AS n FROM docs_indexes;
SELECT pgfast.ensure_index('docs', '{nope}');
SELECT pgfast.ensure_index('docs', '{"lower(nope)"}');
SELECT pgfast.ensure_index('docs', '{"no_such_function(email)"}');
SELECT pgfast.ensure_index('docs', '{"lower(email"}');
SELECT pgfast.ensure_index('docs', '{"a) WHERE (true"}');
SELECT pgfast.ensure_index('docs', '{"a); DROP TABLE docs; --"}');
SELECT pgfast.ensure_index('docs', '{a}', '{"where": "true); DROP TABLE docs; --"}');
SELECT pgfast.ensure_index('docs', '{a}', '{"where": "nope > 1"}');
SELECT pgfast.ensure_index('docs', '{a}', '{"include": ["nope"]}');
SELECT pgfast.ensure_index('docs', '{a}', '{"method": "no_such_method"}');
SELECT pgfast.ensure_index('docs', '{a}', '{"method": "heap"}');
SELECT pgfast.ensure_index('docs', '{a}', '{"method": "hash", "unique": true}');
SELECT pgfast.ensure_index('docs', '{a DESC}', '{"method": "hash"}');
SELECT pgfast.ensure_index('docs', '{a}', '{"colour": "blue"}');
SELECT pgfast.ensure_index('docs', '{a}', '{"unique": "yes"}');
SELECT pgfast.ensure_index('docs', '{}');
SELECT pgfast.ensure_index('docs', '{b}', '{"name": "docs_pkey"}');
SELECT pgfast.ensure_index('docs', '{b}', '[]');
-- Options are read from the jsonb itself: a bad value is shown as written, and the first bad
-- option in key order is the one reported.
SELECT pgfast.ensure_index('docs', '{a}', '{"include": ["a", 1]}');
SELECT pgfast.ensure_index('docs', '{a}', '{"unique": 1.50}');
SELECT pgfast.ensure_index('docs', '{a}', '{"unique": {"x": [true, null]}}');
SELECT pgfast.ensure_index('docs', '{a}', '{"unique": null, "method": 5}');
SELECT pgfast.ensure_index('docs', '{a}', '{"name": "x", "include": "a"}');
SELECT pgfast.ensure_index('docs_indexes', '{index_name}');
-- The SQLSTATEs: unknown column 42703, unknown function 42883, syntax 42601, unknown method 42704.
\set VERBOSITY sqlstate
SELECT pgfast.ensure_index('docs', '{nope}');
SELECT pgfast.ensure_index('docs', '{"lower(nope)"}');
SELECT pgfast.ensure_index('docs', '{"no_such_function(email)"}');
SELECT pgfast.ensure_index('docs', '{"lower(email"}');
SELECT pgfast.ensure_index('docs', '{a}', '{"method": "no_such_method"}');
SELECT pgfast.ensure_index('docs', '{a}', '{"colour": "blue"}');
\set VERBOSITY default
SELECT (SELECT count(*) FROM docs_indexes) = n AS nothing_created FROM count_before;

-- 5. Privilege: only the table's owner may ask (as CREATE INDEX requires).
CREATE ROLE pgfast_idx_other LOGIN;
GRANT SELECT, INSERT ON docs TO pgfast_idx_other;
SET ROLE pgfast_idx_other;
SELECT pgfast.ensure_index('docs', '{b}');
SELECT pgfast.ensure_index('docs', '{b}', '{"concurrently": true}');
SELECT pgfast.ensure_index('docs', '{a}');   -- even when it exists
RESET ROLE;

-- 6. Concurrent builds: queued, run by the background worker, waited for.
SELECT pgfast.ensure_index('docs', '{b, a}', '{"concurrently": true}');
-- Asking again while it is queued names the same pending index.
SELECT pgfast.ensure_index('docs', '{b, a}', '{"concurrently": true}');
-- (the worker may already have started it: queued or running)
SELECT index_name, definition, state IN ('queued', 'running') AS pending, error, requested_by
  FROM pgfast.index_jobs ORDER BY job_id;
SELECT job_id AS job FROM pgfast.index_jobs WHERE index_name = 'docs_b_a_idx' \gset
SELECT pgfast.wait_index_job(:job);
SELECT index_name, state, error IS NULL AS no_error, started_at >= queued_at AS started_after_queued,
       finished_at >= started_at AS finished_after_start
  FROM pgfast.index_jobs WHERE index_name = 'docs_b_a_idx';
SELECT index_name, valid FROM docs_indexes WHERE index_name = 'docs_b_a_idx';
SELECT pgfast.ensure_index('docs', '{b, a}', '{"concurrently": true}');   -- now it exists
-- A unique build that fails on duplicates: failed with the error, no INVALID index left.
SELECT pgfast.ensure_index('docs', '{a}', '{"unique": true, "concurrently": true, "name": "docs_a_unique"}');
SELECT job_id AS job FROM pgfast.index_jobs WHERE index_name = 'docs_a_unique' \gset
SELECT pgfast.wait_index_job(:job);
SELECT state, error LIKE 'could not create unique index "docs_a_unique" (Key (a)=(%) is duplicated.)' AS error_says_why
  FROM pgfast.index_jobs WHERE index_name = 'docs_a_unique';
SELECT count(*) AS leftovers FROM docs_indexes WHERE index_name = 'docs_a_unique' OR NOT valid;
-- Waiting in the transaction that queued the job is an error (the build starts at commit).
BEGIN;
SELECT pgfast.ensure_index('docs', '{b, created_at}', '{"concurrently": true}');
SELECT job_id AS job FROM pgfast.index_jobs WHERE index_name = 'docs_b_created_at_idx' \gset
SELECT pgfast.wait_index_job(:job);
ROLLBACK;
SELECT count(*) FROM pgfast.index_jobs WHERE index_name = 'docs_b_created_at_idx';
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT pgfast.wait_index_job(1);
ROLLBACK;
SELECT pgfast.wait_index_job(-1);
SELECT pgfast.wait_index_job(NULL);
-- Jobs are visible to the role that asked only; the table itself to nobody.
SET ROLE pgfast_idx_other;
SELECT count(*) FROM pgfast.index_jobs;
SELECT count(*) FROM pgfast.index_job;
SELECT pgfast.wait_index_job(job_id) FROM pgfast.index_jobs;
RESET ROLE;
SELECT min(job_id) AS first_job FROM pgfast.index_jobs \gset
SET ROLE pgfast_idx_other;
SELECT pgfast.wait_index_job(:first_job);
RESET ROLE;

DROP VIEW docs_indexes;
DROP TABLE docs;
REVOKE ALL ON SCHEMA public FROM pgfast_idx_other;
DROP ROLE pgfast_idx_other;
