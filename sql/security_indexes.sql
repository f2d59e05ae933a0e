-- Issue #15, items 2 and 3, written as the attacks.
--  * An ordinary role plants functions in its index expressions and predicates (and in a stored
--    generated column, and in a queued job); a superuser -- in a fresh session, so nothing is in
--    its relcache yet -- then runs index_report, ensure_index and fts_index over those tables.
--    Comparing index definitions must not evaluate them: the role stays ordinary and its functions
--    never run as another role (the CVE-2022-1552 class).
--  * Another role reads pgfast.index_jobs through a cheap leaky function: it sees nothing of the
--    victim's jobs (definition with a literal, failed-build error with a key value).
CREATE EXTENSION IF NOT EXISTS pgfast;
CREATE ROLE regress_pgfast_attacker LOGIN;
CREATE ROLE regress_pgfast_victim LOGIN;
CREATE SCHEMA att AUTHORIZATION regress_pgfast_attacker;
CREATE SCHEMA vic AUTHORIZATION regress_pgfast_victim;

SET ROLE regress_pgfast_attacker;
-- Who ran the attacker's code: a world-writable log.
CREATE TABLE att.log (who name);
GRANT USAGE ON SCHEMA att TO PUBLIC;
GRANT INSERT ON att.log TO PUBLIC;
CREATE FUNCTION att.escalate() RETURNS int LANGUAGE plpgsql AS $$
BEGIN
  -- A notice survives the rollback of a call that fails after running this.
  IF current_user OPERATOR(pg_catalog.<>) 'regress_pgfast_attacker' THEN
    RAISE NOTICE 'the attacker''s code runs as another role';
  END IF;
  INSERT INTO att.log VALUES (current_user);
  IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) current_user) THEN
    EXECUTE 'ALTER ROLE regress_pgfast_attacker SUPERUSER';
  END IF;
  RETURN 1;
END $$;
CREATE FUNCTION att.evil_c(int) RETURNS int LANGUAGE plpgsql IMMUTABLE
  AS $$BEGIN PERFORM att.escalate(); RETURN $1; END$$;
CREATE FUNCTION att.evil_t(text) RETURNS text LANGUAGE plpgsql IMMUTABLE
  AS $$BEGIN PERFORM att.escalate(); RETURN $1; END$$;
-- An expression index (twice: a duplicate pair) and a partial index, each with a constant call.
CREATE TABLE att.trap (a int PRIMARY KEY, b int, body text);
CREATE INDEX trap_expr ON att.trap ((a + att.evil_c(1)));
CREATE INDEX trap_expr_again ON att.trap ((a + att.evil_c(1)));
CREATE INDEX trap_partial ON att.trap (b) WHERE b > att.evil_c(1);
INSERT INTO att.trap VALUES (1, 5, 'a trap'), (2, 6, 'another trap');
GRANT SELECT ON att.trap TO PUBLIC;
-- A stored generated tsvector column with a constant call.
CREATE TABLE att.gen (id int PRIMARY KEY, body text,
  doc tsvector GENERATED ALWAYS AS (to_tsvector('english'::regconfig, body || att.evil_t('x'))) STORED);
-- A table that will have only a queued job.
CREATE TABLE att.queued (a int, b int);
-- Code that runs when a literal is parsed, not when an expression is evaluated: the CHECK of a
-- domain, which array input runs for each element of '{x}'::att.d[].
CREATE FUNCTION att.check_d(text) RETURNS bool LANGUAGE plpgsql IMMUTABLE
  AS $$BEGIN PERFORM att.escalate(); RETURN true; END$$;
CREATE DOMAIN att.d AS text CHECK (att.check_d(VALUE));
CREATE TABLE att.gen_dom (id int PRIMARY KEY, body text,
  doc tsvector GENERATED ALWAYS AS
    (to_tsvector('english'::regconfig, body || cardinality('{x}'::att.d[]))) STORED);
