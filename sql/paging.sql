-- Keyset and offset pagination (DESIGN 4.2).
CREATE EXTENSION IF NOT EXISTS pgfast;
SET pgfast.cursor_secret = 'regression-secret';
CREATE TABLE docs (
  id int PRIMARY KEY,
  created_at timestamptz NOT NULL,
  score numeric,
  title text,
  category text
);
-- Ties on created_at and score, NULL scores and titles, microsecond-apart timestamps.
INSERT INTO docs
SELECT g,
       timestamptz '2024-01-01 00:00:00+00' + (g / 3) * interval '1 microsecond',
       CASE WHEN g % 5 = 0 THEN NULL ELSE (g % 4) * 1.25 END,
       CASE WHEN g % 7 = 0 THEN NULL ELSE 'title ' || (g % 6) END,
       (ARRAY['a', 'b', 'c'])[1 + g % 3]
  FROM generate_series(1, 40) g;
CREATE INDEX docs_created ON docs (created_at DESC, id);

-- Walks every page forward from the start, then every page backward from the last one, and
-- returns the ids seen each way (backward pages listed in page order, so both must equal the
-- ORDER BY result).
CREATE FUNCTION walk(rel regclass, ord text, size int, flt jsonb DEFAULT NULL, key text DEFAULT 'id',
                     OUT forward text, OUT backward text, OUT pages int)
LANGUAGE plpgsql AS $$
DECLARE
  p jsonb;
  last_page jsonb;
  ids text[] := '{}';
  back text[] := '{}';
BEGIN
  pages := 0;
  p := pgfast.page(rel, ord, size, filter => flt);
  LOOP
    pages := pages + 1;
    ids := ids || ARRAY(SELECT e ->> key FROM jsonb_array_elements(p -> 'items') e);
    last_page := p;
    EXIT WHEN NOT (p ->> 'has_next')::bool;
    p := pgfast.page(rel, ord, size, after => p ->> 'next_cursor', filter => flt);
  END LOOP;
  p := last_page;
  LOOP
    back := ARRAY(SELECT e ->> key FROM jsonb_array_elements(p -> 'items') e) || back;
    EXIT WHEN NOT (p ->> 'has_prev')::bool;
    p := pgfast.page(rel, ord, size, before => p ->> 'prev_cursor', filter => flt);
  END LOOP;
  forward := array_to_string(ids, ',');
  backward := array_to_string(back, ',');
END $$;

-- 1. The first page in primary-key order, and its shape.
SELECT jsonb_array_length(p -> 'items') AS items, p -> 'items' -> 0 AS first_item, p -> 'has_next' AS has_next,
       p -> 'has_prev' AS has_prev, p -> 'page_size' AS page_size, p ->> 'next_cursor' ~ '^[A-Za-z0-9_-]+$' AS cursor_base64url,
       p -> 'prev_cursor' AS prev_cursor
  FROM pgfast.page('docs', page_size => 3) p;
-- Default page size and key order.
SELECT jsonb_array_length(p -> 'items') AS items, p -> 'page_size' AS page_size
  FROM pgfast.page('docs') p;

-- 2. Walking forward and backward gives exactly ORDER BY order_by, pk.
SELECT w.forward = o.ids AS forward_exact, w.backward = o.ids AS backward_exact, w.pages
  FROM walk('docs', 'created_at DESC', 7) w,
       (SELECT string_agg(id::text, ',' ORDER BY created_at DESC, id) AS ids FROM docs) o;
SELECT w.forward = o.ids AS forward_exact, w.backward = o.ids AS backward_exact, w.pages
  FROM walk('docs', 'score DESC NULLS LAST, title', 4) w,
       (SELECT string_agg(id::text, ',' ORDER BY score DESC NULLS LAST, title, id) AS ids FROM docs) o;
SELECT w.forward = o.ids AS forward_exact, w.backward = o.ids AS backward_exact, w.pages
  FROM walk('docs', 'title NULLS FIRST, score ASC', 1) w,
       (SELECT string_agg(id::text, ',' ORDER BY title NULLS FIRST, score, id) AS ids FROM docs) o;
SELECT w.forward = o.ids AS forward_exact, w.backward = o.ids AS backward_exact, w.pages
  FROM walk('docs', 'category, created_at, id DESC', 40) w,
       (SELECT string_agg(id::text, ',' ORDER BY category, created_at, id DESC) AS ids FROM docs) o;

-- 3. Filters: equality, IN, NULL, converted to the column's type.
SELECT w.forward, w.backward = w.forward AS same_back
  FROM walk('docs', 'id', 2, '{"category": "a", "score": 1.25}') w;
SELECT string_agg(id::text, ',' ORDER BY id) AS expected FROM docs WHERE category = 'a' AND score = 1.25;
SELECT w.forward FROM walk('docs', 'id', 5, '{"category": ["b", "c"], "score": null}') w;
SELECT w.forward FROM walk('docs', 'id', 5, '{"category": []}') w;
SELECT (pgfast.page('docs', 'id', 2, filter => '{"created_at": "2024-01-01 00:00:00.000002+00"}') -> 'items') AS by_timestamp;

