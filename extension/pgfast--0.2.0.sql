-- pgfast 0.2.0 install script. Every function is SECURITY INVOKER (the default).
\echo Use "CREATE EXTENSION pgfast" to load this file. \quit

COMMENT ON SCHEMA pgfast IS 'pgfast: the performance layer (see pgfast.version())';
COMMENT ON EXTENSION pgfast IS
  'pgfast: keyset and numbered pages, bulk writes, change notifications, index management, full-text search, slow-query capture';

CREATE FUNCTION pgfast.version() RETURNS text
  AS 'MODULE_PATHNAME', 'pgfast_version'
  LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION pgfast.version() IS 'pgfast extension version and build information';

GRANT USAGE ON SCHEMA pgfast TO PUBLIC;

-- ---------------------------------------------------------------------------------------------
-- Slow-query capture (requires shared_preload_libraries = 'pgfast')
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION pgfast._slow_queries(
    OUT captured_at timestamptz, OUT pid int, OUT dbid oid, OUT userid oid,
    OUT application_name text, OUT client_addr text, OUT queryid bigint, OUT duration_ms float8,
    OUT rows bigint, OUT shared_blks_hit bigint, OUT shared_blks_read bigint,
    OUT temp_blks_written bigint, OUT wal_bytes bigint, OUT nesting_level int, OUT query text,
    OUT plan text, OUT text_visible bool)
  RETURNS SETOF record
  AS 'MODULE_PATHNAME', 'pgfast_slow_queries'
  LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION pgfast._slow_queries() IS
  'Internal: the slow-query ring as the caller may see it; read through the view pgfast.slow_queries';

-- The functions hide what the caller may not see (as pg_stat_activity does); the views only add
-- names, and are security barriers all the same.
CREATE VIEW pgfast.slow_queries WITH (security_barrier = true) AS
  SELECT s.captured_at, s.pid, d.datname AS database, r.rolname AS username, s.application_name,
         s.client_addr::inet AS client_addr, s.queryid, s.duration_ms, s.rows, s.shared_blks_hit,
         s.shared_blks_read, s.temp_blks_written, s.wal_bytes, s.nesting_level, s.query, s.plan
    FROM pgfast._slow_queries() s
    LEFT JOIN pg_catalog.pg_database d ON d.oid = s.dbid
    LEFT JOIN pg_catalog.pg_roles r ON r.oid = s.userid;
COMMENT ON VIEW pgfast.slow_queries IS
  'Statements that ran at least pgfast.slow_query_ms, oldest first, from a shared-memory ring';

CREATE FUNCTION pgfast._slow_query_stats(
    OUT dbid oid, OUT userid oid, OUT queryid bigint, OUT calls bigint, OUT total_ms float8,
    OUT p50_ms float8, OUT p95_ms float8, OUT p99_ms float8, OUT max_ms float8,
    OUT last_seen timestamptz, OUT query text)
  RETURNS SETOF record
  AS 'MODULE_PATHNAME', 'pgfast_slow_query_stats'
  LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION pgfast._slow_query_stats() IS
  'Internal: the slow-query statistics as the caller may see them; read through the view pgfast.slow_query_stats';

CREATE VIEW pgfast.slow_query_stats WITH (security_barrier = true) AS
  SELECT d.datname AS database, r.rolname AS username, s.queryid, s.calls, s.total_ms,
         s.total_ms / NULLIF(s.calls, 0) AS mean_ms, s.p50_ms, s.p95_ms, s.p99_ms, s.max_ms,
         s.last_seen, s.query
    FROM pgfast._slow_query_stats() s
    LEFT JOIN pg_catalog.pg_database d ON d.oid = s.dbid
    LEFT JOIN pg_catalog.pg_roles r ON r.oid = s.userid;
COMMENT ON VIEW pgfast.slow_query_stats IS
  'Captured statements per (database, user, queryid): calls, times and latency percentiles';

CREATE FUNCTION pgfast.slow_queries_info(
    OUT capacity bigint, OUT used bigint, OUT overwritten bigint, OUT since timestamptz,
    OUT max_per_role bigint, OUT dropped bigint)
  RETURNS record
  AS 'MODULE_PATHNAME', 'pgfast_slow_queries_info'
  LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION pgfast.slow_queries_info() IS
  'Slow-query ring counters: capacity, used, overwritten, since (last reset), max_per_role, dropped captures';

CREATE FUNCTION pgfast.slow_queries_reset() RETURNS void
  AS 'MODULE_PATHNAME', 'pgfast_slow_queries_reset'
  LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;