-- A composite column whose cast to text is the attacker's function: fts_index's document
-- (COALESCE(body::text, '')) calls it for every row when a generated column is added.
CREATE TYPE att.ty AS (x int);
CREATE FUNCTION att.ty_text(att.ty) RETURNS text LANGUAGE plpgsql IMMUTABLE
  AS $$BEGIN PERFORM att.escalate(); RETURN 'composite ' || $1.x; END$$;
CREATE CAST (att.ty AS text) WITH FUNCTION att.ty_text(att.ty);
CREATE TABLE att.c (id int PRIMARY KEY, body att.ty);
INSERT INTO att.c VALUES (1, ROW(7));
DELETE FROM att.log;
RESET ROLE;

-- What escalated since the last look (then reset, so each step is judged alone).
CREATE FUNCTION public.regress_escalated(OUT attacker_is_superuser bool, OUT ran_as_another_role bool)
  LANGUAGE plpgsql AS $$
BEGIN
  attacker_is_superuser := (SELECT rolsuper FROM pg_roles WHERE rolname = 'regress_pgfast_attacker');
  ran_as_another_role := EXISTS (SELECT FROM att.log WHERE who <> 'regress_pgfast_attacker');
  ALTER ROLE regress_pgfast_attacker NOSUPERUSER;
  DELETE FROM att.log;
END $$;
SELECT * FROM public.regress_escalated();

-- 1. index_report() over every table, as a superuser in a fresh session.
\c -
SELECT count(*) > 0 AS reported FROM pgfast.index_report();
SELECT * FROM public.regress_escalated();

-- 2. index_report of the trap table: the duplicate pair is still found, compared as stored.
\c -
SELECT index_name, duplicate_of, suggestion FROM pgfast.index_report('att.trap');
SELECT * FROM public.regress_escalated();

-- 3. Any role that may read the table runs index_report: the attacker's code runs as nobody else.
\c -
SET ROLE regress_pgfast_victim;
SELECT count(*) > 0 AS reported FROM pgfast.index_report();
RESET ROLE;
SELECT * FROM public.regress_escalated();

-- 4. ensure_index on the trap table (compared with its expression and partial indexes).
\c -
SELECT pgfast.ensure_index('att.trap', '{b}');
SELECT * FROM public.regress_escalated();
-- The same expression in the request is found as the existing index, still without running it.
\c -
SELECT pgfast.ensure_index('att.trap', '{"(a + att.evil_c(1))"}');
SELECT pgfast.ensure_index('att.trap', '{b}', '{"where": "b > att.evil_c(1)"}');
SELECT * FROM public.regress_escalated();

-- 5. fts_index on a text column of the trap table.
\c -
SELECT pgfast.fts_index('att.trap', '{body}');
SELECT * FROM public.regress_escalated();

-- 6. fts_index with generated_column naming the attacker's generated column: compared, refused.
\c -
SELECT pgfast.fts_index('att.gen', '{body}', 'english', NULL, '{"generated_column": "doc"}');
SELECT * FROM public.regress_escalated();

-- 6b. The same with a generated column whose expression holds a domain-array literal: the stored
-- expression is compared as stored (pg_attrdef.adbin), never re-parsed from its text.
\c -
SELECT pgfast.fts_index('att.gen_dom', '{body}', 'english', NULL, '{"generated_column": "doc"}');
SELECT * FROM public.regress_escalated();

