-- Bulk operations (DESIGN 4.1).
CREATE EXTENSION IF NOT EXISTS pgfast;
CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, qty int, updated_at timestamptz);

-- 1. Insert, then update only what changed; unchanged rows keep their row version.
SELECT * FROM pgfast.bulk_upsert('items',
  '[{"id": 1, "name": "one", "qty": 1}, {"id": 2, "name": "two", "qty": 2}, {"id": 3, "name": "three"}]');
CREATE TEMP TABLE before AS SELECT id, xmin::text AS version FROM items;
-- Row writes counted by the statistics system inside one transaction (pending counts carry
-- earlier statements' writes too, hence the difference).
BEGIN;
CREATE TEMP TABLE writes_before AS
  SELECT pg_stat_get_xact_tuples_updated('items'::regclass) AS updated,
         pg_stat_get_xact_tuples_inserted('items'::regclass) AS inserted;
SELECT * FROM pgfast.bulk_upsert('items',
  '[{"id": 1, "name": "one", "qty": 1}, {"id": 2, "name": "TWO", "qty": 2},
    {"id": 3, "name": "three"}, {"id": 4, "name": "four", "qty": 4}]');
SELECT pg_stat_get_xact_tuples_updated('items'::regclass) - updated AS rows_rewritten,
       pg_stat_get_xact_tuples_inserted('items'::regclass) - inserted AS rows_inserted
  FROM writes_before;
COMMIT;
SELECT i.id, i.name, i.qty, i.xmin::text = b.version AS same_version
  FROM items i LEFT JOIN before b USING (id) ORDER BY i.id;
-- update_when = always rewrites every matched row.
SELECT * FROM pgfast.bulk_upsert('items', '[{"id": 1, "name": "one", "qty": 1}]',
                                 options => '{"update_when": "always"}');
SELECT i.xmin::text = b.version AS same_version FROM items i JOIN before b USING (id) WHERE id = 1;
-- update_columns limits what is written; other input columns only fill new rows.
SELECT * FROM pgfast.bulk_upsert('items',
  '[{"id": 2, "name": "ignored", "qty": 20}, {"id": 5, "name": "five", "qty": 5}]',
  update_columns => '{qty}');
SELECT id, name, qty FROM items WHERE id IN (2, 5) ORDER BY id;
-- Empty input.
SELECT * FROM pgfast.bulk_upsert('items', '[]');

-- 2. Duplicate keys in one call.
SELECT * FROM pgfast.bulk_upsert_rows('items',
  '[{"id": 6, "name": "first"}, {"id": 7, "name": "x"}, {"id": 6, "name": "last"}, {"id": 1, "name": "one", "qty": 1}]');
SELECT name FROM items WHERE id = 6;
SELECT * FROM pgfast.bulk_upsert('items', '[{"id": 8, "name": "first"}, {"id": 8, "name": "last"}]',
                                 options => '{"on_duplicate": "first"}');
SELECT name FROM items WHERE id = 8;
SELECT * FROM pgfast.bulk_upsert('items',
  '[{"id": 9, "name": "a"}, {"id": 10, "name": "b"}, {"id": 9, "name": "c"}]',
  options => '{"on_duplicate": "error"}');
SELECT count(*) AS no_row_9 FROM items WHERE id IN (9, 10);

-- 3. Bad input: clear errors naming the column and row, the table unchanged.
CREATE TEMP TABLE snapshot AS SELECT * FROM items;
SELECT * FROM pgfast.bulk_upsert('items', '{"id": 1}');
SELECT * FROM pgfast.bulk_upsert('items', '[{"id": 1, "name": "x"}, 7]');
SELECT * FROM pgfast.bulk_upsert('items', '[{"id": 1, "name": "x"}, {"id": 2, "nmae": "typo"}]');
SELECT * FROM pgfast.bulk_upsert('items', '[{"id": 1, "name": "x"}, {"id": null, "name": "y"}]');
SELECT * FROM pgfast.bulk_upsert('items', '[{"name": "no key"}]');
SELECT * FROM pgfast.bulk_upsert('items', '[{"id": 1, "name": "x"}]', conflict_columns => '{name}');
SELECT * FROM pgfast.bulk_upsert('items', '[{"id": 1, "name": "x"}]', conflict_columns => '{nope}');
SELECT * FROM pgfast.bulk_upsert('items', '[{"id": 1, "name": "x"}]', options => '{"on_duplicate": "newest"}');
SELECT * FROM pgfast.bulk_upsert('items', '[{"id": 1, "name": "x"}]', options => '{"chunksize": 10}');
SELECT * FROM pgfast.bulk_upsert('items', '[{"id": 1, "name": null}]');
-- A 10 000-row call whose last row has a bad type changes nothing and names the row and column.
SELECT * FROM pgfast.bulk_upsert('items',
  (SELECT jsonb_agg(jsonb_build_object('id', g, 'name', 'n' || g,
                                       'qty', CASE WHEN g = 10000 THEN to_jsonb('lots'::text) ELSE to_jsonb(g) END) ORDER BY g)
     FROM generate_series(100, 10000) g));
SELECT count(*) = (SELECT count(*) FROM snapshot) AS unchanged_count,
       NOT EXISTS (SELECT * FROM items EXCEPT SELECT * FROM snapshot) AS unchanged_rows
  FROM items;
-- The DETAIL's first line names the row and the column, quoted (docs/bulk.md, "Which row
-- failed"); the conversion's own detail follows it.
CREATE TABLE odd_names (id int PRIMARY KEY, "say ""hi""" int, list int[]);
SELECT * FROM pgfast.bulk_upsert('odd_names', '[{"id": 1}, {"id": 2, "say \"hi\"": "x"}]');
SELECT * FROM pgfast.bulk_upsert('odd_names', '[{"id": 1, "list": "{1,"}]');
DROP TABLE odd_names;

-- 4. Sequences are not consumed by rows that end up as updates; identity and generated columns.
CREATE TABLE tags (id bigserial PRIMARY KEY, code text NOT NULL UNIQUE, hits int NOT NULL DEFAULT 0,
                   code_upper text GENERATED ALWAYS AS (upper(code)) STORED);
SELECT * FROM pgfast.bulk_upsert('tags', '[{"code": "a", "hits": 1}, {"code": "b", "hits": 1}]',
                                 conflict_columns => '{code}');
SELECT last_value AS seq_before FROM tags_id_seq;
SELECT * FROM pgfast.bulk_upsert('tags', '[{"code": "a", "hits": 2}, {"code": "b", "hits": 1}]',
                                 conflict_columns => '{code}');
SELECT last_value AS seq_after FROM tags_id_seq;
SELECT id, code, hits, code_upper FROM tags ORDER BY id;
SELECT * FROM pgfast.bulk_upsert('tags', '[{"code": "c", "code_upper": "X"}]', conflict_columns => '{code}');
CREATE TABLE events (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, kind text NOT NULL);
SELECT * FROM pgfast.bulk_insert('events', '[{"kind": "a"}, {"kind": "b"}, {"kind": "c"}]');
SELECT * FROM pgfast.bulk_insert('events', '[{"id": 10, "kind": "a"}]');

-- 5. bulk_insert reports each new key in input order.
SELECT * FROM pgfast.bulk_insert('tags', '[{"code": "z"}, {"code": "y"}, {"code": "x"}]');
SELECT id, code FROM tags WHERE code IN ('x', 'y', 'z') ORDER BY id;
SELECT * FROM pgfast.bulk_insert('tags', '[]');

-- 6. bulk_update: updated, unchanged, missing.
SELECT * FROM pgfast.bulk_update('items',
  '[{"id": 1, "qty": 100}, {"id": 2, "qty": 20}, {"id": 999, "qty": 1}]');
SELECT id, qty FROM items WHERE id IN (1, 2) ORDER BY id;
SELECT * FROM pgfast.bulk_update('tags', '[{"code": "a", "hits": 50}]', key_columns => '{code}');
SELECT hits FROM tags WHERE code = 'a';
-- An unchanged row is neither rewritten nor locked (its xmax stays 0: no WAL for it).
CREATE TABLE upd (id int PRIMARY KEY, v int);
INSERT INTO upd VALUES (1, 1), (2, 2);
SELECT * FROM pgfast.bulk_update('upd', '[{"id": 1, "v": 10}, {"id": 2, "v": 2}]');
SELECT id, v FROM upd ORDER BY id;
SELECT xmax::text = '0' AS not_locked FROM upd WHERE id = 2;
DROP TABLE upd;

-- 7. bulk_delete.
SELECT pgfast.bulk_delete('items', '[{"id": 6}, {"id": 7}, {"id": 12345}]');
SELECT pgfast.bulk_delete('tags', '[{"code": "x"}, {"code": "y"}]', key_columns => '{code}');
SELECT pgfast.bulk_delete('items', '[]');
SELECT count(*) AS items_left FROM items;

-- 8. bulk_upsert_from: a staging table filled any way (COPY, INSERT).
CREATE TEMP TABLE incoming (id int, name text, qty bigint);
INSERT INTO incoming VALUES (1, 'one', 1), (50, 'fifty', 50), (51, 'fifty-one', NULL);
SELECT * FROM pgfast.bulk_upsert_from('items', 'incoming');
SELECT id, name, qty FROM items WHERE id IN (1, 50, 51) ORDER BY id;
CREATE TABLE stray (id int, colour text);
SELECT * FROM pgfast.bulk_upsert_from('items', 'stray');
DROP TABLE stray;

-- 9. Composite keys, hostile identifiers (quotes, semicolons, spaces, unicode).
CREATE TABLE "we""ird; T" ("Ké y" int, "sub;key" text, "va lue" text, PRIMARY KEY ("Ké y", "sub;key"));
SELECT * FROM pgfast.bulk_upsert('"we""ird; T"',
  '[{"Ké y": 1, "sub;key": "a''b", "va lue": "x"}, {"Ké y": 1, "sub;key": "c", "va lue": "y"}]');
SELECT * FROM pgfast.bulk_upsert_rows('"we""ird; T"',
  '[{"Ké y": 1, "sub;key": "a''b", "va lue": "x2"}, {"Ké y": 2, "sub;key": "c", "va lue": "z"}]');
SELECT * FROM "we""ird; T" ORDER BY 1, 2;
SELECT pgfast.bulk_delete('"we""ird; T"', '[{"Ké y": 1, "sub;key": "c"}]');

-- 10. Partitioned tables (the key includes the partition key) and triggers (they fire).
CREATE TABLE measures (day date, sensor int, value numeric, PRIMARY KEY (day, sensor)) PARTITION BY RANGE (day);
CREATE TABLE measures_2024 PARTITION OF measures FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE measures_2025 PARTITION OF measures FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE audit (op text, n int);
CREATE FUNCTION audit_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO audit VALUES (TG_OP, 1); RETURN NEW; END $$;
CREATE TRIGGER measures_audit BEFORE INSERT OR UPDATE ON measures FOR EACH ROW EXECUTE FUNCTION audit_row();
SELECT * FROM pgfast.bulk_upsert('measures',
  '[{"day": "2024-05-01", "sensor": 1, "value": 1.5}, {"day": "2025-05-01", "sensor": 1, "value": 2.5}]');
SELECT * FROM pgfast.bulk_upsert('measures',
  '[{"day": "2024-05-01", "sensor": 1, "value": 1.5}, {"day": "2025-05-01", "sensor": 1, "value": 3.5}]');
SELECT tableoid::regclass AS partition, * FROM measures ORDER BY day;
SELECT op, count(*) FROM audit GROUP BY op ORDER BY op;

-- 10b. Large calls (>= 10,000 rows to update) update in key order through their own join instead
--      of a locking pass: a merge join when the call covers half the target (estimated over the
--      partitions), index probes when the target is much larger. Row g: day 2024-01-01 + g % 700,
--      sensor 10 + g / 700.
SELECT * FROM pgfast.bulk_upsert('measures', (SELECT jsonb_agg(jsonb_build_object(
  'day', date '2024-01-01' + g % 700, 'sensor', 10 + g / 700, 'value', g))
  FROM generate_series(0, 29999) g));
ANALYZE measures;
SELECT * FROM pgfast.bulk_upsert('measures', (SELECT jsonb_agg(jsonb_build_object(
  'day', date '2024-01-01' + g % 700, 'sensor', 10 + g / 700, 'value', g + 0.5))
  FROM generate_series(0, 19999) g));
SELECT * FROM pgfast.bulk_upsert('measures', (SELECT jsonb_agg(jsonb_build_object(
  'day', date '2024-01-01' + g % 700, 'sensor', 10 + g / 700, 'value', g + 0.5))
  FROM generate_series(20000, 30009) g));
SELECT count(*) FILTER (WHERE value = (sensor - 10) * 700 + (day - date '2024-01-01') + 0.5) AS right_value,
       count(*) AS total
FROM measures WHERE sensor >= 10;
SELECT op, count(*) FROM audit GROUP BY op ORDER BY op;

-- 11. Privileges: SECURITY INVOKER. An upsert needs UPDATE (as INSERT ... ON CONFLICT DO UPDATE
--     does); bulk_insert needs only INSERT.
CREATE ROLE pgfast_writer;
GRANT SELECT, INSERT ON items TO pgfast_writer;
SET ROLE pgfast_writer;
SELECT * FROM pgfast.bulk_upsert('items', '[{"id": 1, "name": "changed"}]');
SELECT * FROM pgfast.bulk_insert('items', '[{"id": 700, "name": "new"}]');
SELECT pgfast.bulk_delete('items', '[{"id": 700}]');
RESET ROLE;
SELECT id, name FROM items WHERE id IN (1, 700) ORDER BY id;
REVOKE ALL ON items FROM pgfast_writer;
DROP ROLE pgfast_writer;
CREATE VIEW item_names AS SELECT id, name FROM items;
SELECT * FROM pgfast.bulk_upsert('item_names', '[]');
DROP VIEW item_names;

-- 12. bulk_upsert_from reads a source whose columns have the target's types in place (no stage,
--     no separate duplicate check): one statement updates, checks keys and inserts. A repeated key
--     rolls that statement back and the staged path applies on_duplicate; sequences only advance
--     for new rows.
CREATE TABLE inplace (id bigint PRIMARY KEY, v text NOT NULL, n bigserial);
CREATE TEMPORARY TABLE inplace_src (id bigint, v text);
INSERT INTO inplace_src SELECT g, 'a' || g FROM generate_series(1, 12000) g ORDER BY md5(g::text);
SELECT pgfast.slow_queries_reset();
SET pgfast.slow_query_ms = 0;
SET pgfast.slow_query_track = 'all';
SELECT * FROM pgfast.bulk_upsert_from('inplace', 'inplace_src');
SELECT * FROM pgfast.bulk_upsert_from('inplace', 'inplace_src');
UPDATE inplace_src SET v = 'b' || id WHERE id % 3 = 0;
INSERT INTO inplace_src SELECT g, 'c' || g FROM generate_series(12001, 12500) g;
SELECT * FROM pgfast.bulk_upsert_from('inplace', 'inplace_src');
SELECT * FROM pgfast.bulk_upsert_from('inplace', 'inplace_src', options => '{"update_when": "always"}');
SET pgfast.slow_query_ms = -1;
RESET pgfast.slow_query_track;
SELECT count(*) FILTER (WHERE query LIKE '%pgfast\_stage\_%') AS staged_statements,
       count(*) FILTER (WHERE query LIKE 'INSERT INTO "public"."inplace" AS "t"%') AS in_place_inserts,
       count(*) FILTER (WHERE query LIKE 'WITH "u" AS (UPDATE%') AS in_place_upserts
