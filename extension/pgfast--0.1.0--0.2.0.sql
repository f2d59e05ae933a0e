-- pgfast 0.1.0 -> 0.2.0 (security hardening, issue #15). An upgraded database must hold exactly the
-- objects and privileges of a fresh 0.2.0 install: tests/integration/upgrade_test.sh compares them.
\echo Use "ALTER EXTENSION pgfast UPDATE TO '0.2.0'" to load this file. \quit

-- Internal functions: not executable by PUBLIC unless they must be (the trigger function, and the
-- helpers index_report and the slow-query views call as the caller, must stay executable).
REVOKE ALL ON FUNCTION pgfast._random_bytes(int) FROM PUBLIC;

-- slow-query capture
-- The views become security barriers (the functions already hide other roles' details), and
-- slow_queries_info() gains the per-role share and the dropped count.
ALTER VIEW pgfast.slow_queries SET (security_barrier = true);
ALTER VIEW pgfast.slow_query_stats SET (security_barrier = true);
DROP FUNCTION pgfast.slow_queries_info();
CREATE FUNCTION pgfast.slow_queries_info(
    OUT capacity bigint, OUT used bigint, OUT overwritten bigint, OUT since timestamptz,
    OUT max_per_role bigint, OUT dropped bigint)
  RETURNS record
  AS 'MODULE_PATHNAME', 'pgfast_slow_queries_info'
  LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

-- index definitions and reports
-- ---------------------------------------------------------------------------------------------
-- pgfast.index_jobs shows each role its own jobs; as a security barrier its filter runs before
-- any condition of the caller's (a cheap leaky function would otherwise see every role's
-- definitions and build errors).
ALTER VIEW pgfast.index_jobs SET (security_barrier = true);
-- Sizes without waiting for a lock: another session's open DROP INDEX or REINDEX must not stall
-- every role's index_report (then the size pg_class recorded is shown).
CREATE FUNCTION pgfast._index_size(index regclass) RETURNS bigint
  AS 'MODULE_PATHNAME', 'pgfast_index_size'
  LANGUAGE C VOLATILE STRICT;
-- index_report finds duplicates by sorting on each index's stored definition (not by comparing
-- every pair of a table's indexes through pgfast._index_duplicate_of, which is dropped; its C
-- symbol stays for 0.1.0).
CREATE OR REPLACE FUNCTION pgfast.index_report(target regclass DEFAULT NULL)
  RETURNS TABLE(table_name text, index_name text, method text, size_bytes bigint, scans bigint,
                unused boolean, duplicate_of text, invalid boolean, gin_pending_pages bigint,
                bloat_estimate_bytes bigint, suggestion text)
  LANGUAGE sql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
  WITH idx AS (
    SELECT i.indexrelid, i.indrelid, tc.oid::regclass::text AS table_name,
           ic.relname::text AS index_name, am.amname::text AS method,
           pgfast._index_size(i.indexrelid) AS size_bytes,
           COALESCE(s.idx_scan, 0) AS scans,
           (i.indisunique OR i.indisprimary OR i.indisexclusion
            OR EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)) AS enforces,
           (NOT i.indisvalid OR ic.relname ~ '_cc(new|old)[0-9]*$') AS invalid,
           ic.reltuples, i.indisvalid AND i.indislive AS candidate,
           -- The definition as pg_index stores it, without what equal() ignores (token positions,
           -- cast-or-call spellings): ensure_index's comparison (indexes/definition.cpp), as one
           -- value, so duplicates come from one sort instead of comparing every pair. Nothing is
           -- evaluated.
           ARRAY[ic.relam::text, i.indisunique::text, i.indnullsnotdistinct::text,
                 i.indnkeyatts::text, i.indkey::text, i.indclass::text, i.indcollation::text,
                 i.indoption::text,
                 COALESCE(regexp_replace(i.indexprs::text, ' :(location|funcformat|relabelformat|coerceformat|convertformat|row_format|coercionformat) -?[0-9]+', '', 'g'), ''),
                 COALESCE(regexp_replace(i.indpred::text, ' :(location|funcformat|relabelformat|coerceformat|convertformat|row_format|coercionformat) -?[0-9]+', '', 'g'), '')]
             AS definition_key,
           -- Average width of the key columns from pg_stats (NULL for expressions or no stats).
           (SELECT CASE WHEN count(st.avg_width) = i.indnatts THEN sum(st.avg_width) END
              FROM unnest(i.indkey::int2[]) AS k(attnum)
              JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
              LEFT JOIN pg_stats st ON st.schemaname = n.nspname AND st.tablename = tc.relname
                                   AND st.attname = a.attname) AS key_width
      FROM pg_index i
      JOIN pg_class ic ON ic.oid = i.indexrelid
      JOIN pg_class tc ON tc.oid = i.indrelid
      JOIN pg_namespace n ON n.oid = tc.relnamespace
      JOIN pg_am am ON am.oid = ic.relam
      LEFT JOIN pg_stat_all_indexes s ON s.indexrelid = i.indexrelid
     WHERE CASE WHEN target IS NULL
                THEN n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast', 'pgfast')
                     AND n.nspname !~ '^pg_(toast_)?temp_'
                ELSE i.indrelid = target END
  ), oldest AS (
    -- Per definition, the oldest (lowest OID) valid index of the table.
    SELECT DISTINCT ON (indrelid, definition_key) indrelid, definition_key, indexrelid, index_name
      FROM idx WHERE candidate
     ORDER BY indrelid, definition_key, indexrelid
  ), facts AS (
    SELECT idx.*,
           (NOT enforces AND NOT invalid AND scans = 0) AS unused,
           CASE WHEN NOT invalid AND o.indexrelid <> idx.indexrelid THEN o.index_name END AS duplicate_of,
           CASE WHEN method = 'gin' AND NOT invalid THEN pgfast._gin_pending_pages(idx.indexrelid) END AS gin_pending_pages,
           -- B-tree: what the live tuples would need at the default fillfactor (90%), 12 bytes of
           -- tuple header and line pointer each, plus the metapage; the rest counts as bloat.
           CASE WHEN method = 'btree' AND reltuples >= 0 AND key_width IS NOT NULL THEN
             greatest(size_bytes - (ceil(reltuples * (key_width + 12)
                                         / (current_setting('block_size')::int * 0.9 - 24)) + 1)
                                   * current_setting('block_size')::int, 0)::bigint
           END AS bloat_estimate_bytes
      FROM idx
      LEFT JOIN oldest o ON o.indrelid = idx.indrelid AND o.definition_key = idx.definition_key
  )
  SELECT table_name, index_name, method, size_bytes, scans, unused, duplicate_of, invalid,
         gin_pending_pages, bloat_estimate_bytes,
         CASE
           WHEN invalid THEN 'drop: invalid leftover of a failed or interrupted build (DROP INDEX CONCURRENTLY)'
           WHEN duplicate_of IS NOT NULL THEN 'drop: same definition as ' || duplicate_of
           WHEN gin_pending_pages > 0 THEN 'VACUUM the table (or gin_clean_pending_list) to merge ' || gin_pending_pages || ' pending pages'
           WHEN unused THEN 'consider dropping: never scanned since statistics were reset'
           WHEN bloat_estimate_bytes > greatest(size_bytes / 2, 1048576) THEN 'REINDEX CONCURRENTLY: about ' || pg_size_pretty(bloat_estimate_bytes) || ' of bloat'
           ELSE 'ok'
         END AS suggestion
    FROM facts
   ORDER BY table_name, index_name