-- 6c. Adding the generated column over the composite column: the table rewrite (which casts every
-- row's body to text) runs as the table's owner, so the attacker's cast runs as the attacker.
\c -
SELECT pgfast.fts_index('att.c', '{body}', 'english', NULL, '{"generated_column": "doc"}');
SELECT DISTINCT who AS cast_ran_as FROM att.log;
SELECT * FROM public.regress_escalated();
SELECT attname FROM pg_attribute WHERE attrelid = 'att.c'::regclass AND attname = 'doc';

-- Adding a generated column rewrites the trap table (its indexes rebuilt as their owner).
\c -
SELECT pgfast.fts_index('att.trap', '{body}', 'english', NULL, '{"generated_column": "doc"}');
SELECT * FROM public.regress_escalated();

-- 7. ensure_index on a table that has only the attacker's queued job (the job's definition is
-- compared with the request). Rolled back: the job is never built.
\c -
BEGIN;
SET LOCAL ROLE regress_pgfast_attacker;
SELECT pgfast.ensure_index('att.queued', '{"(a + att.evil_c(1))"}', '{"concurrently": true}');
RESET ROLE;
SELECT pgfast.ensure_index('att.queued', '{b}');
SELECT attacker_is_superuser, ran_as_another_role FROM public.regress_escalated();
ROLLBACK;
SELECT * FROM public.regress_escalated();
-- 7b. The same with a domain-array literal in the queued job's definition: the job's definition is
-- compared as it was transformed when it was queued (by its requester), never parsed again.
\c -
BEGIN;
SET LOCAL ROLE regress_pgfast_attacker;
SELECT pgfast.ensure_index('att.queued', '{"(b || array_to_string(''{x}''::att.d[], ''''))"}',
                           '{"concurrently": true}');
-- Asked again (its own text, parsed as itself): the queued job is found by its stored tree.
SELECT pgfast.ensure_index('att.queued', '{"(b || array_to_string(''{x}''::att.d[], ''''))"}',
                           '{"concurrently": true}');
SELECT count(*) AS jobs FROM pgfast.index_jobs WHERE relation = 'att.queued'::regclass;
RESET ROLE;
DELETE FROM att.log;
SELECT pgfast.ensure_index('att.queued', '{a}');
SELECT attacker_is_superuser, ran_as_another_role FROM public.regress_escalated();
ROLLBACK;
SELECT * FROM public.regress_escalated();

-- 7c. A job queued before the upgrade to 0.2.0 has no stored tree: it matches no request and its
-- text is parsed by nobody (its name stays taken).
\c -
BEGIN;
SET LOCAL ROLE regress_pgfast_attacker;
SELECT pgfast.ensure_index('att.queued', '{"(b || array_to_string(''{x}''::att.d[], ''''))"}',
                           '{"concurrently": true}');
RESET ROLE;
UPDATE pgfast.index_job SET definition_tree = NULL WHERE relation = 'att.queued'::regclass;
SET LOCAL ROLE regress_pgfast_attacker;
SELECT pgfast.ensure_index('att.queued', '{"(b || array_to_string(''{x}''::att.d[], ''''))"}',
                           '{"concurrently": true}');
RESET ROLE;
DELETE FROM att.log;
SELECT pgfast.ensure_index('att.queued', '{a}');
SELECT attacker_is_superuser, ran_as_another_role FROM public.regress_escalated();
ROLLBACK;

-- 8. index_jobs through a cheap leaky function. The victim's jobs: one with a secret literal in its
-- predicate, one that fails on a duplicate key (the error names the key value).
SET ROLE regress_pgfast_victim;
CREATE TABLE vic.accounts (id int, email text, plan text);
INSERT INTO vic.accounts VALUES (1, 'alice@example.com', 'gold'), (2, 'alice@example.com', 'gold');
SELECT pgfast.ensure_index('vic.accounts', '{email}',
                           '{"concurrently": true, "where": "plan = ''secret-plan-7731''"}');
SELECT pgfast.ensure_index('vic.accounts', '{email}', '{"concurrently": true, "unique": true}');
SELECT job_id AS job1 FROM pgfast.index_jobs WHERE index_name = 'accounts_email_idx' \gset
SELECT job_id AS job2 FROM pgfast.index_jobs WHERE index_name = 'accounts_email_key' \gset
SELECT pgfast.wait_index_job(:job1);
SELECT pgfast.wait_index_job(:job2);
SELECT index_name, state, error FROM pgfast.index_jobs ORDER BY job_id;
RESET ROLE;

