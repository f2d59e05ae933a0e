-- Full-text search (DESIGN 4.3): pgfast.fts_index and pgfast.fts_search.
CREATE EXTENSION IF NOT EXISTS pgfast;
CREATE TABLE articles (id int PRIMARY KEY, title text, body text, views int);
INSERT INTO articles VALUES
  (1, 'The quick brown fox', 'A fox jumps over the lazy dog', 10),
  (2, 'Lazy dogs', 'Dogs sleep all day; the quick fox does not', 20),
  (3, NULL, 'An article without a title about a fox', 30),
  (4, 'Databases', 'PostgreSQL full-text search with GIN indexes', 40),
  (5, 'Brown bears', NULL, 50),
  (6, 'Quick brown quick brown', 'fox fox fox', 60);

-- 1. The index: weighted expression over the columns, one index however often asked.
SELECT pgfast.fts_index('articles', '{title, body}', 'english', '{A,B}');
SELECT pgfast.fts_index('articles', '{title, body}', 'english', '{A,B}');
SELECT count(*) AS gin_indexes FROM pg_indexes WHERE tablename = 'articles' AND indexdef LIKE '%USING gin%';
SELECT relation, index_name, config, columns, weights, generated_column IS NULL AS expression_index
  FROM pgfast.fts_config;