REVOKE ALL ON FUNCTION pgfast.slow_queries_reset() FROM PUBLIC;
COMMENT ON FUNCTION pgfast.slow_queries_reset() IS
  'Empties the slow-query ring and statistics (superusers; EXECUTE can be granted)';

GRANT SELECT ON pgfast.slow_queries, pgfast.slow_query_stats TO PUBLIC;

-- ---------------------------------------------------------------------------------------------
-- Pagination
-- ---------------------------------------------------------------------------------------------
-- The per-database key that authenticates page cursors when pgfast.cursor_secret is not set.
-- No ordinary role may read it; pgfast reads it internally.
CREATE FUNCTION pgfast._random_bytes(n int) RETURNS bytea
  AS 'MODULE_PATHNAME', 'pgfast_random_bytes'
  LANGUAGE C STRICT VOLATILE PARALLEL SAFE;
-- Internal: only this script needs it (DESIGN 3.1: internal functions are not executable by PUBLIC).
REVOKE ALL ON FUNCTION pgfast._random_bytes(int) FROM PUBLIC;
COMMENT ON FUNCTION pgfast._random_bytes(int) IS
  'Internal: n bytes (1 to 1024) from pg_strong_random; the install script makes pgfast.cursor_key with it';
CREATE TABLE pgfast.cursor_key (key bytea NOT NULL);
REVOKE ALL ON pgfast.cursor_key FROM PUBLIC;
INSERT INTO pgfast.cursor_key VALUES (pgfast._random_bytes(32));
COMMENT ON TABLE pgfast.cursor_key IS 'Key that authenticates page cursors (unless pgfast.cursor_secret is set)';

CREATE FUNCTION pgfast.page(source regclass, order_by text DEFAULT NULL, page_size int DEFAULT NULL,
                            after text DEFAULT NULL, before text DEFAULT NULL,
                            filter jsonb DEFAULT NULL)
  RETURNS jsonb
  AS 'MODULE_PATHNAME', 'pgfast_page'
  LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION pgfast.page(regclass, text, int, text, text, jsonb) IS
  'Keyset page: {"items", "next_cursor", "prev_cursor", "has_next", "has_prev", "page_size"}';

CREATE FUNCTION pgfast.offset_page(source regclass, order_by text DEFAULT NULL, page int DEFAULT 1,
                                   per_page int DEFAULT NULL, filter jsonb DEFAULT NULL,
                                   count text DEFAULT 'exact')
  RETURNS jsonb
  AS 'MODULE_PATHNAME', 'pgfast_offset_page'
  LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION pgfast.offset_page(regclass, text, int, int, jsonb, text) IS
  'Numbered page: {"items", "total", "page", "per_page", "pages", "has_next", "has_prev"}; count: exact, estimated or none (total and pages null)';

-- ---------------------------------------------------------------------------------------------
-- Bulk operations (set-based, one call = all or nothing; see docs/bulk.md)
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION pgfast.bulk_upsert(target regclass, rows jsonb,
                                   conflict_columns text[] DEFAULT NULL,
                                   update_columns text[] DEFAULT NULL,
                                   options jsonb DEFAULT '{}')
  RETURNS TABLE(inserted bigint, updated bigint, unchanged bigint)
  AS 'MODULE_PATHNAME', 'pgfast_bulk_upsert'
  LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION pgfast.bulk_upsert(regclass, jsonb, text[], text[], jsonb) IS
  'Inserts or updates a JSON array of rows in one set-based statement; returns inserted, updated and unchanged counts';

CREATE FUNCTION pgfast.bulk_upsert_from(target regclass, source regclass,
                                        conflict_columns text[] DEFAULT NULL,
                                        update_columns text[] DEFAULT NULL,
                                        options jsonb DEFAULT '{}')
  RETURNS TABLE(inserted bigint, updated bigint, unchanged bigint)
  AS 'MODULE_PATHNAME', 'pgfast_bulk_upsert_from'
  LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION pgfast.bulk_upsert_from(regclass, regclass, text[], text[], jsonb) IS
  'bulk_upsert of the rows of another relation (e.g. a temp table filled by COPY); returns inserted, updated and unchanged counts';

CREATE FUNCTION pgfast.bulk_upsert_rows(target regclass, rows jsonb,
                                        conflict_columns text[] DEFAULT NULL,
                                        update_columns text[] DEFAULT NULL,
                                        options jsonb DEFAULT '{}')
  RETURNS TABLE(ord bigint, action text, key jsonb)
  AS 'MODULE_PATHNAME', 'pgfast_bulk_upsert_rows'
  LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION pgfast.bulk_upsert_rows(regclass, jsonb, text[], text[], jsonb) IS
  'bulk_upsert returning one row per input row: its position (ord), action and key';

