-- Cache invalidation from the database (DESIGN 4.5): pgfast.notify_changes / stop_notify_changes.
-- The listener is a second session (dblink), so the output shows the channel and payload of each
-- notification without the notifying backend's PID, which psql's own LISTEN display prints.
SET client_min_messages = warning;  -- whether the extensions exist already or not
CREATE EXTENSION IF NOT EXISTS pgfast;
CREATE EXTENSION IF NOT EXISTS dblink;
RESET client_min_messages;
-- The second session reaches the server the way this one did: psql's own host (a TCP host or a
-- Unix-socket directory) and port, and PGPASSWORD when the suite runs with one (a password server,
-- pg_virtualenv). Values are quoted for a connection string.
\set pgfast_password ''
\getenv pgfast_password PGPASSWORD
CREATE FUNCTION pg_temp.conninfo(host text, port text, role name, password text) RETURNS text
LANGUAGE sql AS $$
  SELECT string_agg(k || '=''' || replace(replace(v, '\', '\\'), '''', '\''') || '''', ' ')
    FROM (VALUES ('host', host), ('port', port), ('dbname', current_database()),
                 ('user', role::text), ('password', NULLIF(password, ''))) AS c(k, v)
   WHERE v IS NOT NULL
$$;
SELECT dblink_connect('listener', pg_temp.conninfo(:'HOST', :'PORT', current_user,
                                                  :'pgfast_password'));
SELECT dblink_exec('listener', 'LISTEN pgfast_changes');
SELECT dblink_exec('listener', 'LISTEN other_channel');
-- What the listener has received once the server delivered everything committed so far (a round
-- trip on the listener's connection flushes notifications sent before it).
CREATE FUNCTION received() RETURNS TABLE(channel text, payload text) LANGUAGE sql AS $$
  SELECT count(*) FROM dblink('listener', 'SELECT 1') AS t(x int);
  SELECT notify_name, extra FROM dblink_get_notify('listener');
$$;

CREATE TABLE items (id int PRIMARY KEY, name text);
SELECT pgfast.notify_changes('items');
SELECT tgname FROM pg_trigger WHERE tgrelid = 'items'::regclass ORDER BY tgname;

-- 1. Each statement: one message after commit, with the changed keys.
INSERT INTO items VALUES (1, 'one'), (2, 'two');
SELECT * FROM received();
UPDATE items SET name = 'uno' WHERE id = 1;
SELECT * FROM received();
DELETE FROM items WHERE id = 2;
SELECT * FROM received();
-- A statement that changes nothing sends nothing.
UPDATE items SET name = 'x' WHERE id = 999;
SELECT * FROM received();
-- A key change invalidates the old and the new key.
UPDATE items SET id = 10 WHERE id = 1;
SELECT * FROM received();

-- 2. Nothing before commit; nothing at all after rollback.
BEGIN;
INSERT INTO items VALUES (3, 'three');
SELECT * FROM received();
COMMIT;
SELECT * FROM received();
BEGIN;
UPDATE items SET name = 'rolled back' WHERE id = 3;
DELETE FROM items;
ROLLBACK;
SELECT * FROM received();

-- 3. TRUNCATE and statements over max_keys invalidate the whole table.
TRUNCATE items;
SELECT * FROM received();
SELECT pgfast.notify_changes('items', max_keys => 3);
INSERT INTO items SELECT g, 'row ' || g FROM generate_series(1, 3) g;
INSERT INTO items SELECT g, 'row ' || g FROM generate_series(4, 7) g;
SELECT * FROM received();

-- 4. Batching: every payload stays under 8000 bytes and together they name every key once.
SELECT pgfast.notify_changes('items', max_keys => 100000);
UPDATE items SET name = name || '!';
INSERT INTO items SELECT g, 'row ' || g FROM generate_series(8, 3000) g;
CREATE TEMP TABLE batch AS SELECT payload, payload::jsonb AS p FROM received();
SELECT p->>'op' AS op, count(*) AS messages, max(octet_length(payload)) < 8000 AS under_limit,
       max(octet_length(payload)) > 7000 AS filled
  FROM batch GROUP BY 1 ORDER BY 1;
SELECT p->>'op' AS op, count(DISTINCT k) AS keys, count(*) AS listed,
       min((k->>'id')::int) AS min_id, max((k->>'id')::int) AS max_id
  FROM batch, jsonb_array_elements(p->'keys') k GROUP BY 1 ORDER BY 1;
-- Keys long enough that a message holds only a few.
CREATE TABLE long_keys (k text PRIMARY KEY);
SELECT pgfast.notify_changes('long_keys');
INSERT INTO long_keys SELECT repeat(chr(65 + g % 26), 3000) || g FROM generate_series(1, 10) g;
SELECT count(*) AS messages, max(octet_length(payload)) < 8000 AS under_limit,
       sum(jsonb_array_length(payload::jsonb->'keys')) AS keys
  FROM received();
-- A single key that cannot fit in one message: the whole table.
INSERT INTO long_keys VALUES (repeat('x', 8000));
SELECT * FROM received();

-- 5. Quoted and mixed-case names, a composite key, text keys with quotes, another channel.
CREATE SCHEMA "My Schema";
CREATE TABLE "My Schema"."Order Lines" ("Order" int, line text, qty int,
                                        PRIMARY KEY ("Order", line));
SELECT pgfast.notify_changes('"My Schema"."Order Lines"', 'other_channel');
INSERT INTO "My Schema"."Order Lines" VALUES (1, 'say "hi"', 1), (1, 'ünï', 2);
DELETE FROM "My Schema"."Order Lines" WHERE line = 'ünï';
SELECT * FROM received();

-- 6. Idempotent: calling again replaces the triggers (here: a new channel); stopping twice is fine.
SELECT pgfast.notify_changes('items', 'other_channel');
SELECT pgfast.notify_changes('items', 'other_channel');
SELECT count(*) AS triggers FROM pg_trigger WHERE tgrelid = 'items'::regclass;
DELETE FROM items WHERE id = 3000;
SELECT * FROM received();
SELECT pgfast.stop_notify_changes('items');
SELECT pgfast.stop_notify_changes('items');
SELECT count(*) AS triggers FROM pg_trigger WHERE tgrelid = 'items'::regclass;
DELETE FROM items WHERE id = 2999;
SELECT * FROM received();

-- 7. Bad input: clear errors, nothing installed.
\set VERBOSITY default
CREATE TABLE no_pk (a int);
SELECT pgfast.notify_changes('no_pk');
CREATE VIEW items_view AS SELECT * FROM items;
SELECT pgfast.notify_changes('items_view');
SELECT pgfast.notify_changes('missing_table');
SELECT pgfast.notify_changes('items', '');
SELECT pgfast.notify_changes('items', repeat('c', 64));
SELECT pgfast.notify_changes('items', max_keys => 0);
SELECT pgfast.notify_changes(NULL);
SELECT count(*) AS triggers FROM pg_trigger WHERE tgrelid IN ('items'::regclass, 'no_pk'::regclass);
-- A key dropped after installing: whole-table messages, never a failing write.
CREATE TABLE dropped_key (id int PRIMARY KEY);
SELECT pgfast.notify_changes('dropped_key');
ALTER TABLE dropped_key DROP CONSTRAINT dropped_key_pkey;
INSERT INTO dropped_key VALUES (1);
SELECT * FROM received();

-- 8. Key types (domain over int, numeric, bool, uuid), a renamed key column, a partitioned table,
-- and another trigger reading the same transition table.
CREATE DOMAIN positive_int AS int CHECK (VALUE > 0);
CREATE TABLE typed (a positive_int, b numeric, c bool, d uuid, PRIMARY KEY (a, b, c, d));
SELECT pgfast.notify_changes('typed');
INSERT INTO typed VALUES (1, 2.50, true, '00000000-0000-0000-0000-000000000001');
ALTER TABLE typed RENAME COLUMN a TO renamed;
DELETE FROM typed;
SELECT * FROM received();
CREATE TABLE parted (id int PRIMARY KEY, v text) PARTITION BY RANGE (id);
CREATE TABLE parted_1 PARTITION OF parted FOR VALUES FROM (0) TO (100);
CREATE TABLE parted_2 PARTITION OF parted FOR VALUES FROM (100) TO (200);
SELECT pgfast.notify_changes('parted');
CREATE TABLE seen_by_other (n bigint);
CREATE FUNCTION count_new_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO seen_by_other SELECT count(*) FROM pgfast_new_rows; RETURN NULL; END $$;
CREATE TRIGGER zz_other AFTER INSERT ON parted REFERENCING NEW TABLE AS pgfast_new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION count_new_rows();
INSERT INTO parted VALUES (5, 'a'), (150, 'b');
SELECT * FROM received();
SELECT n AS rows_seen_by_the_other_trigger FROM seen_by_other;
-- The trigger function is for triggers only.
SELECT pgfast._notify_changes_trigger();

SELECT dblink_disconnect('listener');
DROP TABLE typed, parted, seen_by_other;
DROP FUNCTION count_new_rows();
DROP DOMAIN positive_int;
DROP TABLE items, no_pk, dropped_key, long_keys, "My Schema"."Order Lines" CASCADE;
DROP SCHEMA "My Schema";
DROP FUNCTION received();
