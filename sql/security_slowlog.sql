-- Slow-query capture against a hostile role (issue #15, item 4). What one role sees of another's
-- captured statements follows pg_stat_activity: all details of roles whose privileges it has, or
-- with pg_read_all_stats; of the others no application_name, client_addr, queryid, query or plan.
-- The functions hide them, so a leaky function in the caller's WHERE sees nothing more.
-- (The per-role share of the ring needs a small pgfast.slow_query_max: see
-- tests/integration/slowlog_server_test.sh role_share.)
CREATE EXTENSION IF NOT EXISTS pgfast;
SET pgfast.slow_query_ms = -1;
SELECT current_user AS superuser \gset
SELECT pgfast.slow_queries_reset();
CREATE ROLE regress_pgfast_a LOGIN PASSWORD 'regress-a-pw';  -- for a password server
CREATE ROLE regress_pgfast_b LOGIN;
CREATE ROLE regress_pgfast_member LOGIN IN ROLE regress_pgfast_a;
CREATE ROLE regress_pgfast_stats LOGIN IN ROLE pg_read_all_stats;
-- Only a's statements are captured, with their plan; nobody else's.
ALTER ROLE regress_pgfast_a SET pgfast.slow_query_ms = 100;
ALTER ROLE regress_pgfast_a SET pgfast.slow_query_plan = 'text';

-- 1. Role a runs a slow statement in its own session, with an application name (over TCP when the
--    server is reached over TCP, so client_addr is set).
\c -reuse-previous=on "user=regress_pgfast_a password=regress-a-pw application_name=secret-app-a"
SELECT 'secret-literal-a' AS secret, pg_sleep(0.11) IS NOT NULL AS slept;
\c - :superuser
SET pgfast.slow_query_ms = -1;
-- The superuser sees everything, as captured.
SELECT username, application_name, client_addr IS NOT DISTINCT FROM inet_client_addr() AS same_client_addr,
       queryid IS NOT NULL AS has_queryid, query, plan IS NOT NULL AS has_plan
  FROM pgfast.slow_queries;

-- 2. Role b (no relation to a) sees that a ran a statement and how long, but none of its details.
SET SESSION AUTHORIZATION regress_pgfast_b;
SELECT username, application_name, client_addr, queryid, query, plan, duration_ms >= 100 AS slow
  FROM pgfast.slow_queries;
SELECT username, queryid, query, calls FROM pgfast.slow_query_stats;
-- Calling the functions behind the views directly shows no more.
SELECT application_name, client_addr, queryid, query, plan, text_visible FROM pgfast._slow_queries();
SELECT queryid, query FROM pgfast._slow_query_stats();
-- A leaky function cheaper than anything else runs first on every column b can name: it sees
-- nothing hidden, through the views or the functions behind them.
CREATE FUNCTION pg_temp.leak(text) RETURNS bool COST 0.0000001 LANGUAGE plpgsql
  AS $$BEGIN RAISE NOTICE 'leak %', $1; RETURN true; END$$;
SELECT count(*) AS rows_seen FROM pgfast.slow_queries
 WHERE pg_temp.leak(application_name) AND pg_temp.leak(client_addr::text)
   AND pg_temp.leak(queryid::text) AND pg_temp.leak(query) AND pg_temp.leak(plan);
SELECT count(*) AS rows_seen FROM pgfast.slow_query_stats
 WHERE pg_temp.leak(queryid::text) AND pg_temp.leak(query);
SELECT count(*) AS rows_seen FROM pgfast._slow_queries()
 WHERE pg_temp.leak(application_name) AND pg_temp.leak(client_addr)
   AND pg_temp.leak(queryid::text) AND pg_temp.leak(query) AND pg_temp.leak(plan);
SELECT count(*) AS rows_seen FROM pgfast._slow_query_stats()
 WHERE pg_temp.leak(queryid::text) AND pg_temp.leak(query);
DROP FUNCTION pg_temp.leak(text);
RESET SESSION AUTHORIZATION;

-- 3. A member of a has a's privileges, so sees a's details (as in pg_stat_activity).
SET SESSION AUTHORIZATION regress_pgfast_member;
SELECT username, application_name, client_addr IS NOT DISTINCT FROM inet_client_addr() AS same_client_addr,
       queryid IS NOT NULL AS has_queryid, query, plan IS NOT NULL AS has_plan
  FROM pgfast.slow_queries;
SELECT username, queryid IS NOT NULL AS has_queryid, query FROM pgfast.slow_query_stats;
RESET SESSION AUTHORIZATION;

-- 4. A member of pg_read_all_stats sees every role's details.
SET SESSION AUTHORIZATION regress_pgfast_stats;
SELECT username, application_name, client_addr IS NOT DISTINCT FROM inet_client_addr() AS same_client_addr,
       queryid IS NOT NULL AS has_queryid, query, plan IS NOT NULL AS has_plan
  FROM pgfast.slow_queries;
SELECT username, queryid IS NOT NULL AS has_queryid, query FROM pgfast.slow_query_stats;

-- 5. Nobody but a superuser changes the capture settings, nor resets, nor reads the share.
SET pgfast.slow_query_ms = 0;
SET pgfast.slow_query_log = off;
SET pgfast.slow_query_role_share = 1;
SELECT pgfast.slow_queries_reset();
SELECT capacity >= max_per_role AS share_within_ring, max_per_role >= 1 AS share_at_least_one
  FROM pgfast.slow_queries_info();
RESET SESSION AUTHORIZATION;

-- 6. The views are security barriers too.
SELECT c.relname, c.reloptions FROM pg_class c
 WHERE c.relnamespace = 'pgfast'::regnamespace AND c.relname IN ('slow_queries', 'slow_query_stats')
 ORDER BY c.relname;

SELECT pgfast.slow_queries_reset();
DROP ROLE regress_pgfast_a, regress_pgfast_b, regress_pgfast_member, regress_pgfast_stats;