$$;
DROP FUNCTION pgfast._index_duplicate_of(regclass);

-- index worker
-- The worker's claim: the oldest queued job of each role (extension/indexes/worker.cpp).
CREATE INDEX index_job_queued_by_role ON pgfast.index_job (requested_by, job_id)
  WHERE state = 'queued';

-- notify_changes / stop_notify_changes: their catalog queries resolve no name or operator through
-- the caller's search_path (an exact-match operator in a writable schema would win otherwise).
ALTER FUNCTION pgfast.notify_changes(regclass, text, integer) SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION pgfast.stop_notify_changes(regclass) SET search_path = pg_catalog, pg_temp;

-- index definitions: stored trees
-- The definition as the requester's session transformed it: ensure_index compares a new request
-- with this tree and never parses another role's job text (which could run that role's code, e.g.
-- a domain's CHECK). Jobs queued by 0.1.0 have none and match no request.
ALTER TABLE pgfast.index_job ADD COLUMN definition_tree text;

-- pagination
-- offset_page gains count => 'exact' | 'estimated' | 'none'. A new argument cannot be added in
-- place (CREATE OR REPLACE would make an ambiguous overload), so the function is re-created; the
-- C symbol is the same and still serves the five-argument 0.1.0 signature.
DROP FUNCTION pgfast.offset_page(regclass, text, int, int, jsonb);
CREATE FUNCTION pgfast.offset_page(source regclass, order_by text DEFAULT NULL, page int DEFAULT 1,
                                   per_page int DEFAULT NULL, filter jsonb DEFAULT NULL,
                                   count text DEFAULT 'exact')
  RETURNS jsonb
  AS 'MODULE_PATHNAME', 'pgfast_offset_page'
  LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION pgfast.offset_page(regclass, text, int, int, jsonb, text) IS
  'Numbered page: {"items", "total", "page", "per_page", "pages", "has_next", "has_prev"}; count: exact, estimated or none (total and pages null)';

