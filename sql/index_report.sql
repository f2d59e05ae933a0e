-- pgfast.index_report (DESIGN 4.3): duplicates, unused, invalid leftovers, GIN pending lists.
CREATE EXTENSION IF NOT EXISTS pgfast;
CREATE TABLE events (id int PRIMARY KEY, kind text, at timestamptz, note text)
  WITH (autovacuum_enabled = false);
INSERT INTO events SELECT g, 'k' || (g % 5), '2024-01-01'::timestamptz + g * interval '1 minute', 'note ' || g
  FROM generate_series(1, 2000) g;
-- A duplicate pair (same definition under two names and spellings).
CREATE INDEX events_kind ON events (kind);
CREATE INDEX events_kind_again ON events USING btree (kind ASC NULLS LAST);
-- An index nobody uses, and one the test scans.
CREATE INDEX events_at ON events (at);
CREATE INDEX events_note ON events (note);
SET enable_seqscan = off;
SELECT count(*) FROM events WHERE note = 'note 7';
RESET enable_seqscan;
-- An INVALID leftover of a failed concurrent build.
INSERT INTO events VALUES (2001, 'dup', now(), 'note 1');
CREATE UNIQUE INDEX CONCURRENTLY events_note_unique ON events (note);
-- A GIN index with a non-empty pending list (fastupdate, no vacuum).
CREATE INDEX events_note_gin ON events USING gin (to_tsvector('simple', note))
  WITH (fastupdate = on, gin_pending_list_limit = 4096);
INSERT INTO events SELECT g, 'k', now(), 'pending words ' || g FROM generate_series(3000, 3500) g;
-- This backend's statistics reach the shared counters when it goes idle; flush them now.
SELECT pg_stat_force_next_flush();
ANALYZE events;

SELECT table_name, index_name, method, size_bytes > 0 AS has_size, scans > 0 AS scanned, unused,
       duplicate_of, invalid, gin_pending_pages > 0 AS pending, bloat_estimate_bytes >= 0 AS bloat_known,
       suggestion
  FROM pgfast.index_report('events');
-- Without a target: every user table (the same rows for this one).
SELECT count(*) FROM pgfast.index_report() WHERE table_name = 'public.events';
-- ensure_index sees the duplicates as one definition.
SELECT pgfast.ensure_index('events', '{kind}');
-- After VACUUM the pending list is merged.
VACUUM events;
SELECT index_name, gin_pending_pages FROM pgfast.index_report('events') WHERE method = 'gin';
DROP TABLE events;
