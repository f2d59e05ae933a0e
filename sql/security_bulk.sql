-- Bulk operations attacked by hostile input and roles (issue #15 items 6, 8, 9, 10).
CREATE EXTENSION IF NOT EXISTS pgfast;
\set VERBOSITY terse

-- Seconds one statement takes (for ratios only; only booleans are printed).
CREATE FUNCTION pg_temp.elapsed(sql text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
  t0 timestamptz := clock_timestamp();
BEGIN
  EXECUTE sql;
  RETURN extract(epoch FROM clock_timestamp() - t0);
END $$;

-- 1. Complexity (item 6): 20,000 rows sharing one key. Duplicates were resolved by a self-join
-- of the staged rows (quadratic: over 60 s for 20,000 rows). Compared with the plain SQL
-- equivalent over the same jsonb, measured here: DISTINCT ON, then INSERT ... ON CONFLICT.
CREATE TABLE dup_target (id int PRIMARY KEY, v int);
CREATE TABLE dup_input AS
  SELECT jsonb_agg(jsonb_build_object('id', 1, 'v', g) ORDER BY g) AS j
    FROM generate_series(1, 20000) g;
-- The fastest of three runs each.
CREATE TEMP TABLE timings AS
SELECT (SELECT min(pg_temp.elapsed($$SELECT * FROM pgfast.bulk_upsert('dup_target',
          (SELECT j FROM dup_input))$$)) FROM generate_series(1, 3)) AS last,
       (SELECT min(pg_temp.elapsed($$SELECT * FROM pgfast.bulk_upsert('dup_target',
          (SELECT j FROM dup_input), options => '{"on_duplicate": "first"}')$$))
          FROM generate_series(1, 3)) AS first,
       (SELECT min(pg_temp.elapsed($$INSERT INTO dup_target (id, v)
          SELECT DISTINCT ON (r.id) r.id, r.v
            FROM dup_input, jsonb_array_elements(dup_input.j) WITH ORDINALITY AS e(x, n),
                 jsonb_populate_record(NULL::dup_target, e.x) AS r
           ORDER BY r.id, e.n DESC
          ON CONFLICT (id) DO UPDATE SET v = excluded.v$$)) FROM generate_series(1, 3)) AS plain;
SELECT last / greatest(plain, 0.001) < 20 AS last_within_20x_plain,
       first / greatest(plain, 0.001) < 20 AS first_within_20x_plain
  FROM timings;
-- The semantics are unchanged: last keeps the last row, first the first, error names the first
-- pair.
TRUNCATE dup_target;
SELECT * FROM pgfast.bulk_upsert('dup_target', (SELECT j FROM dup_input));
SELECT * FROM dup_target;
SELECT * FROM pgfast.bulk_upsert('dup_target', (SELECT j FROM dup_input),
                                 options => '{"on_duplicate": "first"}');
SELECT * FROM dup_target;
-- (The rows are named in the DETAIL, which terse verbosity hides.)
\set VERBOSITY default
SELECT * FROM pgfast.bulk_upsert('dup_target', (SELECT j FROM dup_input),
                                 options => '{"on_duplicate": "error"}');
SELECT * FROM pgfast.bulk_upsert('dup_target',
  '[{"id": 1, "v": 1}, {"id": 2, "v": 2}, {"id": 3, "v": 3}, {"id": 2, "v": 4}, {"id": 1, "v": 5}]',
  options => '{"on_duplicate": "error"}');
\set VERBOSITY terse
SELECT ord, action FROM pgfast.bulk_upsert_rows('dup_target',
  '[{"id": 1, "v": 1}, {"id": 2, "v": 2}, {"id": 1, "v": 3}, {"id": 2, "v": 4}, {"id": 1, "v": 5}]',
  options => '{"on_duplicate": "first"}') ORDER BY ord;
SELECT * FROM dup_target ORDER BY id;
SELECT * FROM pgfast.bulk_update('dup_target', (SELECT j FROM dup_input));
SELECT * FROM dup_target ORDER BY id;

-- 2. Cancels and timeouts (item 8) end the call at once with their own SQLSTATE and blame no
-- input row; the target is unchanged. The input is a pre-built 300,000-row jsonb read from a
-- table, so the timeout fires inside pgfast, not while the argument is built.
CREATE TABLE big_input AS
  SELECT jsonb_agg(jsonb_build_object('id', g, 'v', g) ORDER BY g) AS j
    FROM generate_series(1, 300000) g;
CREATE TABLE big_target (id int PRIMARY KEY, v int);
INSERT INTO big_target VALUES (1, -1), (2, -2);
SET statement_timeout = '200ms';
SELECT * FROM pgfast.bulk_upsert('big_target', (SELECT j FROM big_input));
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM pgfast.bulk_insert('big_target', (SELECT j FROM big_input)) LIMIT 1;
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM pgfast.bulk_update('big_target', (SELECT j FROM big_input));
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM pgfast.bulk_delete('big_target', (SELECT j FROM big_input));
\echo :LAST_ERROR_SQLSTATE
RESET statement_timeout;
SELECT * FROM big_target ORDER BY id;

-- Errors raised while the rows are converted, injected through a domain's CHECK function at
-- one row: only data errors (classes 22, 23) make pgfast look for the row to blame; a cancel
-- (pg_cancel_backend of this backend), a lock timeout, a deadlock, a serialization failure, out
-- of memory or an admin shutdown passes through unchanged, naming no row.
CREATE SEQUENCE sec_bulk_calls;
CREATE FUNCTION sec_bulk_check(v int) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('sec_bulk.action') = 'cancel at call 1000' THEN
    IF nextval('sec_bulk_calls') = 1000 THEN
      PERFORM pg_cancel_backend(pg_backend_pid());
      PERFORM count(*) FROM generate_series(1, 1000);
    END IF;
    RETURN true;
  END IF;
  IF v = current_setting('sec_bulk.row')::int THEN
    IF current_setting('sec_bulk.action') = 'cancel' THEN
      PERFORM pg_cancel_backend(pg_backend_pid());
      PERFORM count(*) FROM generate_series(1, 1000);  -- an interrupt check
    ELSIF current_setting('sec_bulk.action') = 'false' THEN
      RETURN false;
    ELSE
      RAISE EXCEPTION 'injected %', current_setting('sec_bulk.action')
        USING ERRCODE = current_setting('sec_bulk.action');
    END IF;
  END IF;
  RETURN true;
END $$;
CREATE DOMAIN sec_bulk_v AS int CHECK (sec_bulk_check(VALUE));
SET sec_bulk.row = 500;
SET sec_bulk.action = 'none';
CREATE TABLE checked (id int PRIMARY KEY, v sec_bulk_v);
INSERT INTO checked VALUES (1, 1);
CREATE FUNCTION pg_temp.try(action text, sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  state text;
  message text;
  detail text;
BEGIN
  PERFORM set_config('sec_bulk.action', action, true);
  EXECUTE sql;
  RETURN 'no error';
EXCEPTION WHEN query_canceled OR others THEN
  GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT,
                          detail = PG_EXCEPTION_DETAIL;
  -- The row blamed, if any: the DETAIL's first line (pgfast.row=..., docs/bulk.md).
  RETURN state || ' ' || message || coalesce(' [' || nullif(split_part(detail, E'\n', 1), '') || ']', '');
END $$;
SELECT a AS action, pg_temp.try(a, $$SELECT * FROM pgfast.bulk_upsert('checked',
         (SELECT jsonb_agg(jsonb_build_object('id', g, 'v', g)) FROM generate_series(1, 1000) g))$$)
  FROM unnest(ARRAY['cancel', '55P03', '40P01', '40001', '53200', '57P01', '58030', 'XX000',
                    '22023', 'false']) AS a;
-- bulk_insert converts while it inserts (no stage): the same rule.
SELECT a AS action, pg_temp.try(a, $$SELECT * FROM pgfast.bulk_insert('checked',
         (SELECT jsonb_agg(jsonb_build_object('id', g, 'v', g)) FROM generate_series(2, 1000) g))$$)
  FROM unnest(ARRAY['cancel', '55P03', '40P01', '53200', '22023', 'false']) AS a;
-- A cancel that arrives while pgfast searches for the row to blame for a data error: row 800 has
-- an invalid id, the staging converts rows 1..799 (799 checks of v), and the 1000th check comes
-- in the search. 0.1.0 counted the cancelled probe as a failing range and blamed a wrong row
-- (row 500: invalid input ...); the cancel must end the call instead.
SELECT pg_temp.try('cancel at call 1000', $$SELECT * FROM pgfast.bulk_upsert('checked',
         (SELECT jsonb_agg(jsonb_build_object('id', CASE WHEN g = 800 THEN to_jsonb('x'::text)
                                                         ELSE to_jsonb(g) END, 'v', g))
            FROM generate_series(1, 1000) g))$$) AS cancelled_search;
-- The same call again (the counter is past 1000: no cancel) blames the right row.
SELECT pg_temp.try('cancel at call 1000', $$SELECT * FROM pgfast.bulk_upsert('checked',
         (SELECT jsonb_agg(jsonb_build_object('id', CASE WHEN g = 800 THEN to_jsonb('x'::text)
                                                         ELSE to_jsonb(g) END, 'v', g))
            FROM generate_series(1, 1000) g))$$) AS uncancelled_search;
-- An error of the insert itself (a unique violation, class 23) names no row either: converting
-- the rows does not reproduce it.
SELECT * FROM pgfast.bulk_insert('checked', '[{"id": 2, "v": 2}, {"id": 1, "v": 1}]');
SELECT * FROM checked;
-- A bad row at a large ordinal is blamed with its own ordinal (a data error: class 23).
SET sec_bulk.row = 250001;
SET sec_bulk.action = 'false';
\set VERBOSITY default
SELECT * FROM pgfast.bulk_upsert('checked', (SELECT j FROM big_input));
\set VERBOSITY terse
-- A cancel at the same row of the large input: 57014, no row blamed.
SET sec_bulk.action = 'cancel';
SELECT * FROM pgfast.bulk_upsert('checked', (SELECT j FROM big_input));
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM checked;

-- A cancel while merging (a row trigger cancels this backend at one row): 57014 for every
-- function, the target unchanged.
CREATE TABLE merged (id int PRIMARY KEY, v int);
INSERT INTO merged SELECT g, 0 FROM generate_series(1, 100) g;
CREATE FUNCTION sec_bulk_cancel_at_99() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (TG_OP = 'DELETE' AND OLD.id = 7) OR (TG_OP <> 'DELETE' AND NEW.v = 99) THEN
    PERFORM pg_cancel_backend(pg_backend_pid());
    PERFORM count(*) FROM generate_series(1, 1000);
  END IF;
  RETURN coalesce(NEW, OLD);
END $$;
CREATE TRIGGER cancel_at_99 BEFORE INSERT OR UPDATE OR DELETE ON merged
  FOR EACH ROW EXECUTE FUNCTION sec_bulk_cancel_at_99();
SELECT f, pg_temp.try('', sql) FROM (VALUES
  ('bulk_upsert (update)', $$SELECT * FROM pgfast.bulk_upsert('merged',
      (SELECT jsonb_agg(jsonb_build_object('id', g, 'v', 99)) FROM generate_series(1, 100) g))$$),
  ('bulk_upsert (insert)', $$SELECT * FROM pgfast.bulk_upsert('merged',
      (SELECT jsonb_agg(jsonb_build_object('id', g, 'v', 99)) FROM generate_series(101, 200) g))$$),
  ('bulk_upsert_rows', $$SELECT * FROM pgfast.bulk_upsert_rows('merged',
      (SELECT jsonb_agg(jsonb_build_object('id', g, 'v', 99)) FROM generate_series(1, 200) g))$$),
  ('bulk_insert', $$SELECT * FROM pgfast.bulk_insert('merged',
      (SELECT jsonb_agg(jsonb_build_object('id', g, 'v', 99)) FROM generate_series(101, 200) g))$$),
  ('bulk_update', $$SELECT * FROM pgfast.bulk_update('merged',
      (SELECT jsonb_agg(jsonb_build_object('id', g, 'v', 99)) FROM generate_series(1, 100) g))$$),
  ('bulk_delete', $$SELECT pgfast.bulk_delete('merged',
      (SELECT jsonb_agg(jsonb_build_object('id', g)) FROM generate_series(1, 100) g))$$)) AS c(f, sql);
SELECT count(*), sum(v) FROM merged;
DROP TRIGGER cancel_at_99 ON merged;

-- 3. Names (item 9): internal names never collide with user columns. A target whose columns are
-- named like every internal name (the position column ord and its fallbacks, aliases, result
-- columns) and hostile identifiers works with every bulk function; temporary tables named like
-- pgfast's own are skipped.
CREATE TEMP TABLE pgfast_stage_1 (x int);
CREATE TEMP TABLE pgfast_stage_2 (x int);
CREATE TEMP TABLE pgfast_matched_3 (x int);
CREATE TABLE "we""ird; names ü😀" (
  ord int PRIMARY KEY, action text, key text, ord_2 int, ord_3 int, k text, k0 int, s int, t int,
  e int, v int, r int, i int, m int, d int, w int, n int, tid int, first int, differs int,
  inserted int, excluded int, f int, "a b" text, "x;DROP TABLE y;--" text, "qu""ote" text,
  "ünï😀" text);
SELECT * FROM pgfast.bulk_insert('"we""ird; names ü😀"',
  '[{"ord": 1, "action": "a", "key": "k", "k": "kk", "k0": 10, "a b": "space",
     "x;DROP TABLE y;--": "semi", "qu\"ote": "q", "ünï😀": "u"},
    {"ord": 2, "action": "b", "first": 2, "tid": 2, "n": 2, "differs": 2, "inserted": 2}]');
SELECT ord, action, key FROM pgfast.bulk_upsert_rows('"we""ird; names ü😀"',
  '[{"ord": 2, "action": "B", "ord_2": 22}, {"ord": 3, "action": "c"}, {"ord": 2, "action": "BB"},
    {"ord": 1, "action": "a", "key": "k", "k": "kk", "k0": 10}]');
SELECT * FROM pgfast.bulk_upsert('"we""ird; names ü😀"',
  '[{"ord": 3, "action": "C", "excluded": 3, "e": 3, "s": 3, "t": 3, "v": 3, "r": 3, "i": 3,
     "m": 3, "d": 3, "w": 3, "f": 3, "ord_3": 3}, {"ord": 4, "a b": "new"}]',
  options => '{"update_when": "always"}');
