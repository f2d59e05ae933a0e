-- One role cannot stall another's reports (issue #15, DESIGN 3.1): a session holding a lock that
-- conflicts with ACCESS SHARE on its own index (an open DROP INDEX) does not make anyone's
-- pgfast.index_report() wait. The size then comes from pg_class, the GIN pending count is NULL.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dblink;
RESET client_min_messages;
CREATE ROLE regress_pgfast_staller LOGIN PASSWORD 'regress-staller-pw';
CREATE SCHEMA stall AUTHORIZATION regress_pgfast_staller;
SET ROLE regress_pgfast_staller;
CREATE TABLE stall.t (a int, doc tsvector);
INSERT INTO stall.t SELECT g FROM generate_series(1, 1000) g;
CREATE INDEX t_a ON stall.t (a);
CREATE INDEX t_doc ON stall.t USING gin (doc);
RESET ROLE;
SELECT size_bytes > 0 AS sized, gin_pending_pages FROM pgfast.index_report('stall.t')
 ORDER BY index_name;
-- The attacker's own session: DROP INDEX in a transaction left open.
-- The second session reaches the server the way this one did: psql's own host (a TCP host or a
-- Unix-socket directory) and port, and PGPASSWORD when the suite runs with one (a password server,
-- pg_virtualenv). Values are quoted for a connection string.
\set pgfast_password ''
\getenv pgfast_password PGPASSWORD
CREATE FUNCTION pg_temp.conninfo(host text, port text, role name, password text) RETURNS text
LANGUAGE sql AS $$
  SELECT string_agg(k || '=''' || replace(replace(v, '\', '\\'), '''', '\''') || '''', ' ')
    FROM (VALUES ('host', host), ('port', port), ('dbname', current_database()),
                 ('user', role::text), ('password', NULLIF(password, ''))) AS c(k, v)
   WHERE v IS NOT NULL
$$;
SELECT dblink_connect('staller', pg_temp.conninfo(:'HOST', :'PORT', 'regress_pgfast_staller',
                                                 'regress-staller-pw'));
SELECT dblink_exec('staller', 'BEGIN');
SELECT dblink_exec('staller', 'DROP INDEX stall.t_a');
SELECT dblink_exec('staller', 'DROP INDEX stall.t_doc');
-- Another role's report answers at once (the timeout only turns a regression into an error).
SET statement_timeout = '10s';
SELECT index_name, size_bytes = (SELECT relpages * current_setting('block_size')::bigint
                                    FROM pg_class WHERE relname = index_name) AS size_from_pg_class,
       gin_pending_pages
  FROM pgfast.index_report('stall.t') ORDER BY index_name;
SELECT count(*) > 0 AS whole_report FROM pgfast.index_report();
RESET statement_timeout;
SELECT dblink_exec('staller', 'ROLLBACK');
SELECT dblink_disconnect('staller');
-- Unlocked again: the live size.
SELECT index_name, size_bytes = pg_relation_size(('stall.' || index_name)::regclass) AS live_size
  FROM pgfast.index_report('stall.t') ORDER BY index_name;
DROP SCHEMA stall CASCADE;
DROP ROLE regress_pgfast_staller;