-- comments (issue #21)
-- Every object of the extension, and the extension itself, says what it is (\df+ pgfast.*,
-- \dv+ pgfast.*; sql/comments.sql checks that none is missing).
COMMENT ON EXTENSION pgfast IS
  'pgfast: keyset and numbered pages, bulk writes, change notifications, index management, full-text search, slow-query capture';
COMMENT ON FUNCTION pgfast._slow_queries() IS
  'Internal: the slow-query ring as the caller may see it; read through the view pgfast.slow_queries';
COMMENT ON FUNCTION pgfast._slow_query_stats() IS
  'Internal: the slow-query statistics as the caller may see them; read through the view pgfast.slow_query_stats';
COMMENT ON FUNCTION pgfast.slow_queries_info() IS
  'Slow-query ring counters: capacity, used, overwritten, since (last reset), max_per_role, dropped captures';
COMMENT ON FUNCTION pgfast.slow_queries_reset() IS
  'Empties the slow-query ring and statistics (superusers; EXECUTE can be granted)';
COMMENT ON FUNCTION pgfast._random_bytes(int) IS
  'Internal: n bytes (1 to 1024) from pg_strong_random; the install script makes pgfast.cursor_key with it';
COMMENT ON FUNCTION pgfast.bulk_upsert(regclass, jsonb, text[], text[], jsonb) IS
  'Inserts or updates a JSON array of rows in one set-based statement; returns inserted, updated and unchanged counts';
COMMENT ON FUNCTION pgfast.bulk_upsert_from(regclass, regclass, text[], text[], jsonb) IS
  'bulk_upsert of the rows of another relation (e.g. a temp table filled by COPY); returns inserted, updated and unchanged counts';
COMMENT ON FUNCTION pgfast.bulk_upsert_rows(regclass, jsonb, text[], text[], jsonb) IS
  'bulk_upsert returning one row per input row: its position (ord), action and key';
COMMENT ON FUNCTION pgfast.bulk_insert(regclass, jsonb, jsonb) IS
  'Inserts a JSON array of rows in one statement; returns each row''s position (ord) and new key';
COMMENT ON FUNCTION pgfast.bulk_update(regclass, jsonb, text[], jsonb) IS
  'Updates the rows named by key columns from a JSON array in one statement; returns updated, unchanged and missing counts';
COMMENT ON FUNCTION pgfast.bulk_delete(regclass, jsonb, text[]) IS
  'Deletes the rows whose keys are in a JSON array in one statement; returns the number deleted';
COMMENT ON FUNCTION pgfast._notify_changes_trigger() IS
  'Internal: statement trigger that NOTIFYs the changed rows'' primary keys; installed by pgfast.notify_changes';
COMMENT ON SEQUENCE pgfast.index_job_job_id_seq IS 'Job numbers of pgfast.index_job';
COMMENT ON FUNCTION pgfast._gin_pending_pages(regclass) IS
  'Internal: pages in a GIN index''s pending list (NULL if the index is locked); called by pgfast.index_report';
COMMENT ON FUNCTION pgfast._index_size(regclass) IS
  'Internal: an index''s size without waiting for its lock (else the size pg_class recorded); called by pgfast.index_report';
