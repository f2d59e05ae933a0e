-- Crash sweep (issue #15): every pgfast function and procedure, called by an unprivileged role
-- with NULL in each argument position, against every relation kind (table, temp, partitioned,
-- view, matview, foreign table, sequence, index, composite type, system catalog, TOAST table) and
-- against a table whose names are hostile (quotes, semicolons, comments, unicode, pgfast's own
-- internal aliases). Every call must end in a result or a clean ERROR: the backend survives (a
-- crash fails this suite and the log scan of `make test`), and no call ends in an internal error
-- (XX000: a bug, such as "cache lookup failed" or an escaped C++ exception).
CREATE ROLE regress_pgfast_sweeper LOGIN;
-- Another role's data for the leak check below: a private table with a full-text index and a
-- queued background build whose definition holds a secret, and a captured statement with one.
CREATE SCHEMA sweep_private;
CREATE TABLE sweep_private.docs (id int PRIMARY KEY, body text);
SELECT pgfast.fts_index('sweep_private.docs', '{body}') IS NOT NULL AS private_fts_index;
SELECT pgfast.ensure_index('sweep_private.docs', '{id, body}',
         '{"concurrently": true, "where": "body <> ''secret-job-literal''"}') IS NOT NULL AS private_job;
SET pgfast.slow_query_ms = 0;
SELECT 'secret-statement-literal' IS NOT NULL AS private_statement;
RESET pgfast.slow_query_ms;
CREATE FOREIGN DATA WRAPPER regress_pgfast_sweep_fdw;
CREATE SERVER regress_pgfast_sweep_server FOREIGN DATA WRAPPER regress_pgfast_sweep_fdw;
GRANT USAGE ON FOREIGN SERVER regress_pgfast_sweep_server TO regress_pgfast_sweeper;
CREATE SCHEMA sweep AUTHORIZATION regress_pgfast_sweeper;
GRANT CREATE ON SCHEMA public TO regress_pgfast_sweeper;
SET ROLE regress_pgfast_sweeper;
SET search_path = sweep, public;
SET statement_timeout = '120s';

CREATE TABLE sweep.plain (id int PRIMARY KEY, v text, t tsvector);
INSERT INTO sweep.plain SELECT g, 'fox ' || g FROM generate_series(1, 20) g;
CREATE TEMP TABLE temp_t (id int PRIMARY KEY, v text);
INSERT INTO temp_t VALUES (1, 'fox');
CREATE TABLE sweep.parted (id int PRIMARY KEY, v text) PARTITION BY RANGE (id);
CREATE TABLE sweep.parted_1 PARTITION OF sweep.parted FOR VALUES FROM (0) TO (100);
CREATE VIEW sweep.a_view AS SELECT id, v FROM sweep.plain;
CREATE MATERIALIZED VIEW sweep.a_matview AS SELECT id, v FROM sweep.plain;
CREATE FOREIGN TABLE sweep.a_foreign (id int, v text) SERVER regress_pgfast_sweep_server;
CREATE SEQUENCE sweep.a_seq;
CREATE INDEX plain_v ON sweep.plain (v);
CREATE TYPE sweep.a_composite AS (id int, v text);
-- Hostile names: quotes, a statement terminator, a comment, unicode, and pgfast's internal names.
CREATE TABLE sweep."we""ird; DROP TABLE sweep.plain; --" (
  "id" int PRIMARY KEY,
  "ord" int, "action" text, "key" text, "rank" real, "headline" text, "items" text, "row" text,
  "__pgfast_n" int, "__pgfast_ord" int, "__pgfast_rank" real, "__pgfast_key" text,
  "pgfast_new_rows" text, "pgfast_old_rows" text, "stage" text, "src" text, "s" text, "t" text,
  "x"" /* c */ --" text, "ünï ☃ 漢字" text, "$1" text, "%s" text);
INSERT INTO sweep."we""ird; DROP TABLE sweep.plain; --" (id, "ünï ☃ 漢字") VALUES (1, 'fox');

CREATE TABLE sweep.relations (rel regclass, label text);
INSERT INTO sweep.relations VALUES
  ('sweep.plain', 'table'), ('temp_t', 'temp table'), ('sweep.parted', 'partitioned table'),
  ('sweep.parted_1', 'partition'), ('sweep.a_view', 'view'), ('sweep.a_matview', 'matview'),
  ('sweep.a_foreign', 'foreign table'), ('sweep.a_seq', 'sequence'), ('sweep.plain_v', 'index'),
  ('sweep.a_composite', 'composite type'), ('pg_catalog.pg_class', 'system catalog'),
  ((SELECT reltoastrelid::regclass FROM pg_class WHERE oid = 'pg_catalog.pg_proc'::regclass), 'toast table'),
  ('sweep."we""ird; DROP TABLE sweep.plain; --"', 'hostile names');

-- A plausible value for each argument, chosen by type and name (and for the hostile table, its
-- hostile column names); NULL where it has no plausible one.
CREATE FUNCTION sweep.sample(fn text, type oid, name text, rel regclass, hostile bool) RETURNS text
LANGUAGE sql AS $$
  SELECT CASE
    WHEN type = 'regclass'::regtype THEN quote_literal(rel::oid::text) || '::oid::regclass'
    WHEN type = 'jsonb'::regtype AND name IN ('rows', 'keys') AND hostile THEN quote_literal(
      '[{"id": 1, "ord": 7, "action": "a", "key": "k", "__pgfast_n": 3, "ünï ☃ 漢字": "fox"},'
      ' {"id": 2, "ord": 8, "action": "b", "key": "l", "__pgfast_n": 4, "ünï ☃ 漢字": "dog"}]')
    WHEN type = 'jsonb'::regtype AND name IN ('rows', 'keys') THEN
      quote_literal('[{"id": 1, "v": "fox"}, {"id": 2, "v": "dog"}]')
    WHEN type = 'jsonb'::regtype AND name = 'filter' AND hostile THEN
      quote_literal('{"ord": [7, 8], "ünï ☃ 漢字": ["fox", "dog"]}')
    WHEN type = 'jsonb'::regtype AND name = 'filter' THEN quote_literal('{"id": [1, 2]}')
    WHEN type = 'jsonb'::regtype THEN quote_literal('{}')
    WHEN type = 'text'::regtype AND name = 'order_by' AND hostile THEN
      quote_literal('"ünï ☃ 漢字" DESC, "ord", "x"" /* c */ --"')
    WHEN type = 'text'::regtype AND name = 'order_by' THEN quote_literal('v DESC')
    WHEN type = 'text'::regtype AND name = 'query' THEN quote_literal('fox -dog')
    WHEN type = 'text'::regtype AND name = 'channel' THEN quote_literal('regress_pgfast_sweep')
    WHEN type = 'text'::regtype AND name IN ('after', 'before') THEN 'NULL'
    WHEN type = 'text'::regtype AND name = 'count' THEN quote_literal('estimated')
    WHEN type = 'text'::regtype THEN quote_literal('AAAA')
    WHEN type = 'text[]'::regtype AND name = 'update_columns' THEN 'NULL'
    -- ensure_index takes index elements (SQL: quoted names, expressions), fts_index column names.
    WHEN type = 'text[]'::regtype AND name = 'columns' AND hostile AND fn LIKE 'pgfast.ensure_index%' THEN
      quote_literal(ARRAY['"ünï ☃ 漢字"', '"x"" /* c */ --"']::text)
    WHEN type = 'text[]'::regtype AND name = 'columns' AND hostile THEN
      quote_literal(ARRAY['ünï ☃ 漢字', 'x" /* c */ --']::text)
    WHEN type = 'text[]'::regtype AND name = 'columns' THEN quote_literal('{v}')
    WHEN type = 'text[]'::regtype THEN quote_literal('{id}')
    WHEN type IN ('int4'::regtype, 'int8'::regtype, 'int2'::regtype) THEN '3'
    WHEN type = 'regconfig'::regtype THEN quote_literal('english')
    WHEN type = '"char"[]'::regtype AND hostile THEN quote_literal('{A,B}')
    WHEN type = '"char"[]'::regtype THEN quote_literal('{A}')
    WHEN type = 'bool'::regtype THEN 'true'
    ELSE 'NULL'
  END || '::' || type::regtype::text
$$;

CREATE TABLE sweep.outcome (fn text, null_at int, label text, sqlstate text, message text);
DO $sweep$
DECLARE
  f record;
  r record;
  pos int;
  args text[];
  call text;
  state text;
  msg text;
BEGIN
  FOR f IN
    SELECT p.oid, p.prokind, string_to_array(p.proargtypes::text, ' ')::oid[] AS types,
           coalesce(p.proargnames, '{}') AS names, p.pronargs
      FROM pg_proc p
     WHERE p.pronamespace = 'pgfast'::regnamespace AND p.prorettype <> 'trigger'::regtype
     ORDER BY p.oid::regprocedure::text
  LOOP
    FOR r IN SELECT rel, label FROM sweep.relations LOOP
      -- 0: every argument given; 1..n: that argument NULL.
      FOR pos IN 0 .. f.pronargs LOOP
        args := '{}';
        FOR i IN 1 .. f.pronargs LOOP
          args := args || CASE WHEN i = pos THEN 'NULL::' || f.types[i]::regtype::text
                               ELSE sweep.sample(f.oid::regprocedure::text, f.types[i], f.names[i], r.rel, r.label = 'hostile names') END;
        END LOOP;
        call := CASE WHEN f.prokind = 'p' THEN 'CALL ' ELSE 'SELECT * FROM ' END
                || f.oid::regproc::text || '(' || array_to_string(args, ', ') || ')';
        state := '00000';
        msg := NULL;
        BEGIN
          EXECUTE call;
        EXCEPTION WHEN OTHERS THEN
          GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
        END;
        INSERT INTO sweep.outcome VALUES (f.oid::regprocedure::text, pos, r.label, state, msg);
      END LOOP;
    END LOOP;
  END LOOP;
END
$sweep$;

-- Every function was called, with every relation kind and each argument NULL in turn.
SELECT count(DISTINCT fn) >= 20 AS functions_swept, count(DISTINCT label) AS relation_kinds,
       count(*) > 1000 AS many_calls
  FROM sweep.outcome;
-- No internal error anywhere (an empty list is the pass).
SELECT fn, null_at, label, message FROM sweep.outcome WHERE sqlstate LIKE 'XX%' ORDER BY 1, 2, 3;
-- Hostile names never break the generated SQL: no syntax error, no duplicate or ambiguous column
-- (an internal alias colliding with a user column), no undefined one (a name mangled by quoting).
SELECT fn, null_at, sqlstate, message FROM sweep.outcome
 WHERE label = 'hostile names' AND sqlstate IN ('42601', '42701', '42702', '42703', '42P10', '42803')
 ORDER BY 1, 2;
-- With every argument given, these calls succeed on the hostile table.
SELECT fn FROM sweep.outcome WHERE label = 'hostile names' AND null_at = 0 AND sqlstate = '00000'
 ORDER BY 1;
-- Index elements are SQL: text that tries to end the element and run a statement is refused.
SELECT pgfast.ensure_index('sweep.plain', ARRAY['id); DROP TABLE sweep.plain; --']);
SELECT pgfast.ensure_index('sweep.plain', ARRAY['id'], '{"where": "true; DROP TABLE sweep.plain"}');
SELECT pgfast.ensure_index('sweep.plain', ARRAY['id'], '{"include": ["v) WITH (fillfactor=10"]}');
-- The hostile table is intact (its name did not run as SQL), and so is the table its name names.
SELECT count(*) AS plain_rows FROM sweep.plain;
SELECT count(*) AS hostile_rows FROM sweep."we""ird; DROP TABLE sweep.plain; --";
-- Nothing the sweep did with a system catalog or a TOAST table succeeded as a write.
SELECT DISTINCT fn FROM sweep.outcome
 WHERE label IN ('system catalog', 'toast table') AND sqlstate = '00000'
   AND (fn LIKE 'pgfast.bulk_%' OR fn LIKE 'pgfast.ensure_index%' OR fn LIKE 'pgfast.fts_index%'
        OR fn LIKE 'pgfast.notify_changes%')
 ORDER BY 1;

-- Leak check against every pgfast view: a cheap "leaky" function in the caller's WHERE sees only
-- values the view shows the caller anyway (a view that is not security_barrier would evaluate it
-- on other roles' rows before its own filter).
-- The sweeper's own background build, so that index_jobs has a row it may see.
SELECT pgfast.ensure_index('sweep.plain', '{v, id}', '{"concurrently": true}') AS own_index \gset
SELECT job_id AS own_job FROM pgfast.index_jobs WHERE index_name = :'own_index' \gset
CALL pgfast.wait_index_job(:own_job, 60000, NULL);
CREATE TABLE sweep.seen (view_name text, column_name text, value text);
CREATE FUNCTION sweep.leak(view_name text, column_name text, value text) RETURNS bool
  LANGUAGE plpgsql COST 0.0000001 AS $$
BEGIN
  INSERT INTO sweep.seen VALUES (view_name, column_name, value);
  RETURN true;
END $$;
CREATE TABLE sweep.leaked (view_name text, column_name text, value text);
DO $leak$
DECLARE
  c record;
BEGIN
  FOR c IN
    SELECT cl.relname::text AS view_name, a.attname::text AS column_name
      FROM pg_class cl JOIN pg_attribute a ON a.attrelid = cl.oid AND a.attnum > 0
     WHERE cl.relnamespace = 'pgfast'::regnamespace AND cl.relkind = 'v'
     ORDER BY 1, 2
  LOOP
    EXECUTE format('SELECT count(*) FROM pgfast.%I WHERE sweep.leak(%L, %L, %I::text)',
                   c.view_name, c.view_name, c.column_name, c.column_name);
    EXECUTE format('INSERT INTO sweep.leaked SELECT view_name, column_name, value FROM sweep.seen
                     WHERE view_name = %L AND column_name = %L AND value IS NOT NULL
                    EXCEPT SELECT %L, %L, %I::text FROM pgfast.%I',
                   c.view_name, c.column_name, c.view_name, c.column_name, c.column_name,
                   c.view_name);
  END LOOP;
END
$leak$;
SELECT count(DISTINCT view_name) >= 3 AS views_checked FROM sweep.seen;
SELECT view_name, column_name, value FROM sweep.leaked ORDER BY 1, 2, 3;
SELECT count(*) AS secrets_leaked FROM sweep.seen WHERE value LIKE '%secret-%';

RESET statement_timeout;
RESET search_path;
RESET ROLE;
DROP SCHEMA sweep CASCADE;
SELECT pgfast.wait_index_job(job_id, 60000) IN ('done', 'failed') AS private_job_finished
  FROM pgfast.index_jobs WHERE definition LIKE '%secret-job-literal%';
DROP SCHEMA sweep_private CASCADE;
DROP SERVER regress_pgfast_sweep_server CASCADE;
DROP FOREIGN DATA WRAPPER regress_pgfast_sweep_fdw;
REVOKE CREATE ON SCHEMA public FROM regress_pgfast_sweeper;
DROP OWNED BY regress_pgfast_sweeper;
DROP ROLE regress_pgfast_sweeper;