CREATE FUNCTION pgfast.bulk_insert(target regclass, rows jsonb, options jsonb DEFAULT '{}')
  RETURNS TABLE(ord bigint, key jsonb)
  AS 'MODULE_PATHNAME', 'pgfast_bulk_insert'
  LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION pgfast.bulk_insert(regclass, jsonb, jsonb) IS
  'Inserts a JSON array of rows in one statement; returns each row''s position (ord) and new key';

CREATE FUNCTION pgfast.bulk_update(target regclass, rows jsonb, key_columns text[] DEFAULT NULL,
                                   options jsonb DEFAULT '{}')
  RETURNS TABLE(updated bigint, unchanged bigint, missing bigint)
  AS 'MODULE_PATHNAME', 'pgfast_bulk_update'
  LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION pgfast.bulk_update(regclass, jsonb, text[], jsonb) IS
  'Updates the rows named by key columns from a JSON array in one statement; returns updated, unchanged and missing counts';

CREATE FUNCTION pgfast.bulk_delete(target regclass, keys jsonb, key_columns text[] DEFAULT NULL)
  RETURNS bigint
  AS 'MODULE_PATHNAME', 'pgfast_bulk_delete'
  LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION pgfast.bulk_delete(regclass, jsonb, text[]) IS
  'Deletes the rows whose keys are in a JSON array in one statement; returns the number deleted';

-- ---------------------------------------------------------------------------------------------
-- Cache invalidation from the database (DESIGN 4.5, docs/cache.md)
-- The trigger function is C++ (extension/notify): it reads the key columns straight from the
-- transition tables, with no query to plan per statement. notify_changes / stop_notify_changes
-- only run DDL, so they are PL/pgSQL.
-- ---------------------------------------------------------------------------------------------
-- Statement-level trigger. TG_ARGV: channel, max_keys. NOTIFY is transactional: the messages
-- are delivered at commit, and not at all on rollback.
CREATE FUNCTION pgfast._notify_changes_trigger() RETURNS trigger
  AS 'MODULE_PATHNAME', 'pgfast_notify_changes_trigger'
  LANGUAGE C VOLATILE;
COMMENT ON FUNCTION pgfast._notify_changes_trigger() IS
  'Internal: statement trigger that NOTIFYs the changed rows'' primary keys; installed by pgfast.notify_changes';

CREATE FUNCTION pgfast.notify_changes(target regclass, channel text DEFAULT 'pgfast_changes',
                                      max_keys integer DEFAULT 1000)
  RETURNS void
  LANGUAGE plpgsql VOLATILE
  -- Its catalog queries resolve no name or operator through the caller's search_path.
  SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  kind "char";
BEGIN
  IF target IS NULL THEN
    RAISE EXCEPTION 'pgfast.notify_changes: target must not be NULL' USING ERRCODE = '22004';
  END IF;
  IF channel IS NULL OR channel = '' THEN
    RAISE EXCEPTION 'pgfast.notify_changes: channel must be a non-empty name'
      USING ERRCODE = '22023';
  END IF;
  IF octet_length(channel) > 63 THEN
    RAISE EXCEPTION 'pgfast.notify_changes: channel name "%" is longer than 63 bytes', channel
      USING ERRCODE = '22023';
  END IF;
  IF max_keys IS NULL OR max_keys < 1 THEN
    RAISE EXCEPTION 'pgfast.notify_changes: max_keys must be at least 1, got %',
      coalesce(max_keys::text, 'NULL') USING ERRCODE = '22023';
  END IF;
  SELECT c.relkind INTO kind FROM pg_class c WHERE c.oid = target;
  IF kind NOT IN ('r', 'p') THEN
    RAISE EXCEPTION 'pgfast.notify_changes: "%" is not a table', target
      USING ERRCODE = '42809';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_index WHERE indrelid = target AND indisprimary) THEN
    RAISE EXCEPTION 'pgfast.notify_changes: table "%" has no primary key', target
      USING ERRCODE = '55000',
            HINT = 'Change notifications name the changed rows by their primary key; add one.';
  END IF;
  -- CREATE OR REPLACE: calling again (e.g. with another channel) replaces the triggers.
  EXECUTE format('CREATE OR REPLACE TRIGGER pgfast_notify_insert AFTER INSERT ON %s '
                 'REFERENCING NEW TABLE AS pgfast_new_rows FOR EACH STATEMENT '
                 'EXECUTE FUNCTION pgfast._notify_changes_trigger(%L, %L)',
                 target, channel, max_keys);
  EXECUTE format('CREATE OR REPLACE TRIGGER pgfast_notify_update AFTER UPDATE ON %s '
                 'REFERENCING OLD TABLE AS pgfast_old_rows NEW TABLE AS pgfast_new_rows '
                 'FOR EACH STATEMENT EXECUTE FUNCTION pgfast._notify_changes_trigger(%L, %L)',
                 target, channel, max_keys);
  EXECUTE format('CREATE OR REPLACE TRIGGER pgfast_notify_delete AFTER DELETE ON %s '
                 'REFERENCING OLD TABLE AS pgfast_old_rows FOR EACH STATEMENT '
                 'EXECUTE FUNCTION pgfast._notify_changes_trigger(%L, %L)',
                 target, channel, max_keys);
  EXECUTE format('CREATE OR REPLACE TRIGGER pgfast_notify_truncate AFTER TRUNCATE ON %s '
                 'FOR EACH STATEMENT EXECUTE FUNCTION pgfast._notify_changes_trigger(%L, %L)',
                 target, channel, max_keys);
