-- Pagination and full-text search attacked by an unprivileged role (issue #15 items 5, 9, 12, 13):
-- filter complexity against plain SQL, bounds, internal aliases against user column names and
-- hostile identifiers, HTML-safe headlines, and cancels that stay cancels.
CREATE EXTENSION IF NOT EXISTS pgfast;
CREATE ROLE regress_pgfast_paging_attacker LOGIN;
CREATE SCHEMA sec_paging;
GRANT USAGE ON SCHEMA sec_paging TO regress_pgfast_paging_attacker;

-- Helpers (owned by the superuser, run as the caller). err() shows SQLSTATE and message of a
-- statement that must fail; best_time() is the best of five runs of a statement in seconds.
CREATE FUNCTION sec_paging.err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
CREATE FUNCTION sec_paging.best_time(q text, j jsonb, a int[]) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
  t0 timestamptz;
  best float8 := 'infinity';
BEGIN
  FOR i IN 1..5 LOOP
    t0 := clock_timestamp();
    EXECUTE q USING j, a;
    best := least(best, extract(epoch FROM clock_timestamp() - t0));
  END LOOP;
  RETURN best;
END $$;

-- 1. Complexity: 12,000 filter values cost a small factor of the same query in plain SQL, below
-- 25 (about 1.5-3.6 measured; the old decoder re-serialized the whole array per element: about
-- 5,000 times plain SQL). The bound leaves room for a loaded machine.
CREATE TABLE sec_paging.big (id int PRIMARY KEY, grp int NOT NULL, label text NOT NULL,
                             at timestamptz NOT NULL);
INSERT INTO sec_paging.big
SELECT g, g % 1000, 'label ' || g, timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second'
  FROM generate_series(1, 50000) g;
ANALYZE sec_paging.big;
GRANT SELECT ON sec_paging.big TO regress_pgfast_paging_attacker;
SET pgfast.cursor_secret = 'security-paging-secret';
SET ROLE regress_pgfast_paging_attacker;
CREATE TEMP TABLE vals AS
SELECT (SELECT jsonb_agg(g * 4) FROM generate_series(1, 12000) g) AS j,
       (SELECT array_agg(g * 4) FROM generate_series(1, 12000) g) AS a;
-- Same rows as plain SQL.
SELECT (SELECT array_agg((e ->> 'id')::int) FROM jsonb_array_elements(
          pgfast.page('sec_paging.big', 'id', 50, filter => jsonb_build_object('id', j)) -> 'items') e)
       = (SELECT array_agg(id) FROM (SELECT id FROM sec_paging.big WHERE id = ANY (a)
                                     ORDER BY id LIMIT 50) s) AS page_matches_plain,
       (pgfast.offset_page('sec_paging.big', 'id', 3, 50, jsonb_build_object('id', j)) ->> 'total')::int
       = (SELECT count(*) FROM sec_paging.big WHERE id = ANY (a)) AS offset_total_matches_plain
  FROM vals;
SELECT sec_paging.best_time('SELECT pgfast.page(''sec_paging.big'', ''id'', 50,
                               filter => jsonb_build_object(''id'', $1))', j, a)
       / sec_paging.best_time('SELECT jsonb_agg(to_jsonb(s.*)) FROM (SELECT * FROM sec_paging.big s
                               WHERE id = ANY ($2) ORDER BY id LIMIT 51) s', j, a) < 25
         AS page_within_25x,
       sec_paging.best_time('SELECT pgfast.page(''sec_paging.big'', ''label DESC'', 50,
                               filter => jsonb_build_object(''label'', $1))', j, a)
       / sec_paging.best_time('SELECT jsonb_agg(to_jsonb(s.*)) FROM (SELECT * FROM sec_paging.big s
                               WHERE label = ANY ($2::text[])
                               ORDER BY label DESC, id LIMIT 51) s', j, a) < 25
         AS page_text_within_25x,
       sec_paging.best_time('SELECT pgfast.offset_page(''sec_paging.big'', ''id'', 3, 50,
                               jsonb_build_object(''grp'', $1))', j, a)
       / sec_paging.best_time('SELECT (SELECT count(*) FROM sec_paging.big s WHERE grp = ANY ($2)),
                               (SELECT jsonb_agg(to_jsonb(s.*)) FROM (SELECT * FROM sec_paging.big s
                               WHERE grp = ANY ($2) ORDER BY id LIMIT 50 OFFSET 100) s)', j, a) < 25
         AS offset_page_within_25x
  FROM vals;
-- Typed arrays of every kind: timestamptz (an input function that is only stable), a domain,
-- an array column (compared element by element), an empty list, mixed with scalars.
SELECT jsonb_array_length(pgfast.page('sec_paging.big', 'at DESC', 5, filter =>
         '{"at": ["2024-01-01 00:00:07+00", "2024-01-01 00:00:09+00", "2024-01-01 01:00:00+00"],
           "grp": [7, 9, 600]}') -> 'items') AS typed_hits,
       pgfast.page('sec_paging.big', 'id', 5, filter => '{"id": [], "grp": 1}') -> 'items' AS empty_list;
RESET ROLE;
CREATE DOMAIN sec_paging.small AS int CHECK (VALUE < 100);
CREATE TABLE sec_paging.kinds (id sec_paging.small PRIMARY KEY, tags int[], note varchar(3));
INSERT INTO sec_paging.kinds VALUES (1, '{1,2}', 'a'), (2, '{3}', 'b'), (3, NULL, 'c');
GRANT SELECT ON sec_paging.kinds TO regress_pgfast_paging_attacker;
SET ROLE regress_pgfast_paging_attacker;
SELECT pgfast.page('sec_paging.kinds', NULL, 5, filter => '{"id": [1, 2, 3], "tags": ["{1,2}", "{3}"]}') -> 'items' AS kinds;
SELECT pgfast.offset_page('sec_paging.kinds', 'note', 1, 5, '{"note": ["a", "c"]}') -> 'items' AS notes;
SELECT sec_paging.err($$SELECT pgfast.page('sec_paging.kinds', NULL, 5, filter => '{"id": [1, 200]}')$$) AS domain_violation;
SELECT sec_paging.err($$SELECT pgfast.page('sec_paging.kinds', NULL, 5, filter => '{"id": [1, "x"]}')$$) AS bad_value;
SELECT sec_paging.err($$SELECT pgfast.page('sec_paging.kinds', NULL, 5, filter => '{"id": [1, [2]]}')$$) AS nested_array;
-- An array is cast as text[]::varchar(3)[] casts (explicitly: too long a value is cut, not an
-- error), and a filter that is a JSON scalar is named as one.
SELECT pgfast.offset_page('sec_paging.kinds', 'note', 1, 5, '{"note": ["a", "bxyz", true, 1.50]}') -> 'items' AS cut_notes;
SELECT sec_paging.err($$SELECT pgfast.page('sec_paging.kinds', NULL, 5, filter => '7')$$) AS scalar_filter;

-- 2. Bounds: clear errors, before any real work.
SELECT sec_paging.err($$SELECT pgfast.page('sec_paging.big', 'id', 5, filter =>
         jsonb_build_object('id', (SELECT jsonb_agg(g) FROM generate_series(1, 100001) g)))$$) AS too_many_values;
SELECT sec_paging.err($$SELECT pgfast.offset_page('sec_paging.big', 'id', 1, 5,
         jsonb_build_object('id', (SELECT jsonb_agg(g) FROM generate_series(1, 60000) g),
                            'grp', (SELECT jsonb_agg(g) FROM generate_series(1, 40001) g)))$$) AS too_many_values_in_all;
SELECT sec_paging.err($$SELECT pgfast.page('sec_paging.big', 'id', 5, filter =>
         (SELECT jsonb_object_agg('c' || g, g) FROM generate_series(1, 101) g))$$) AS too_many_keys;
SELECT sec_paging.err('SET pgfast.filter_values_max = 1000000') AS raise_own_limit;
SELECT sec_paging.err(format('SELECT pgfast.page(%L, %L)', 'sec_paging.big',
         (SELECT string_agg('c' || g, ', ') FROM generate_series(1, 33) g))) AS order_by_columns;
SELECT sec_paging.err(format('SELECT pgfast.page(%L, %L)', 'sec_paging.big', 'id' || repeat(' ', 9000))) AS order_by_bytes;
SELECT sec_paging.err(format('SELECT pgfast.page(%L, %L, 5, after => %L)', 'sec_paging.big', 'id', repeat('A', 70000))) AS cursor_length;
SELECT sec_paging.err('SELECT pgfast.page(''sec_paging.big'', ''id'', 100000)') AS page_size;
SELECT sec_paging.err(format('SELECT pgfast.fts_search(%L, %L)', 'sec_paging.big', repeat('fox ', 5000))) AS fts_query_length;
RESET ROLE;

-- 3. Names: columns named like every internal alias and word of pgfast's SQL and JSON, hostile
-- table and column names; the primary key is "__pgfast_n" (which broke fts_search).
CREATE TABLE sec_paging."odd ""table""; DROP TABLE sec_paging.big; --" (
  "__pgfast_n" int PRIMARY KEY,
  "__pgfast_rank" real,
  rank int, n int, k1 text, s int, t int, h int, q int, p int, r int, u int, v int, f int, e int,
  "row" text, items text, headline text, total int, "ord" int, "key" text, "value" text,
  "Ünï ☃" text, "a""b" text, "/* c */" text, "x; DROP TABLE y; --" text, "select" text
);
INSERT INTO sec_paging."odd ""table""; DROP TABLE sec_paging.big; --"
SELECT g, g / 3, g % 4, g, 'k' || g, g, g, g, g, g, g, g, g, g, g,
       CASE WHEN g % 2 = 0 THEN 'the quick fox' ELSE 'a lazy dog' END, 'items', 'headline ' || g,
       g, g, 'key', 'value', 'ü' || (g % 3), 'ab', 'comment', 'semi', 'sel'
  FROM generate_series(1, 30) g;
SELECT pgfast.fts_index('sec_paging."odd ""table""; DROP TABLE sec_paging.big; --"', '{row, headline}', 'simple') IS NOT NULL AS indexed;
GRANT SELECT ON sec_paging."odd ""table""; DROP TABLE sec_paging.big; --" TO regress_pgfast_paging_attacker;
-- Multi-column key named like the fts subquery's own columns.
CREATE TABLE sec_paging.keyed (rank int, k1 int, n int, body text, PRIMARY KEY (rank, k1));
INSERT INTO sec_paging.keyed SELECT g % 3, g, g, 'fox number ' || g FROM generate_series(1, 9) g;
SELECT pgfast.fts_index('sec_paging.keyed', '{body}', 'simple') IS NOT NULL AS indexed;
GRANT SELECT ON sec_paging.keyed TO regress_pgfast_paging_attacker;
SET ROLE regress_pgfast_paging_attacker;
-- Keyset walk: every page forward and backward in a hostile order with a hostile filter.
CREATE FUNCTION pg_temp.walk(rel regclass, ord text, flt jsonb) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  p jsonb := pgfast.page(rel, ord, 4, filter => flt);
  seen text[] := '{}';
BEGIN
  LOOP
    seen := seen || ARRAY(SELECT x ->> '__pgfast_n' FROM jsonb_array_elements(p -> 'items') x);
    EXIT WHEN NOT (p ->> 'has_next')::bool;
    p := pgfast.page(rel, ord, 4, after => p ->> 'next_cursor', filter => flt);
  END LOOP;
  seen := seen || '{|}';
  LOOP
    EXIT WHEN NOT (p ->> 'has_prev')::bool;
    p := pgfast.page(rel, ord, 4, before => p ->> 'prev_cursor', filter => flt);
    seen := seen || ARRAY(SELECT x ->> '__pgfast_n' FROM jsonb_array_elements(p -> 'items') x);
  END LOOP;
  RETURN array_to_string(seen, ',');
END $$;
SELECT pg_temp.walk('sec_paging."odd ""table""; DROP TABLE sec_paging.big; --"',
                    '"__pgfast_rank" DESC, "Ünï ☃", "a""b", "/* c */" NULLS FIRST, s',
                    '{"Ünï ☃": ["ü1", "ü2"], "x; DROP TABLE y; --": "semi", "s": [1, 2, 4, 5, 7, 8, 10, 11, 13, 14],
                      "key": ["key"], "value": "value", "row": ["the quick fox", "a lazy dog"], "ord": [1, 2, 4, 5, 7, 8, 10, 11, 13, 14]}') AS walk;
SELECT x ->> '__pgfast_n' AS id, x ->> 'Ünï ☃' AS unicode, x ->> 'x; DROP TABLE y; --' AS semi
  FROM jsonb_array_elements(pgfast.offset_page('sec_paging."odd ""table""; DROP TABLE sec_paging.big; --"',
         'rank, "select", n DESC', 2, 3, '{"e": [1, 2, 3, 4, 5, 6, 7, 8], "t": [2, 3, 4, 5, 6, 7, 8], "total": [4, 5, 6, 7, 8]}') -> 'items') x;
SELECT pgfast.offset_page('sec_paging."odd ""table""; DROP TABLE sec_paging.big; --"', 'rank, "select", n DESC', 2, 3,
         '{"e": [1, 2, 3, 4, 5, 6, 7, 8], "t": [2, 3, 4, 5, 6, 7, 8], "total": [4, 5, 6, 7, 8]}') - 'items' AS totals;
-- fts_search walked by cursor: every hit once, rows intact, in (rank DESC, key) order.
CREATE FUNCTION pg_temp.search_walk(rel regclass, query text, key text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  p jsonb := pgfast.fts_search(rel, query, 2);
  seen text[] := '{}';
BEGIN
  LOOP
    seen := seen || ARRAY(SELECT x -> 'row' ->> key FROM jsonb_array_elements(p -> 'items') x);
    EXIT WHEN NOT (p ->> 'has_next')::bool;
    p := pgfast.fts_search(rel, query, 2, p ->> 'next_cursor');
  END LOOP;
  RETURN array_to_string(seen, ',');
END $$;
SELECT pg_temp.search_walk('sec_paging."odd ""table""; DROP TABLE sec_paging.big; --"', 'fox', '__pgfast_n') AS fts_walk;
SELECT x ->> 'headline' AS headline, x -> 'row' ->> 'rank' AS row_rank, x -> 'row' ->> 'headline' AS row_headline,
       x -> 'row' ->> '__pgfast_rank' AS row_internal_rank, jsonb_typeof(x -> 'rank') AS rank_type
  FROM jsonb_array_elements(pgfast.fts_search('sec_paging."odd ""table""; DROP TABLE sec_paging.big; --"', 'quick', 2) -> 'items') x;
SELECT pg_temp.search_walk('sec_paging.keyed', 'fox', 'k1') AS keyed_walk;
SELECT x -> 'row' AS keyed_row, x ->> 'headline' AS headline
  FROM jsonb_array_elements(pgfast.fts_search('sec_paging.keyed', 'number 7', 1) -> 'items') x;
SELECT count(*) AS big_still_there FROM sec_paging.big;
RESET ROLE;

-- 4. Headlines are HTML-safe by default: the document's markup, entities, quotes and the marker
-- characters themselves come back escaped; the only tags are pgfast's <b> and </b>.
CREATE TABLE sec_paging.pages (id int PRIMARY KEY, title text, body text);
INSERT INTO sec_paging.pages VALUES
  (1, 'xss', '<img src=x onerror=alert(1)> the quick fox <script>alert("fox")</script> &amp; ''single'' "double"'),
  (2, 'markers', 'sneaky ' || chr(1) || 'fox' || chr(2) || ' </b><b> tags <b onclick=x>fox</b>');
SELECT pgfast.fts_index('sec_paging.pages', '{title, body}', 'simple') IS NOT NULL AS indexed;
GRANT SELECT ON sec_paging.pages TO regress_pgfast_paging_attacker;
SET ROLE regress_pgfast_paging_attacker;
SELECT x -> 'row' ->> 'id' AS id, x ->> 'headline' AS headline,
       regexp_replace(x ->> 'headline', '</?b>', '', 'g') !~ ('[<>"''' || chr(1) || chr(2) || ']') AS only_pgfast_tags
  FROM jsonb_array_elements(pgfast.fts_search('sec_paging.pages', 'fox') -> 'items') x
 ORDER BY 1;
-- The caller's own StartSel/StopSel cannot bring markup back in the default mode.
SELECT x ->> 'headline' AS headline
  FROM jsonb_array_elements(pgfast.fts_search('sec_paging.pages', 'quick', 5, NULL,
         '{"headline_options": "StartSel=<script>, StopSel=</script>, MaxWords=8, MinWords=3"}') -> 'items') x;
SELECT sec_paging.err(format('SELECT pgfast.fts_search(%L, %L, 5, NULL, %L)', 'sec_paging.pages', 'fox',
         jsonb_build_object('headline_options', 'FragmentDelimiter=' || chr(1)))) AS marker_in_options;
SELECT sec_paging.err($$SELECT pgfast.fts_search('sec_paging.pages', 'fox', 5, NULL, '{"headline": "htm"}')$$) AS bad_mode;
-- "raw" returns ts_headline's own output, as 0.1.0 did; "row" is the data as stored (JSON, not HTML).
SELECT x ->> 'headline' AS raw_headline, x -> 'row' ->> 'body' AS row_body
  FROM jsonb_array_elements(pgfast.fts_search('sec_paging.pages', 'quick', 5, NULL, '{"headline": "raw"}') -> 'items') x;
SELECT x -> 'headline' AS no_headline
  FROM jsonb_array_elements(pgfast.fts_search('sec_paging.pages', 'quick', 5, NULL, '{"headline": false}') -> 'items') x;
RESET ROLE;

-- 5. Cancels stay cancels (57014), inside page with a 12,000-value filter and inside fts_search;
-- the session is usable afterwards. The work is made slow by the data, not by sleeping: a view
-- that pairs every row of big with every other, and a row-level security policy that costs
-- a million-row count per row.
CREATE VIEW sec_paging.pairs AS
SELECT a.id::bigint * 100000 + b.id AS id, a.grp FROM sec_paging.big a CROSS JOIN sec_paging.big b;
GRANT SELECT ON sec_paging.pairs TO regress_pgfast_paging_attacker;
CREATE FUNCTION sec_paging.costly(int) RETURNS bool LANGUAGE sql STABLE
  AS 'SELECT count(*) > 0 FROM generate_series(1, 1000000 + $1)';
CREATE TABLE sec_paging.guarded (id int PRIMARY KEY, body text);
INSERT INTO sec_paging.guarded SELECT g, 'fox ' || g FROM generate_series(1, 500) g;
SELECT pgfast.fts_index('sec_paging.guarded', '{body}', 'simple') IS NOT NULL AS indexed;
ALTER TABLE sec_paging.guarded ENABLE ROW LEVEL SECURITY;
CREATE POLICY costly ON sec_paging.guarded USING (sec_paging.costly(id));
GRANT SELECT ON sec_paging.guarded TO regress_pgfast_paging_attacker;
SET ROLE regress_pgfast_paging_attacker;
\set VERBOSITY sqlstate
SET statement_timeout = '300ms';
SELECT pgfast.page('sec_paging.pairs', 'id', 5, filter => jsonb_build_object('grp', j)) FROM vals;
SELECT pgfast.offset_page('sec_paging.pairs', 'id', 1, 5, jsonb_build_object('grp', j)) FROM vals;
SELECT pgfast.fts_search('sec_paging.guarded', 'fox');
RESET statement_timeout;
\set VERBOSITY default
SELECT jsonb_array_length(pgfast.page('sec_paging.big', 'id', 3) -> 'items') AS usable_after_cancel;
-- 6. Cursors are signed, not encrypted, unless pgfast.cursor_encryption (superuser-set) is on:
-- then new cursors are AES-256-GCM and do not show the sort values; both forms stay valid.
RESET ROLE;
CREATE TABLE sec_paging.staff (id int PRIMARY KEY, salary text NOT NULL);
INSERT INTO sec_paging.staff SELECT g, 'salary-' || (100000 + g * 7) FROM generate_series(1, 10) g;
GRANT SELECT ON sec_paging.staff TO regress_pgfast_paging_attacker;
CREATE FUNCTION sec_paging.cursor_bytes(c text) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
  SELECT decode(translate(c, '-_', '+/') || repeat('=', (4 - length(c) % 4) % 4), 'base64') $$;
SET ROLE regress_pgfast_paging_attacker;
SELECT sec_paging.err('SET pgfast.cursor_encryption = on') AS set_encryption;
CREATE TEMP TABLE cursors AS
SELECT pgfast.page('sec_paging.staff', 'salary', 3) ->> 'next_cursor' AS signed;
RESET ROLE;
SET pgfast.cursor_encryption = on;
SET ROLE regress_pgfast_paging_attacker;
ALTER TABLE cursors ADD COLUMN encrypted text;
UPDATE cursors SET encrypted = pgfast.page('sec_paging.staff', 'salary', 3) ->> 'next_cursor';
SELECT position('salary-100021'::bytea IN sec_paging.cursor_bytes(signed)) > 0 AS signed_shows_value,
       position('salary-100021'::bytea IN sec_paging.cursor_bytes(encrypted)) = 0 AS encrypted_hides_value,
       get_byte(sec_paging.cursor_bytes(encrypted), 0) AS encrypted_version
  FROM cursors;
-- Both forms lead to the same next page, with encryption on and off.
SELECT pgfast.page('sec_paging.staff', 'salary', 3, after => signed) -> 'items' =
       pgfast.page('sec_paging.staff', 'salary', 3, after => encrypted) -> 'items' AS same_page_on,
       pgfast.page('sec_paging.staff', 'salary', 3, after => encrypted) -> 'items' -> 0 ->> 'id' AS next_id
  FROM cursors;
SELECT sec_paging.err(format('SELECT pgfast.page(%L, %L, 3, after => %L)', 'sec_paging.staff', 'salary DESC', encrypted)) AS other_order,
       sec_paging.err(format('SELECT pgfast.page(%L, %L, 3, after => %L)', 'sec_paging.staff', 'salary',
                             overlay(encrypted placing (CASE WHEN substr(encrypted, 20, 1) = 'A' THEN 'B' ELSE 'A' END) from 20 for 1))) AS tampered
  FROM cursors;
SELECT pg_temp.search_walk('sec_paging.keyed', 'fox', 'k1') AS encrypted_fts_walk;
RESET ROLE;
RESET pgfast.cursor_encryption;
SET ROLE regress_pgfast_paging_attacker;
SELECT pgfast.page('sec_paging.staff', 'salary', 3, after => encrypted) -> 'items' =
       pgfast.page('sec_paging.staff', 'salary', 3, after => signed) -> 'items' AS same_page_off
  FROM cursors;
DROP TABLE cursors;

DROP TABLE vals;
DROP FUNCTION pg_temp.walk(regclass, text, jsonb), pg_temp.search_walk(regclass, text, text);
RESET ROLE;

SET client_min_messages = warning;
DROP SCHEMA sec_paging CASCADE;
RESET client_min_messages;
DROP ROLE regress_pgfast_paging_attacker;
RESET pgfast.cursor_secret;
