-- Plan shape of pgfast.page at depth (issue #16): for every ordering family with a matching btree
-- index, every statement page runs (page queries and has-previous/has-next probes, forward and
-- backward, in the middle, at the NULL boundary and at both ends) must be an ordered index scan:
-- no Seq Scan, no Bitmap scan, no Sort. The plans are the ones pgfast's own capture records for
-- the nested statements. The table is physically ordered like the keys (so a LIMIT 1 Seq Scan
-- looks cheap to the planner) and big enough that underestimated predicates pick Bitmap + Sort.
SET client_min_messages = warning;
CREATE TABLE pp (id bigint PRIMARY KEY, created_at timestamptz NOT NULL, a int NOT NULL,
                 b int NOT NULL, score int);
INSERT INTO pp
  SELECT g, timestamptz '2024-01-01 00:00:00+00' + (g / 2) * interval '1 second', g / 1000,
         g % 1000, CASE WHEN g > 90000 THEN NULL ELSE g END
    FROM generate_series(1, 100000) g;
CREATE INDEX pp_created ON pp (created_at DESC, id);      -- the reported case: mixed directions
CREATE INDEX pp_ab ON pp (a, b, id);                      -- several columns, one direction
CREATE INDEX pp_b ON pp (b, id);                          -- secondary index, uncorrelated
CREATE INDEX pp_score ON pp (score, id);                  -- nullable, NULLS LAST
CREATE INDEX pp_score_desc ON pp (score DESC, id);        -- nullable, NULLS FIRST, mixed
VACUUM ANALYZE pp;
SET pgfast.page_size_max = 100000;

CREATE TEMP TABLE families (family text, order_by text);
INSERT INTO families VALUES
  ('single column (pk, DESC)', 'id DESC'),
  ('several columns', 'a, b'),
  ('secondary + pk tie-breaker', 'b'),
  ('mixed DESC/ASC (issue #16)', 'created_at DESC'),
  ('nullable NULLS LAST', 'score'),
  ('nullable NULLS FIRST, mixed', 'score DESC');

-- Cursors after 50, 50,000, 89,990 (where NULLs begin or end) and 99,950 rows.
CREATE TEMP TABLE cursors AS
  SELECT f.family, f.order_by, d.depth,
         pgfast.page('pp', f.order_by, d.depth) ->> 'next_cursor' AS cursor
    FROM families f, (VALUES (50), (50000), (89990), (99950)) d(depth);
SELECT count(*) AS cursors, count(cursor) AS not_null FROM cursors;

-- One capture window per family: every statement on pp its pages ran, with its plan.
CREATE TEMP TABLE plans (family text, query text, plan text);
CREATE FUNCTION capture_family(f text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  c record;
BEGIN
  PERFORM pgfast.slow_queries_reset();
  PERFORM set_config('pgfast.slow_query_track', 'all', true);
  PERFORM set_config('pgfast.slow_query_plan', 'text', true);
  PERFORM set_config('pgfast.slow_query_log', 'off', true);
  PERFORM set_config('pgfast.slow_query_ms', '0', true);
  FOR c IN SELECT * FROM cursors WHERE family = f ORDER BY depth LOOP
    PERFORM pgfast.page('pp', c.order_by, 50, after => c.cursor);
    PERFORM pgfast.page('pp', c.order_by, 50, before => c.cursor);
  END LOOP;
  PERFORM set_config('pgfast.slow_query_ms', '-1', true);
  INSERT INTO plans
    SELECT f, q.query, q.plan FROM pgfast.slow_queries q
     WHERE q.database = current_database() AND q.pid = pg_backend_pid() AND q.nesting_level > 0
       AND q.query LIKE '%FROM "public"."pp" "s"%';
END $$;
SELECT capture_family(family) FROM families ORDER BY family;

-- Per family: statements captured (page queries and probes), and how many of them were not an
-- ordered index scan (Seq Scan, Bitmap Heap Scan, Sort, or no index at all): must be 0.
SELECT family, count(*) > 8 AS captured,
       count(*) FILTER (WHERE plan !~ 'Index (Only )?Scan' OR plan ~ '(Seq Scan|Bitmap|Sort)')
         AS not_ordered_index_scans,
       count(*) FILTER (WHERE query NOT LIKE '%ORDER BY%') AS without_order_by
  FROM plans GROUP BY family ORDER BY family;
-- The offending plans' top nodes, if any (empty when all is well).
SELECT family, substring(query from '^SELECT [^ ]*') AS statement,
       regexp_replace(plan, '\s+', ' ', 'g') AS plan
  FROM plans WHERE plan !~ 'Index (Only )?Scan' OR plan ~ '(Seq Scan|Bitmap|Sort)'
 ORDER BY family, query LIMIT 10;

DROP FUNCTION capture_family(text);
DROP TABLE pp, families, cursors, plans;
RESET pgfast.page_size_max;