SELECT * FROM pgfast.bulk_update('"we""ird; names ü😀"',
  '[{"ord": 4, "key": "four", "ünï😀": "U"}, {"ord": 9, "key": "missing"}]');
CREATE TEMP TABLE incoming (ord int, action text, "qu""ote" text);
INSERT INTO incoming VALUES (5, 'e', 'q5'), (1, 'A', 'q');
SELECT * FROM pgfast.bulk_upsert_from('"we""ird; names ü😀"', 'incoming');
SELECT pgfast.bulk_delete('"we""ird; names ü😀"', '[{"ord": 3}, {"ord": 3}, {"ord": 8}]');
SELECT ord, action, key, ord_2, k, k0, e, f, "a b", "x;DROP TABLE y;--", "qu""ote", "ünï😀"
  FROM "we""ird; names ü😀" ORDER BY ord;
-- A key named like the key object's internal alias (0.1.0 returned the bare value 1, not
-- {"k": 1}); composite keys named like internal columns.
CREATE TABLE k_keyed (k int PRIMARY KEY, action text);
SELECT * FROM pgfast.bulk_insert('k_keyed', '[{"k": 1, "action": "x"}, {"k": 2}]');
SELECT ord, action, key FROM pgfast.bulk_upsert_rows('k_keyed', '[{"k": 1, "action": "y"}, {"k": 3}]')
  ORDER BY ord;
