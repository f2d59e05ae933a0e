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