FROM pgfast.slow_queries WHERE nesting_level > 0;
SELECT last_value AS sequence_after_12500_new_rows FROM inplace_n_seq;
SELECT count(*) AS total, count(*) FILTER (WHERE v = CASE WHEN id > 12000 THEN 'c' WHEN id % 3 = 0
  THEN 'b' ELSE 'a' END || id) AS right_value FROM inplace;
-- A key twice among existing rows and twice among new rows: the staged path decides.
INSERT INTO inplace_src VALUES (5, 'first 5'), (12501, 'first 12501');
INSERT INTO inplace_src VALUES (5, 'last 5'), (12501, 'last 12501');
SELECT * FROM pgfast.bulk_upsert_from('inplace', 'inplace_src', options => '{"on_duplicate": "error"}');
SELECT * FROM pgfast.bulk_upsert_from('inplace', 'inplace_src', options => '{"on_duplicate": "first"}');
SELECT * FROM pgfast.bulk_upsert_from('inplace', 'inplace_src');
SELECT id, v FROM inplace WHERE id IN (5, 12501) ORDER BY id;
SELECT last_value AS sequence_after_12501_new_rows FROM inplace_n_seq;
-- A source of other types is staged (cast as INSERT would), with the same outcome.
CREATE TEMPORARY TABLE inplace_src2 (id integer, v varchar(20));
INSERT INTO inplace_src2 SELECT g, 'd' || g FROM generate_series(1, 12000) g;
SELECT * FROM pgfast.bulk_upsert_from('inplace', 'inplace_src2');
SELECT count(*) FILTER (WHERE v = 'd' || id) AS right_value FROM inplace;
DROP TABLE inplace, inplace_src, inplace_src2;
-- Columns named like the in-place statement's aliases and internal names.
CREATE TABLE inplace_names (id bigint PRIMARY KEY, "ord" text NOT NULL, "s" text, "w" int, "n" int,
  "c" int, "t" int);
CREATE TEMPORARY TABLE inplace_names_src (LIKE inplace_names);
INSERT INTO inplace_names_src SELECT g, 'o' || g, 's' || g, g, g, g, g FROM generate_series(1, 12000) g;
SELECT * FROM pgfast.bulk_upsert_from('inplace_names', 'inplace_names_src');
UPDATE inplace_names_src SET "ord" = 'p' || id, "n" = -id WHERE id % 2 = 0;
SELECT * FROM pgfast.bulk_upsert_from('inplace_names', 'inplace_names_src');
SELECT * FROM pgfast.bulk_upsert_from('inplace_names', 'inplace_names_src');
SELECT count(*) FILTER (WHERE "ord" = CASE WHEN id % 2 = 0 THEN 'p' ELSE 'o' END || id
  AND "n" = CASE WHEN id % 2 = 0 THEN -id ELSE id END AND "s" = 's' || id) AS right_value FROM inplace_names;
DROP TABLE inplace_names, inplace_names_src;

DROP TABLE items, tags, events, "we""ird; T", measures, audit;
DROP FUNCTION audit_row();