CREATE TABLE two_keys ("key" text, "ord" int, v int, PRIMARY KEY ("key", "ord"));
SELECT ord, action, key FROM pgfast.bulk_upsert_rows('two_keys',
  '[{"key": "a", "ord": 1, "v": 1}, {"key": "a", "ord": 2, "v": 2}, {"key": "a", "ord": 1, "v": 3}]')
  ORDER BY ord;
SELECT * FROM two_keys ORDER BY 1, 2;
DROP TABLE "we""ird; names ü😀", k_keyed, two_keys;

-- 4. Privileges (item 10).
CREATE ROLE regress_pgfast_bulk_ins;
CREATE ROLE regress_pgfast_bulk_del;
CREATE ROLE regress_pgfast_bulk_upd;
CREATE TABLE ingest (id serial PRIMARY KEY, body text, at timestamptz DEFAULT now());
GRANT INSERT ON ingest TO regress_pgfast_bulk_ins;
GRANT USAGE ON SEQUENCE ingest_id_seq TO regress_pgfast_bulk_ins;
GRANT SELECT (id), DELETE ON ingest TO regress_pgfast_bulk_del;
GRANT SELECT, UPDATE (body) ON ingest TO regress_pgfast_bulk_upd;
-- An INSERT-only role can bulk_insert; the new key is NULL (returning it needs SELECT).
SET ROLE regress_pgfast_bulk_ins;
SELECT * FROM pgfast.bulk_insert('ingest', '[{"body": "one"}, {"body": "two"}]');
-- Upserts read the target: PostgreSQL's own 42501.
SELECT * FROM pgfast.bulk_upsert('ingest', '[{"id": 1, "body": "x"}]');
RESET ROLE;
SELECT id, body FROM ingest ORDER BY id;
-- A role with SELECT on the key and DELETE can bulk_delete (no key-order lock pass: that needs
-- UPDATE).
SET ROLE regress_pgfast_bulk_del;
SELECT pgfast.bulk_delete('ingest', '[{"id": 1}, {"id": 5}]');
RESET ROLE;
-- Column privileges: UPDATE on body only is enough for bulk_update of body.
SET ROLE regress_pgfast_bulk_upd;
SELECT * FROM pgfast.bulk_update('ingest', '[{"id": 2, "body": "TWO"}, {"id": 3, "body": "x"}]');
SELECT * FROM pgfast.bulk_update('ingest', '[{"id": 2, "at": null}]');
RESET ROLE;
SELECT id, body FROM ingest ORDER BY id;
-- Without TEMP on the database bulk_insert still works (it needs no stage); the others refuse up
-- front with 42501 naming the privilege.
DO $$ BEGIN
  EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
