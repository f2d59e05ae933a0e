-- Property test of pgfast.page (seeded, 240 random cases): random tables with ties and NULLs,
-- random orders with mixed directions and NULLS placements over int, numeric, timestamptz (with
-- microseconds) and text columns, random filters and page sizes 1..50. Walking all pages forward,
-- and all pages backward from the last one, must give exactly ORDER BY order_by, id. A second set of
-- cases inserts and deletes rows between page fetches: no row present throughout may be skipped,
-- and no row may be returned twice.
CREATE EXTENSION IF NOT EXISTS pgfast;
SET pgfast.cursor_secret = 'property-secret';
CREATE TABLE prop (
  id int PRIMARY KEY,
  a int,
  b numeric,
  t timestamptz,
  s text
);
CREATE INDEX ON prop (a, b);
CREATE INDEX ON prop (t DESC);

CREATE FUNCTION random_order() RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  cols text[] := ARRAY['a', 'b', 't', 's'];
  n int := 1 + floor(random() * 3)::int;
  picked text[] := '{}';
  c text;
  r float8;
BEGIN
  WHILE cardinality(picked) < n LOOP
    c := cols[1 + floor(random() * 4)::int];
    CONTINUE WHEN c = ANY (picked);
    picked := picked || c;
  END LOOP;
  RETURN (SELECT string_agg(
            p || (CASE WHEN random() < 0.5 THEN ' DESC' ELSE '' END) ||
            (CASE floor(random() * 3)::int WHEN 0 THEN '' WHEN 1 THEN ' NULLS FIRST' ELSE ' NULLS LAST' END),
            ', ')
          FROM unnest(picked) p);
END $$;

CREATE FUNCTION random_filter() RETURNS jsonb LANGUAGE sql AS $$
  SELECT (ARRAY[NULL, NULL, NULL, '{"s": "x"}', '{"a": [1, 2]}', '{"s": null}', '{"b": 0.5}'])[1 + floor(random() * 7)::int]::jsonb
$$;

CREATE FUNCTION fill(n int, first_id int) RETURNS void LANGUAGE sql AS $$
  INSERT INTO prop
  SELECT g,
         CASE WHEN random() < 0.2 THEN NULL ELSE floor(random() * 4)::int END,
         CASE WHEN random() < 0.2 THEN NULL ELSE floor(random() * 3)::numeric / 2 END,
         CASE WHEN random() < 0.2 THEN NULL
              ELSE timestamptz '2024-05-01 12:00:00+00' + floor(random() * 5) * interval '1 microsecond' END,
         CASE WHEN random() < 0.2 THEN NULL ELSE (ARRAY['x', 'y', 'Ä', 'x y'])[1 + floor(random() * 4)::int] END
    FROM generate_series(first_id, first_id + n - 1) g
$$;

CREATE FUNCTION ids_of(p jsonb) RETURNS int[] LANGUAGE sql AS $$
  SELECT coalesce(array_agg((e ->> 'id')::int), '{}') FROM jsonb_array_elements(p -> 'items') e
$$;

-- 1. Static tables: forward and backward walks equal ORDER BY.
CREATE FUNCTION check_static(cases int) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  failures int := 0;
  total_pages int := 0;
  ord text; flt jsonb; size int; expected int[]; fwd int[]; back int[]; p jsonb; last_page jsonb;
  guard int;
BEGIN
  FOR k IN 1..cases LOOP
    TRUNCATE prop;
    PERFORM fill(floor(random() * 120)::int, 1);
    ord := random_order();
    flt := random_filter();
    size := 1 + floor(random() * 50)::int;
    EXECUTE format('SELECT coalesce(array_agg(id ORDER BY %s, id), ''{}'') FROM prop WHERE %s', ord,
                   CASE WHEN flt IS NULL THEN 'true'
                        WHEN flt ? 's' AND flt -> 's' = 'null' THEN 's IS NULL'
                        WHEN flt ? 's' THEN 's = ''x'''
                        WHEN flt ? 'a' THEN 'a IN (1, 2)'
                        ELSE 'b = 0.5' END)
      INTO expected;
    fwd := '{}'; back := '{}';
    p := pgfast.page('prop', ord, size, filter => flt);
    guard := 0;
    LOOP
      fwd := fwd || ids_of(p);
      total_pages := total_pages + 1;
      last_page := p;
      guard := guard + 1;
      EXIT WHEN NOT (p ->> 'has_next')::bool OR guard > 200;
      p := pgfast.page('prop', ord, size, after => p ->> 'next_cursor', filter => flt);
    END LOOP;
    p := last_page;
    guard := 0;
    LOOP
      back := ids_of(p) || back;
      guard := guard + 1;
      EXIT WHEN NOT (p ->> 'has_prev')::bool OR guard > 200;
      p := pgfast.page('prop', ord, size, before => p ->> 'prev_cursor', filter => flt);
    END LOOP;
    IF fwd IS DISTINCT FROM expected OR back IS DISTINCT FROM expected THEN
      failures := failures + 1;
      RAISE NOTICE 'case % failed: order %, filter %, size %: expected %, forward %, backward %',
        k, ord, flt, size, expected, fwd, back;
    END IF;
  END LOOP;
  RETURN format('%s cases, %s failures, more than %s pages', cases, failures, (total_pages / 100) * 100);
END $$;

-- 2. Rows inserted and deleted between page fetches.
CREATE FUNCTION check_concurrent(cases int) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  failures int := 0;
  ord text; size int; seen int[]; p jsonb; page_ids int[]; next_id int; deleted int[]; survivors int[];
  victim int;
  guard int;
BEGIN
  FOR k IN 1..cases LOOP
    TRUNCATE prop;
    PERFORM fill(40 + floor(random() * 80)::int, 1);
    next_id := 10000;
    deleted := '{}';
    ord := random_order();
    size := 1 + floor(random() * 20)::int;
    seen := '{}';
    p := pgfast.page('prop', ord, size);
    guard := 0;
    LOOP
      page_ids := ids_of(p);
      seen := seen || page_ids;
      guard := guard + 1;
      EXIT WHEN NOT (p ->> 'has_next')::bool OR guard > 500;
      -- Between fetches: two new rows anywhere in the order, one random row deleted.
      PERFORM fill(2, next_id);
      next_id := next_id + 2;
      DELETE FROM prop WHERE id = (SELECT id FROM prop ORDER BY random() LIMIT 1)
        RETURNING id INTO victim;
      deleted := deleted || victim;
      p := pgfast.page('prop', ord, size, after => p ->> 'next_cursor');
    END LOOP;
    -- Rows present throughout: the original ones never deleted.
    survivors := ARRAY(SELECT id FROM prop WHERE id < 10000 ORDER BY id);
    IF (SELECT count(*) FROM unnest(seen)) <> (SELECT count(DISTINCT x) FROM unnest(seen) x)
       OR EXISTS (SELECT 1 FROM unnest(survivors) s WHERE s <> ALL (seen)) THEN
      failures := failures + 1;
      RAISE NOTICE 'concurrent case % failed: order %, size %', k, ord, size;
    END IF;
  END LOOP;
  RETURN format('%s cases, %s failures', cases, failures);
END $$;

SELECT setseed(0.4242);
SELECT check_static(200);
SELECT check_concurrent(40);

DROP FUNCTION check_static(int), check_concurrent(int), fill(int, int), ids_of(jsonb),
  random_order(), random_filter();
DROP TABLE prop;
