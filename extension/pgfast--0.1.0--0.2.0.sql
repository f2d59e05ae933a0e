-- pgfast 0.1.0 -> 0.2.0 (security hardening, issue #15). An upgraded database must hold exactly the
-- objects and privileges of a fresh 0.2.0 install: tests/integration/upgrade_test.sh compares them.
\echo Use "ALTER EXTENSION pgfast UPDATE TO '0.2.0'" to load this file. \quit

-- Internal functions: not executable by PUBLIC unless they must be (the trigger function, and the
-- helpers index_report and the slow-query views call as the caller, must stay executable).
REVOKE ALL ON FUNCTION pgfast._random_bytes(int) FROM PUBLIC;