-- 4. Cursors are bound to (relation, order, filter) and authenticated.
CREATE TABLE other (id int PRIMARY KEY);
INSERT INTO other SELECT generate_series(1, 10);
CREATE TEMP TABLE cur AS SELECT pgfast.page('docs', 'created_at DESC', 5) ->> 'next_cursor' AS c;
SELECT jsonb_array_length(pgfast.page('docs', 'created_at DESC', 5, after => c) -> 'items') AS ok_items FROM cur;
SELECT pgfast.page('other', 'id', 5, after => c) FROM cur;
SELECT pgfast.page('docs', 'created_at ASC', 5, after => c) FROM cur;
SELECT pgfast.page('docs', 'created_at DESC', 5, after => c, filter => '{"category": "a"}') FROM cur;
-- Every single-character change is rejected (22023), never accepted or crashing.
DO $$
DECLARE
  c text := (SELECT c FROM cur);
  alphabet text := 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  i int;
  changed text;
  rejected int := 0;
  tried int := 0;
BEGIN
  FOR i IN 1..length(c) LOOP
    changed := overlay(c placing (CASE WHEN substr(c, i, 1) = 'A' THEN 'B' ELSE 'A' END) from i for 1);
    tried := tried + 1;
    BEGIN
      PERFORM pgfast.page('docs', 'created_at DESC', 5, after => changed);
    EXCEPTION WHEN invalid_parameter_value THEN
      rejected := rejected + 1;
    END;
  END LOOP;
  RAISE NOTICE 'single-character changes rejected: % of %', rejected = tried, tried > 40;
END $$;
SELECT pgfast.page('docs', after => 'not a cursor');
SELECT pgfast.page('docs', after => '');
SELECT pgfast.page('docs', after => repeat('A', 100000));
-- Another secret: the same cursor is no longer valid.
SET pgfast.cursor_secret = 'another-secret';
SELECT pgfast.page('docs', 'created_at DESC', 5, after => c) FROM cur;
SET pgfast.cursor_secret = 'regression-secret';

-- 5. Bad input: clear errors, nothing passed through as SQL.
SELECT pgfast.page('docs', 'lower(title)');
SELECT pgfast.page('docs', 'title; DROP TABLE docs');
SELECT pgfast.page('docs', 'nope DESC');
SELECT pgfast.page('docs', 'id, id');
SELECT pgfast.page('docs', 'id', 0);
SELECT pgfast.page('docs', 'id', 501);
SELECT pgfast.page('docs', 'id', 5, after => 'x', before => 'y');
SELECT pgfast.page('docs', filter => '[1, 2]');
SELECT pgfast.page('docs', filter => '{"category": {"a": 1}}');
SELECT pgfast.page('docs', filter => '{"nope": 1}');
SELECT pgfast.page('docs', filter => '{"id": "abc"}');
SELECT pgfast.page('docs', filter => '{"category": ["a", null]}');
CREATE TABLE nokey (a int, b text);
SELECT pgfast.page('nokey');
SELECT pgfast.page('nokey', 'a');
CREATE SEQUENCE seq;
SELECT pgfast.page('seq');
SELECT count(*) AS docs_untouched FROM docs;

-- 6. Tables with a unique NOT NULL key instead of a primary key, and views with a unique order.
CREATE TABLE ukey (code text NOT NULL UNIQUE, n int);
INSERT INTO ukey SELECT 'k' || g, g % 3 FROM generate_series(1, 9) g;
SELECT w.forward, w.backward = w.forward AS same_back FROM walk('ukey', 'n', 4, key => 'code') w;
SELECT string_agg(code, ',' ORDER BY n, code) AS expected_codes FROM ukey;
CREATE VIEW recent AS SELECT id, created_at, category FROM docs WHERE id <= 10;
SELECT w.forward FROM walk('recent', 'created_at, id', 4) w;
SELECT pgfast.page('recent');

-- 7. Permissions: SECURITY INVOKER; the cursor key and secret are not readable by ordinary roles.
CREATE ROLE pgfast_reader;
GRANT SELECT ON docs TO pgfast_reader;
SET ROLE pgfast_reader;
SELECT jsonb_array_length(pgfast.page('docs', 'id', 3) -> 'items') AS reader_items;
SELECT pgfast.page('other');
SELECT * FROM pgfast.cursor_key;
SHOW pgfast.cursor_secret;
SET pgfast.cursor_secret = 'mine';
RESET ROLE;
-- Without pgfast.cursor_secret, the per-database key signs cursors.
RESET pgfast.cursor_secret;
SELECT octet_length(key) AS key_bytes FROM pgfast.cursor_key;
SET ROLE pgfast_reader;
SELECT w.forward = (SELECT string_agg(id::text, ',' ORDER BY id) FROM docs) AS walk_with_database_key
  FROM walk('docs', 'id', 9) w;
