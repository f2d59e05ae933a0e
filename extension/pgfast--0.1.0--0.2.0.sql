-- pgfast 0.1.0 -> 0.2.0 (security hardening, issue #15). An upgraded database must hold exactly the
-- objects and privileges of a fresh 0.2.0 install: tests/integration/upgrade_test.sh compares them.
\echo Use "ALTER EXTENSION pgfast UPDATE TO '0.2.0'" to load this file. \quit

-- index worker
-- The worker's claim: the oldest queued job of each role (extension/indexes/worker.cpp).
CREATE INDEX index_job_queued_by_role ON pgfast.index_job (requested_by, job_id)
  WHERE state = 'queued';