END $$;
SET ROLE regress_pgfast_bulk_ins;
SELECT * FROM pgfast.bulk_insert('ingest', '[{"body": "three"}]');
SELECT * FROM pgfast.bulk_upsert('ingest', '[{"id": 1, "body": "x"}]');
SELECT * FROM pgfast.bulk_upsert_rows('ingest', '[{"id": 1, "body": "x"}]');
SELECT * FROM pgfast.bulk_upsert_from('ingest', 'ingest');
SELECT * FROM pgfast.bulk_update('ingest', '[{"id": 1, "body": "x"}]');
SELECT pgfast.bulk_delete('ingest', '[{"id": 1}]');
RESET ROLE;
DO $$ BEGIN
  EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO PUBLIC', current_database());
END $$;
SELECT id, body FROM ingest ORDER BY id;
-- Tables with rules are refused up front (0A000), by every function, changing nothing.
CREATE TABLE ruled (id int PRIMARY KEY, v int);
CREATE TABLE ruled_log (id int, v int);
CREATE RULE ruled_instead AS ON INSERT TO ruled DO INSTEAD INSERT INTO ruled_log VALUES (NEW.id, NEW.v);
SELECT * FROM pgfast.bulk_insert('ruled', '[{"id": 1, "v": 1}]');
SELECT * FROM pgfast.bulk_upsert('ruled', '[{"id": 1, "v": 1}]');
SELECT * FROM pgfast.bulk_upsert_rows('ruled', '[{"id": 1, "v": 1}]');
SELECT * FROM pgfast.bulk_update('ruled', '[{"id": 1, "v": 1}]');
SELECT pgfast.bulk_delete('ruled', '[{"id": 1}]');
SELECT * FROM pgfast.bulk_upsert_from('ruled', 'dup_target');
SELECT (SELECT count(*) FROM ruled) AS ruled, (SELECT count(*) FROM ruled_log) AS logged;

DROP TABLE ingest, ruled, ruled_log, merged, checked, big_input, big_target, dup_input, dup_target;
DROP DOMAIN sec_bulk_v;
DROP SEQUENCE sec_bulk_calls;
DROP FUNCTION sec_bulk_check(int), sec_bulk_cancel_at_99();
DROP ROLE regress_pgfast_bulk_ins, regress_pgfast_bulk_del, regress_pgfast_bulk_upd;