RESET ROLE;
REVOKE ALL ON docs FROM pgfast_reader;
DROP ROLE pgfast_reader;

-- 8. offset_page: totals, pages, flags.
SELECT p - 'items' AS meta, jsonb_array_length(p -> 'items') AS items
  FROM pgfast.offset_page('docs', 'id', 1, 10) p;
SELECT p - 'items' AS meta, p -> 'items' -> 0 -> 'id' AS first_id
  FROM pgfast.offset_page('docs', 'id', 4, 10) p;
SELECT p - 'items' AS meta, jsonb_array_length(p -> 'items') AS items
  FROM pgfast.offset_page('docs', 'id', 5, 10) p;
SELECT p - 'items' AS meta, jsonb_array_length(p -> 'items') AS items
  FROM pgfast.offset_page('docs', 'id', 3, 15) p;
SELECT p - 'items' AS meta FROM pgfast.offset_page('docs', filter => '{"category": "none"}') p;
SELECT p - 'items' AS meta FROM pgfast.offset_page('docs', 'created_at DESC', 2, 7, '{"category": "b"}') p;
SELECT (SELECT array_agg((e ->> 'id')::int) FROM jsonb_array_elements(p -> 'items') e) =
       (SELECT array_agg(id) FROM (SELECT id FROM docs WHERE category = 'b' ORDER BY created_at DESC, id OFFSET 7 LIMIT 7) s) AS same_rows
  FROM pgfast.offset_page('docs', 'created_at DESC', 2, 7, '{"category": "b"}') p;
SELECT pgfast.offset_page('docs', page => 0);
SELECT pgfast.offset_page('docs', per_page => 1000);
-- count => 'exact' (the default) | 'estimated' | 'none': the same rows and exact has_next in
-- every mode; 'none' leaves total and pages null, 'estimated' takes the planner's row estimate
-- (never below what the page saw; its value depends on statistics, so only checked loosely).
SELECT c.mode, p - 'items' - 'total' - 'pages' AS meta, p -> 'total' AS total, p -> 'pages' AS pages,
       p -> 'items' = pgfast.offset_page('docs', 'id', c.page, 10) -> 'items' AS same_items
  FROM (VALUES ('none', 2), ('none', 4), ('none', 5), ('exact', 4)) c(mode, page),
       pgfast.offset_page('docs', 'id', c.page, 10, count => c.mode) p;
SELECT (p ->> 'total')::bigint >= 31 AS total_at_least_seen,
       (p ->> 'pages')::bigint = ((p ->> 'total')::bigint + 9) / 10 AS pages_from_total,
       (p ->> 'has_next')::bool AS has_next, (p ->> 'has_prev')::bool AS has_prev,
       p -> 'items' = pgfast.offset_page('docs', 'id', 3, 10) -> 'items' AS same_items
  FROM pgfast.offset_page('docs', 'id', 3, 10, count => 'estimated') p;
SELECT (p ->> 'total')::bigint >= 0 AS has_estimate, jsonb_array_length(p -> 'items') AS items,
       p ->> 'has_next' AS has_next
  FROM pgfast.offset_page('docs', 'id', 1, 7, '{"category": "none"}', count => 'estimated') p;
SELECT pgfast.offset_page('docs', count => 'exactly');
SELECT p - 'items' AS meta FROM pgfast.offset_page('docs', 'id', 1, 10, count => NULL) p;

-- 9. The page query uses the index matching order_by (Index Cond), seen through pgfast's own
--    slow-query capture of the nested query's plan.
INSERT INTO docs SELECT g, timestamptz '2024-02-01' + g * interval '1 second', g % 10, 't', 'x'
  FROM generate_series(41, 20000) g;
ANALYZE docs;
SELECT pgfast.slow_queries_reset();
SET pgfast.slow_query_track = 'all';
SET pgfast.slow_query_plan = 'json';
SET pgfast.slow_query_ms = 0;
CREATE TEMP TABLE deep AS
  SELECT pgfast.page('docs', 'created_at DESC', 10, after =>
           pgfast.page('docs', 'created_at DESC', 500) ->> 'next_cursor') AS p;
SET pgfast.slow_query_ms = -1;
RESET pgfast.slow_query_plan;
RESET pgfast.slow_query_track;
SELECT plan::json -> 'Plan' -> 'Plans' -> 0 ->> 'Node Type' AS scan,
       plan::json -> 'Plan' -> 'Plans' -> 0 ->> 'Index Name' AS index_name,
       plan::json -> 'Plan' -> 'Plans' -> 0 ->> 'Index Cond' IS NOT NULL AS has_index_cond
  FROM pgfast.slow_queries
 WHERE query LIKE 'SELECT "s"."created_at", "s"."id", pg_catalog.to_jsonb%' AND query LIKE '%"created_at" <=%'
   AND database = current_database();

DROP TABLE docs, other, nokey, ukey CASCADE;
DROP SEQUENCE seq;
DROP FUNCTION walk(regclass, text, int, jsonb, text);