END
$fn$;
COMMENT ON FUNCTION pgfast.notify_changes(regclass, text, integer) IS
  'NOTIFY channel after commit with the primary keys of the rows each statement changed';

CREATE FUNCTION pgfast.stop_notify_changes(target regclass) RETURNS void
  LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  trigger_name name;
BEGIN
  IF target IS NULL THEN
    RAISE EXCEPTION 'pgfast.stop_notify_changes: target must not be NULL' USING ERRCODE = '22004';
  END IF;
  FOR trigger_name IN
    SELECT tgname FROM pg_trigger
     WHERE tgrelid = target AND tgname IN ('pgfast_notify_insert', 'pgfast_notify_update',
                                           'pgfast_notify_delete', 'pgfast_notify_truncate')
  LOOP
    EXECUTE format('DROP TRIGGER %I ON %s', trigger_name, target);
  END LOOP;
END
$fn$;
COMMENT ON FUNCTION pgfast.stop_notify_changes(regclass) IS
  'Removes the triggers pgfast.notify_changes installed (no error when there are none)';
-- Index management (docs/indexes.md)
-- ---------------------------------------------------------------------------------------------
CREATE TABLE pgfast.index_job (
  job_id bigserial PRIMARY KEY,
  relation oid NOT NULL,
  index_name name NOT NULL,
  definition text NOT NULL,
  state text NOT NULL DEFAULT 'queued'
    CHECK (state IN ('queued', 'running', 'done', 'failed')),
  error text,
  requested_by oid NOT NULL,
  queued_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
  started_at timestamptz,
  finished_at timestamptz,
  worker_pid int,  -- the build worker's pid while it runs (an orphaned build is waited for)
  search_path text,  -- the requesting session's, for the names in the definition's expressions
  -- The definition as the requester's session transformed it (nodeToString): later requests compare
  -- with this tree and never parse another role's text (extension/indexes/definition.hpp).
  definition_tree text);
CREATE INDEX index_job_queued ON pgfast.index_job (job_id) WHERE state IN ('queued', 'running');
-- The worker's claim: the oldest queued job of each role (extension/indexes/worker.cpp).
CREATE INDEX index_job_queued_by_role ON pgfast.index_job (requested_by, job_id)
  WHERE state = 'queued';
REVOKE ALL ON pgfast.index_job FROM PUBLIC;
REVOKE ALL ON SEQUENCE pgfast.index_job_job_id_seq FROM PUBLIC;
COMMENT ON SEQUENCE pgfast.index_job_job_id_seq IS 'Job numbers of pgfast.index_job';
COMMENT ON TABLE pgfast.index_job IS
  'Background index builds; read through pgfast.index_jobs, written by pgfast only';

-- security_barrier: the caller's own conditions (a leaky function) run only on rows the filter
-- let through, never on other roles' definitions and errors.
CREATE VIEW pgfast.index_jobs WITH (security_barrier = true) AS
  SELECT j.job_id, j.relation::pg_catalog.regclass AS relation, j.index_name, j.definition,
         j.state, j.error, r.rolname AS requested_by, j.queued_at, j.started_at, j.finished_at
    FROM pgfast.index_job j
    LEFT JOIN pg_catalog.pg_roles r ON r.oid = j.requested_by
   WHERE pg_catalog.pg_has_role(j.requested_by, 'MEMBER');