SELECT pg_get_indexdef('articles_fts_idx'::regclass) LIKE
       '%setweight(to_tsvector(''english''::regconfig, COALESCE(title, ''''::text)), ''A''::"char")%' AS indexed_as_recorded;

-- 2. Ranking: title hits (weight A) before body hits (B); NULL columns are empty text.
SELECT e -> 'row' ->> 'id' AS id, (e ->> 'rank')::real > 0 AS ranked, e ->> 'headline' AS headline
  FROM jsonb_array_elements(pgfast.fts_search('articles', 'fox') -> 'items') e;
SELECT (SELECT array_agg((e -> 'row' ->> 'id')::int) FROM jsonb_array_elements(p -> 'items') e) AS ids,
       p -> 'has_next' AS has_next, p -> 'next_cursor' AS next_cursor, p -> 'page_size' AS page_size
  FROM pgfast.fts_search('articles', 'brown') p;
-- Ranks decrease along the page.
SELECT bool_and(r1 >= r2) AS ordered FROM (
  SELECT (e ->> 'rank')::real AS r1, lead((e ->> 'rank')::real, 1, 0) OVER (ORDER BY ord) AS r2
    FROM jsonb_array_elements(pgfast.fts_search('articles', 'fox or dog') -> 'items') WITH ORDINALITY AS x(e, ord)) s;

-- 3. Web-search syntax: phrases, or, exclusion.
CREATE FUNCTION hit_ids(q text, opts jsonb DEFAULT '{}') RETURNS int[] LANGUAGE sql AS $$
  SELECT array_agg((e -> 'row' ->> 'id')::int ORDER BY (e -> 'row' ->> 'id')::int)
    FROM jsonb_array_elements(pgfast.fts_search('articles', q, 100, NULL, opts) -> 'items') e $$;
SELECT hit_ids('"quick brown"') AS phrase, hit_ids('quick brown') AS both_words,
       hit_ids('bears or databases') AS either, hit_ids('fox -lazy') AS fox_not_lazy,
       hit_ids('nothingmatches') AS none;
-- 4. Prefix matching (option): "datab" matches "databases" only as a prefix.
SELECT hit_ids('datab') AS exact, hit_ids('datab', '{"prefix": true}') AS prefix,
       hit_ids('bro fo', '{"prefix": true}') AS prefixes;
-- 5. ts_rank_cd, headlines off, headline options.
SELECT hit_ids('fox', '{"rank": "ts_rank_cd"}') AS cover_density;
SELECT bool_and(e -> 'headline' = 'null') AS no_headlines
  FROM jsonb_array_elements(pgfast.fts_search('articles', 'fox', 10, NULL, '{"headline": false}') -> 'items') e;
SELECT e ->> 'headline' AS headline
  FROM jsonb_array_elements(pgfast.fts_search('articles', 'postgresql', 10, NULL,
         '{"headline": "raw", "headline_options": "StartSel=[, StopSel=]"}') -> 'items') e;

-- 6. Cursor pages cover every hit exactly once, in (rank DESC, id) order.
INSERT INTO articles SELECT g, 'fox number ' || g, repeat('fox ', g % 5) || 'lorem ipsum ' || g, g
  FROM generate_series(100, 5099) g;
ANALYZE articles;
CREATE FUNCTION walk(q text, size int) RETURNS TABLE(page int, id int, rank real) LANGUAGE plpgsql AS $$
DECLARE p jsonb; cur text := NULL; n int := 0;
BEGIN
  LOOP
    p := pgfast.fts_search('articles', q, size, cur);
    n := n + 1;
    RETURN QUERY SELECT n, (e -> 'row' ->> 'id')::int, (e ->> 'rank')::real
                   FROM jsonb_array_elements(p -> 'items') e;
    EXIT WHEN NOT (p ->> 'has_next')::boolean;
    cur := p ->> 'next_cursor';
  END LOOP;
END $$;
CREATE TEMP TABLE walked AS SELECT * FROM walk('fox', 97);
SELECT count(*) AS hits, count(DISTINCT id) AS distinct_hits, max(page) AS pages FROM walked;
SELECT count(*) AS expected_hits FROM articles
 WHERE to_tsvector('english', coalesce(title, '') || ' ' || coalesce(body, '')) @@ websearch_to_tsquery('english', 'fox');
-- Same order as ORDER BY rank DESC, id.
SELECT bool_and(w.id = e.id) AS same_order FROM
  (SELECT id, row_number() OVER (ORDER BY page, ord) AS n FROM (SELECT *, row_number() OVER () AS ord FROM walked) x) w
  JOIN (SELECT id, row_number() OVER (ORDER BY r DESC, id) AS n FROM
          (SELECT id, ts_rank(setweight(to_tsvector('english', coalesce(title, '')), 'A') ||
                              setweight(to_tsvector('english', coalesce(body, '')), 'B'),
                              websearch_to_tsquery('english', 'fox')) AS r FROM articles) a WHERE r > 0) e
  USING (n);

-- 7. Cursors: bound to table, query and options; tampering is rejected (22023).
SELECT pgfast.fts_search('articles', 'fox', 5) ->> 'next_cursor' AS c \gset
SELECT jsonb_array_length(pgfast.fts_search('articles', 'fox', 5, :'c') -> 'items') AS second_page;
SELECT pgfast.fts_search('articles', 'dog', 5, :'c');
SELECT pgfast.fts_search('articles', 'fox', 5, :'c', '{"prefix": true}');
SELECT pgfast.fts_search('articles', 'fox', 5, 'AAAA' || :'c');
SELECT pgfast.fts_search('articles', 'fox', 5, 'garbage');

-- 8. EXPLAIN of the match uses the GIN index (seen through pgfast's own capture of the nested query).
SELECT pgfast.slow_queries_reset();
SET pgfast.slow_query_track = 'all';
SET pgfast.slow_query_plan = 'text';
SET pgfast.slow_query_ms = 0;
SELECT jsonb_array_length(pgfast.fts_search('articles', 'lorem 4242') -> 'items') AS hits;
SET pgfast.slow_query_ms = -1;
RESET pgfast.slow_query_plan;
RESET pgfast.slow_query_track;
SELECT plan LIKE '%Bitmap Index Scan on articles_fts_idx%' AS uses_gin_index
  FROM pgfast.slow_queries
 WHERE query LIKE 'SELECT p."rank", p."k1", %' AND database = current_database();

-- 9. A stored generated tsvector column instead of an expression index.
CREATE TABLE notes (id bigint PRIMARY KEY, subject text, content text);
INSERT INTO notes VALUES (1, 'Meeting', 'Budget review with the fox team'), (2, 'Lunch', NULL);
SELECT pgfast.fts_index('notes', '{subject, content}', 'simple', NULL, '{"generated_column": "search_doc"}');
SELECT pgfast.fts_index('notes', '{subject, content}', 'simple', NULL, '{"generated_column": "search_doc"}');
SELECT attname, format_type(atttypid, atttypmod), attgenerated FROM pg_attribute
 WHERE attrelid = 'notes'::regclass AND attname = 'search_doc';
SELECT relation, index_name, config, generated_column FROM pgfast.fts_config WHERE relation = 'notes'::regclass;
SELECT pgfast.fts_search('notes', 'meeting');
SELECT pgfast.fts_search('notes', 'lunch') -> 'items' -> 0 -> 'row' AS row_without_tsvector;
-- The same name with another definition is refused.
ALTER TABLE notes ADD COLUMN other_doc tsvector GENERATED ALWAYS AS (to_tsvector('simple', coalesce(subject, ''))) STORED;
SELECT pgfast.fts_index('notes', '{subject, content}', 'simple', NULL, '{"generated_column": "other_doc"}');

-- 10. In the background.
CREATE TABLE posts (id int PRIMARY KEY, body text);
INSERT INTO posts SELECT g, 'post about topic ' || g FROM generate_series(1, 1000) g;
SELECT pgfast.fts_index('posts', '{body}', options => '{"concurrently": true}');
SELECT job_id AS job FROM pgfast.index_jobs WHERE index_name = 'posts_fts_idx' \gset
SELECT pgfast.wait_index_job(:job);
SELECT jsonb_array_length(pgfast.fts_search('posts', 'topic', 7) -> 'items') AS hits;

-- 11. Bad input.
SELECT pgfast.fts_index('articles', '{title, nope}');
SELECT pgfast.fts_index('articles', '{title, body}', 'english', '{A}');
SELECT pgfast.fts_index('articles', '{title}', 'english', '{Z}');
SELECT pgfast.fts_index('articles', '{title}', 'no_such_config');
SELECT pgfast.fts_index('articles', '{title}', options => '{"colour": 1}');
CREATE TABLE plain (id int PRIMARY KEY, t text);
SELECT pgfast.fts_search('plain', 'x');
SELECT pgfast.fts_search('articles', 'fox', 0);
SELECT pgfast.fts_search('articles', 'fox', 10, NULL, '{"rank": "bm25"}');
SELECT pgfast.fts_search('articles', NULL);
CREATE ROLE pgfast_fts_other LOGIN;
SET ROLE pgfast_fts_other;
SELECT pgfast.fts_search('articles', 'fox');
SELECT pgfast.fts_index('articles', '{title}');
RESET ROLE;
DROP ROLE pgfast_fts_other;

DROP FUNCTION hit_ids(text, jsonb);
DROP FUNCTION walk(text, int);
DROP TABLE articles, notes, posts, plain;
