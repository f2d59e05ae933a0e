-- pgfast 0.2.0 -> 0.3.0 (performance round 2, issue #16). An upgraded database must hold exactly
-- the objects and privileges of a fresh 0.3.0 install: tests/integration/upgrade_test.sh compares
-- them.
\echo Use "ALTER EXTENSION pgfast UPDATE TO '0.3.0'" to load this file. \quit

-- pagination
-- offset_page gains count => 'exact' | 'estimated' | 'none'. A new argument cannot be added in
-- place (CREATE OR REPLACE would make an ambiguous overload), so the function is re-created; the
-- C symbol is the same and still serves the five-argument 0.2.0 signature.
DROP FUNCTION pgfast.offset_page(regclass, text, int, int, jsonb);
CREATE FUNCTION pgfast.offset_page(source regclass, order_by text DEFAULT NULL, page int DEFAULT 1,
                                   per_page int DEFAULT NULL, filter jsonb DEFAULT NULL,
                                   count text DEFAULT 'exact')
  RETURNS jsonb
  AS 'MODULE_PATHNAME', 'pgfast_offset_page'
  LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION pgfast.offset_page(regclass, text, int, int, jsonb, text) IS
  'Numbered page: {"items", "total", "page", "per_page", "pages", "has_next", "has_prev"}; count: exact, estimated or none (total and pages null)';
