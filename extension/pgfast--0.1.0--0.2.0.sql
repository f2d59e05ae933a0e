-- pgfast 0.1.0 -> 0.2.0 (security hardening, issue #15). An upgraded database must hold exactly the
-- objects and privileges of a fresh 0.2.0 install: tests/integration/upgrade_test.sh compares them.
\echo Use "ALTER EXTENSION pgfast UPDATE TO '0.2.0'" to load this file. \quit

-- index definitions and reports
-- ---------------------------------------------------------------------------------------------
-- pgfast.index_jobs shows each role its own jobs; as a security barrier its filter runs before
-- any condition of the caller's (a cheap leaky function would otherwise see every role's
-- definitions and build errors).
ALTER VIEW pgfast.index_jobs SET (security_barrier = true);
