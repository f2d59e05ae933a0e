-- The reference application's index plan (its migration shipped 20+ hand-written indexes), declared
-- through pgfast so it is idempotent by definition: applying this file twice changes nothing the
-- second time. Four kinds: compound, full-text GIN, partial ("recent" / "open"), covering (INCLUDE);
-- plus a BRIN for the append-only scrape log. Run with search_path = reference, public.
-- Partial "recent" predicates use a fixed date because index predicates must be immutable (now()
-- is not); a migration moves the date forward by re-declaring the index.

-- search_sessions
SELECT pgfast.ensure_index('search_sessions', ARRAY['user_id', 'created_at DESC']);
SELECT pgfast.ensure_index('search_sessions', ARRAY['user_id', 'updated_at DESC'],
                           '{"where": "status = ''active''"}');
SELECT pgfast.ensure_index('search_sessions', ARRAY['created_at'],
                           '{"where": "created_at >= ''2026-06-01''"}');

-- search_queries
SELECT pgfast.ensure_index('search_queries', ARRAY['session_id', 'created_at DESC']);
SELECT pgfast.ensure_index('search_queries', ARRAY['status', 'created_at'],
                           '{"where": "status IN (''pending'', ''running'')"}');
SELECT pgfast.fts_index('search_queries', ARRAY['query_text'], 'english');

-- search_results
SELECT pgfast.ensure_index('search_results', ARRAY['query_id', 'rank'],
                           '{"include": ["url", "title"]}');
SELECT pgfast.ensure_index('search_results', ARRAY['domain']);
SELECT pgfast.ensure_index('search_results', ARRAY['url']);
SELECT pgfast.ensure_index('search_results', ARRAY['query_id'],
                           '{"where": "NOT is_scraped"}');
SELECT pgfast.fts_index('search_results', ARRAY['title', 'snippet'], 'english', ARRAY['A', 'B']::"char"[]);

-- website_content
SELECT pgfast.ensure_index('website_content', ARRAY['domain', 'scraped_at DESC']);
SELECT pgfast.fts_index('website_content', ARRAY['title', 'content'], 'english', ARRAY['A', 'B']::"char"[],
                        '{"generated_column": "search_vector"}');
SELECT pgfast.ensure_index('website_content', ARRAY['scraped_at'],
                           '{"where": "scraped_at >= ''2026-06-01''", "include": ["domain"]}');
SELECT pgfast.ensure_index('website_content', ARRAY['created_at'], '{"method": "brin"}');
SELECT pgfast.ensure_index('website_content', ARRAY['status_code'],
                           '{"where": "status_code <> 200"}');

-- extracted_nouns
SELECT pgfast.ensure_index('extracted_nouns', ARRAY['noun'],
                           '{"include": ["content_id", "tfidf_score"]}');
SELECT pgfast.ensure_index('extracted_nouns', ARRAY['content_id', 'tfidf_score DESC']);

-- entities
SELECT pgfast.ensure_index('entities', ARRAY['entity_type', 'entity_text']);
SELECT pgfast.ensure_index('entities', ARRAY['entity_text'],
                           '{"where": "entity_type IN (''PERSON'', ''ORG'')", "include": ["content_id"]}');

-- network_exports
SELECT pgfast.ensure_index('network_exports', ARRAY['session_id', 'created_at DESC']);
SELECT pgfast.ensure_index('network_exports', ARRAY['status'],
                           '{"where": "status IN (''pending'', ''running'')"}');

-- scraping_jobs
SELECT pgfast.ensure_index('scraping_jobs', ARRAY['session_id', 'status']);
SELECT pgfast.ensure_index('scraping_jobs', ARRAY['created_at'],
                           '{"where": "status IN (''pending'', ''running'')"}');