SET ROLE regress_pgfast_attacker;
CREATE FUNCTION att.leak(text) RETURNS bool LANGUAGE plpgsql COST 0.0000001
  AS $$BEGIN RAISE NOTICE 'leak %', $1; RETURN true; END$$;
SELECT count(*) FROM pgfast.index_jobs WHERE att.leak(definition);
SELECT count(*) FROM pgfast.index_jobs WHERE att.leak(error);
SELECT count(*) FROM pgfast.index_jobs WHERE att.leak(index_name::text);
RESET ROLE;
-- The view is a security barrier.
SELECT reloptions FROM pg_class WHERE oid = 'pgfast.index_jobs'::regclass;

-- 9. A background build of a temporary table (which the build's session cannot see) is refused
-- up front, not queued to fail later.
CREATE TEMP TABLE regress_temp_items (a int);
SELECT pgfast.ensure_index('regress_temp_items', '{a}', '{"concurrently": true}');
SELECT pgfast.fts_index('regress_temp_items', '{a}', options => '{"concurrently": true}');
SELECT count(*) AS queued FROM pgfast.index_jobs WHERE index_name LIKE 'regress_temp_items%';
SELECT pgfast.ensure_index('regress_temp_items', '{a}');
DROP TABLE regress_temp_items;

-- 10. Bounded work: a role's table with many indexes makes index_report (which every role runs
-- over every table) no slower than linearly -- duplicates come from one sort, not from comparing
-- every pair. Compared with the plain SQL a DBA would write for sizes and duplicates (grouping
-- pg_get_indexdef text), best of three runs each: 10 times slower at most (about 3 measured; the
-- pairwise comparison was about 25 times slower at 1,500 indexes, and growing).
SET ROLE regress_pgfast_attacker;
CREATE TABLE att.many (a int);
\set ECHO none
SELECT format('CREATE INDEX ON att.many ((a + %s))', i) FROM generate_series(1, 1500) i \gexec
\set ECHO all
CREATE INDEX many_again ON att.many ((a + 7));
RESET ROLE;
CREATE FUNCTION pg_temp.best_ms(query text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE best float8; t timestamptz;
BEGIN
  FOR i IN 1..3 LOOP
    t := clock_timestamp();
    EXECUTE query;
    best := least(best, extract(epoch FROM clock_timestamp() - t) * 1000);
  END LOOP;
  RETURN best;
END $$;
SELECT pg_temp.best_ms($q$SELECT count(*) FROM pgfast.index_report('att.many')$q$)
       < 10 * pg_temp.best_ms($q$
         SELECT count(*) FROM (
           SELECT pg_relation_size(i.indexrelid),
                  first_value(i.indexrelid) OVER (
                    PARTITION BY i.indrelid,
                                 regexp_replace(pg_get_indexdef(i.indexrelid), '^CREATE (UNIQUE )?INDEX \S+ ', '')
                    ORDER BY i.indexrelid)
             FROM pg_index i WHERE i.indrelid = 'att.many'::regclass) s$q$)
       AS report_linear;
SELECT index_name, duplicate_of FROM pgfast.index_report('att.many') WHERE duplicate_of IS NOT NULL;
-- A statement_timeout during index_report ends it with 57014, never relabelled; the session goes
-- on. The report runs 50 times over these 1,500 indexes (several ms each, nearly all the
-- statement's time), so the timeout fires inside it on any machine.
SET statement_timeout = '5ms';
\set VERBOSITY terse
SELECT count(*) FROM generate_series(1, 50) g,
       LATERAL pgfast.index_report(CASE WHEN g > 0 THEN 'att.many'::regclass END) r;
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default
RESET statement_timeout;

DELETE FROM pgfast.fts_config WHERE relation IN ('att.trap'::regclass, 'att.c'::regclass);
DROP FUNCTION public.regress_escalated();
DROP SCHEMA att CASCADE;
DROP SCHEMA vic CASCADE;
DROP ROLE regress_pgfast_attacker;
DROP ROLE regress_pgfast_victim;
