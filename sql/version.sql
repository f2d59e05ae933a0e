-- pgfast.version(): installed in schema pgfast, matches the control file, describes the build.
CREATE EXTENSION pgfast;
SELECT extversion, n.nspname AS schema, e.extrelocatable
  FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
 WHERE extname = 'pgfast';
SELECT pgfast.version() LIKE 'pgfast ' || (SELECT extversion FROM pg_extension WHERE extname = 'pgfast') || ' (PostgreSQL 15.%' AS version_matches;
SELECT pgfast.version() ~ 'C\+\+17\)$' AS names_language;
-- Every function is SECURITY INVOKER.
SELECT count(*) > 5 AS has_functions, bool_or(prosecdef) AS any_security_definer
  FROM pg_proc WHERE pronamespace = 'pgfast'::regnamespace;
-- Not relocatable.
CREATE SCHEMA elsewhere;
ALTER EXTENSION pgfast SET SCHEMA elsewhere;
DROP SCHEMA elsewhere;