GRANT SELECT ON pgfast.index_jobs TO PUBLIC;
COMMENT ON VIEW pgfast.index_jobs IS
  'Background index builds requested by the current role (or roles it is a member of)';

CREATE FUNCTION pgfast.ensure_index(target regclass, columns text[], options jsonb DEFAULT '{}')
  RETURNS text
  AS 'MODULE_PATHNAME', 'pgfast_ensure_index'
  LANGUAGE C VOLATILE;
COMMENT ON FUNCTION pgfast.ensure_index(regclass, text[], jsonb) IS
  'Creates an index unless an equivalent one exists (by definition, under any name); returns its name';

CREATE FUNCTION pgfast.wait_index_job(job_id bigint, timeout_ms int DEFAULT 600000)
  RETURNS text
  AS 'MODULE_PATHNAME', 'pgfast_wait_index_job'
  LANGUAGE C VOLATILE;
COMMENT ON FUNCTION pgfast.wait_index_job(bigint, int) IS
  'Waits until a background index build is done or failed (or the timeout passes); returns its state';
CREATE PROCEDURE pgfast.wait_index_job(job_id bigint, timeout_ms int, INOUT state text)
  AS 'MODULE_PATHNAME', 'pgfast_wait_index_job_procedure'
  LANGUAGE C;
COMMENT ON PROCEDURE pgfast.wait_index_job(bigint, int, text) IS
  'CALL form of wait_index_job: commits between polls (holds no snapshot); state: done, failed or the current state';

-- Full-text search (docs/indexes.md)
CREATE TABLE pgfast.fts_config (
  relation regclass PRIMARY KEY,
  index_name name NOT NULL,
  config regconfig NOT NULL,
  columns text[] NOT NULL,
  weights "char"[],
  document text NOT NULL,
  generated_column name);
REVOKE ALL ON pgfast.fts_config FROM PUBLIC;
GRANT SELECT ON pgfast.fts_config TO PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('pgfast.fts_config', '');
COMMENT ON TABLE pgfast.fts_config IS
  'Full-text definition per table made by pgfast.fts_index; fts_search matches with document (or generated_column)';

CREATE FUNCTION pgfast.fts_index(target regclass, columns text[], config regconfig DEFAULT 'english',
                                 weights "char"[] DEFAULT NULL, options jsonb DEFAULT '{}')
  RETURNS text
  AS 'MODULE_PATHNAME', 'pgfast_fts_index'
  LANGUAGE C VOLATILE;
COMMENT ON FUNCTION pgfast.fts_index(regclass, text[], regconfig, "char"[], jsonb) IS
  'GIN full-text index over columns (expression or stored generated tsvector column); returns its name';

CREATE FUNCTION pgfast.fts_search(target regclass, query text, page_size int DEFAULT 20,
                                  after text DEFAULT NULL, options jsonb DEFAULT '{}')
  RETURNS jsonb
  AS 'MODULE_PATHNAME', 'pgfast_fts_search'
  LANGUAGE C VOLATILE;
COMMENT ON FUNCTION pgfast.fts_search(regclass, text, int, text, jsonb) IS
  'Web-search full-text query over the fts_index of target: ranked hits, headlines, cursor pages';

-- Index report (docs/indexes.md)
CREATE FUNCTION pgfast._gin_pending_pages(index regclass) RETURNS bigint
  AS 'MODULE_PATHNAME', 'pgfast_gin_pending_pages'
  LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION pgfast._gin_pending_pages(regclass) IS
  'Internal: pages in a GIN index''s pending list (NULL if the index is locked); called by pgfast.index_report';
-- Sizes without waiting for a lock: another session's open DROP INDEX or REINDEX must not stall
-- every role's index_report (then the size pg_class recorded is shown).
CREATE FUNCTION pgfast._index_size(index regclass) RETURNS bigint
  AS 'MODULE_PATHNAME', 'pgfast_index_size'
  LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION pgfast._index_size(regclass) IS
  'Internal: an index''s size without waiting for its lock (else the size pg_class recorded); called by pgfast.index_report';

CREATE FUNCTION pgfast.index_report(target regclass DEFAULT NULL)
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
COMMENT ON FUNCTION pgfast.index_report(regclass) IS
  'Per index: size, scans, unused, duplicate of, invalid leftovers, GIN pending pages, bloat estimate, suggested action';
