-- pgfast's elevated SQL (issue #6): an ordinary role's operators never run as a superuser, neither
-- in the calling backend (pgfast.index_job / fts_config are written as their owner) nor in the
-- background worker (connected as the bootstrap superuser).
CREATE EXTENSION IF NOT EXISTS pgfast;
CREATE ROLE pgfast_sec_evil LOGIN;
CREATE SCHEMA evil AUTHORIZATION pgfast_sec_evil;
-- Written by a hijacked operator only when it runs as a superuser (where it could as well run
-- ALTER ROLE pgfast_sec_evil SUPERUSER).
CREATE TABLE public.sec_superuser_calls (who name, op text);

SET ROLE pgfast_sec_evil;
CREATE FUNCTION evil.hijack(op text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) current_user) THEN
    INSERT INTO public.sec_superuser_calls VALUES (current_user, op);
  END IF;
END $$;
CREATE FUNCTION evil.int8_eq(a int8, b int8) RETURNS bool LANGUAGE plpgsql AS $$
BEGIN PERFORM evil.hijack('int8 = int8'); RETURN a OPERATOR(pg_catalog.=) b; END $$;
CREATE FUNCTION evil.oid_eq(a oid, b oid) RETURNS bool LANGUAGE plpgsql AS $$
BEGIN PERFORM evil.hijack('oid = oid'); RETURN a OPERATOR(pg_catalog.=) b; END $$;
CREATE FUNCTION evil.text_eq(a text, b text) RETURNS bool LANGUAGE plpgsql AS $$
BEGIN PERFORM evil.hijack('text = text'); RETURN a OPERATOR(pg_catalog.=) b; END $$;
CREATE FUNCTION evil.texts_eq(a text[], b text[]) RETURNS bool LANGUAGE plpgsql AS $$
BEGIN PERFORM evil.hijack('text[] = text[]'); RETURN a OPERATOR(pg_catalog.=) b; END $$;
CREATE FUNCTION evil.name_eq(a name, b name) RETURNS bool LANGUAGE plpgsql AS $$
BEGIN PERFORM evil.hijack('name = name'); RETURN a OPERATOR(pg_catalog.=) b; END $$;
CREATE OPERATOR evil.= (LEFTARG = int8, RIGHTARG = int8, FUNCTION = evil.int8_eq);
CREATE OPERATOR evil.= (LEFTARG = oid, RIGHTARG = oid, FUNCTION = evil.oid_eq);
CREATE OPERATOR evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.text_eq);
CREATE OPERATOR evil.= (LEFTARG = text[], RIGHTARG = text[], FUNCTION = evil.texts_eq);
CREATE OPERATOR evil.= (LEFTARG = name, RIGHTARG = name, FUNCTION = evil.name_eq);
CREATE TABLE evil.docs (id int8 PRIMARY KEY, title text, body text);
INSERT INTO evil.docs SELECT g, 'title ' || g, 'the quick brown fox ' || g FROM generate_series(1, 200) g;
RESET ROLE;

-- The database's default search_path puts the role's operators first for every new session,
-- the background workers included.
ALTER DATABASE :"DBNAME" SET search_path = evil, pg_catalog;

SET ROLE pgfast_sec_evil;
SET search_path = evil, pg_catalog;
-- The operator works (and is the one chosen) in the role's own queries.
SELECT count(*) FROM evil.docs WHERE id = 7::int8;
SELECT pgfast.ensure_index('evil.docs', '{title}');
SELECT pgfast.ensure_index('evil.docs', '{body}', '{"concurrently": true}');
SELECT pgfast.ensure_index('evil.docs', '{body}', '{"concurrently": true}');   -- pending: reused
SELECT job_id AS job FROM pgfast.index_jobs WHERE index_name = 'docs_body_idx' \gset
SELECT pgfast.wait_index_job(:job);
SELECT pgfast.fts_index('evil.docs', '{title, body}', 'english', '{A,B}');
SELECT pgfast.fts_index('evil.docs', '{title, body}', 'simple', '{A,B}', '{"concurrently": true}');
SELECT job_id AS job FROM pgfast.index_jobs WHERE index_name = 'docs_fts_idx1' \gset
SELECT pgfast.wait_index_job(:job);
SELECT jsonb_array_length(pgfast.fts_search('evil.docs', 'fox', 5) -> 'items') AS hits;
SELECT index_name, invalid FROM pgfast.index_report('evil.docs') ORDER BY 1;
RESET search_path;
RESET ROLE;
ALTER DATABASE :"DBNAME" RESET search_path;

-- No operator of the role ran as a superuser, and the role is still not one.
SELECT * FROM public.sec_superuser_calls;
SELECT rolsuper FROM pg_roles WHERE rolname = 'pgfast_sec_evil';

-- The build worker resolves names as the session that queued the job did: its search_path
-- (a function only on that path) and the table as it is called now (renamed before the build).
CREATE SCHEMA names8;
CREATE FUNCTION names8.norm(t text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT lower(t) $$;
CREATE TABLE names8.items (id int, body text);
SET search_path = names8, public;
BEGIN;
SELECT pgfast.ensure_index('items', '{"norm(body)"}', '{"concurrently": true}');
ALTER TABLE items RENAME TO items_renamed;
COMMIT;
RESET search_path;
SELECT job_id AS job FROM pgfast.index_jobs WHERE index_name = 'items_norm_idx' \gset
SELECT pgfast.wait_index_job(:job);
SELECT error FROM pgfast.index_jobs WHERE job_id = :job;
SELECT indexrelid::regclass, indrelid::regclass FROM pg_index WHERE indrelid = 'names8.items_renamed'::regclass;

-- A text search configuration whose name needs quoting, with standard_conforming_strings off.
CREATE TEXT SEARCH CONFIGURATION names8."we'i\rd" (COPY = pg_catalog.english);
CREATE TABLE names8.notes (id int PRIMARY KEY, body text);
INSERT INTO names8.notes VALUES (1, 'foxes jumped'), (2, 'nothing');
SET standard_conforming_strings = off;
SELECT pgfast.fts_index('names8.notes', '{body}', 'names8."we''i\\rd"');
RESET standard_conforming_strings;
SELECT config FROM pgfast.fts_config WHERE relation = 'names8.notes'::regclass;
SELECT pgfast.fts_search('names8.notes', 'fox', 5, options => '{"headline": false}') -> 'items' -> 0 -> 'row' AS hit;
DELETE FROM pgfast.fts_config WHERE relation = 'names8.notes'::regclass;
DROP SCHEMA names8 CASCADE;

DELETE FROM pgfast.fts_config WHERE relation = 'evil.docs'::regclass;
DROP TABLE public.sec_superuser_calls;
DROP SCHEMA evil CASCADE;
DROP ROLE pgfast_sec_evil;
