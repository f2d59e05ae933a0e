#include "indexes/job_table.hpp"

#include <algorithm>

#include "pg/guard.hpp"
#include "pg/spi.hpp"
#include "pg/top_level.hpp"

extern "C" {
#include "catalog/pg_type.h"
}

namespace pgfast::indexes {

namespace {

// The oldest queued job of each role with queued jobs: a loose index scan over
// index_job_queued_by_role, one probe per role (O(roles · log jobs), however many jobs one role
// queued).
constexpr const char* kQueuedPerRole =
    "WITH RECURSIVE roles(role, job) AS ("
    " (SELECT requested_by, job_id FROM pgfast.index_job"
    "   WHERE state OPERATOR(pg_catalog.=) 'queued'::pg_catalog.text"
    "   ORDER BY requested_by, job_id LIMIT 1)"
    " UNION ALL"
    " SELECT n.requested_by, n.job_id FROM roles r CROSS JOIN LATERAL"
    " (SELECT j.requested_by, j.job_id FROM pgfast.index_job j"
    "   WHERE j.state OPERATOR(pg_catalog.=) 'queued'::pg_catalog.text"
    "   AND j.requested_by OPERATOR(pg_catalog.>) r.role"
    "   ORDER BY j.requested_by, j.job_id LIMIT 1) n) "
    "SELECT job, role FROM roles";

// One try of claim_next_job (`found`; `chosen` is the job tried, 0 when none is queued).
void claim_once(Job& job, const std::vector<Oid>& busy, const std::map<Oid, uint64_t>& served,
                int64_t& chosen, bool& found) {
  pg::in_transaction([&](pg::SpiSession& spi) {
    spi.execute(kQueuedPerRole, false);
    uint64_t chosen_turn = 0;
    for (uint64_t r = 0; r < spi.rows(); ++r) {
      int64_t id = std::stoll(spi.text_not_null(r, 0));
      Oid role = static_cast<Oid>(std::stoul(spi.text_not_null(r, 1)));
      if (std::find(busy.begin(), busy.end(), role) != busy.end()) continue;
      auto it = served.find(role);
      uint64_t turn = it == served.end() ? 0 : it->second;
      if (chosen == 0 || turn < chosen_turn || (turn == chosen_turn && id < chosen)) {
        chosen = id;
        chosen_turn = turn;
      }
    }
    if (chosen == 0) return;
    pg::SpiArgs args;
    args.add(INT8OID, Int64GetDatum(chosen));
    spi.execute(
        "UPDATE pgfast.index_job j SET state = 'running', started_at = "
        "pg_catalog.clock_timestamp() "
        "FROM pg_catalog.pg_class c "
        "WHERE c.oid OPERATOR(pg_catalog.=) j.relation AND j.job_id OPERATOR(pg_catalog.=) $1 "
        "AND j.state OPERATOR(pg_catalog.=) 'queued'::pg_catalog.text "
        "RETURNING j.job_id, j.requested_by, j.definition, j.relation, j.index_name, "
        "COALESCE(j.search_path, '')",
        args, false);
    if (spi.rows() == 0) {
      spi.execute(
          "UPDATE pgfast.index_job j SET state = 'failed', error = 'the table no longer exists', "
          "finished_at = pg_catalog.clock_timestamp() WHERE j.job_id OPERATOR(pg_catalog.=) $1 "
          "AND j.state OPERATOR(pg_catalog.=) 'queued'::pg_catalog.text AND NOT EXISTS "
          "(SELECT 1 FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) j.relation)",
          args, false);
      return;
    }
    found = true;
    job.id = std::stoll(spi.text_not_null(0, 0));
    job.role = static_cast<Oid>(std::stoul(spi.text_not_null(0, 1)));
    job.definition = spi.text_not_null(0, 2);
    job.relation = static_cast<Oid>(std::stoul(spi.text_not_null(0, 3)));
    job.index_name = spi.text_not_null(0, 4);
    job.search_path = spi.text_not_null(0, 5);
  });
}

}  // namespace

bool has_job_table() {
  return pg::relation_exists_in_own_transaction("pgfast", "index_job");
}

void finish_job(int64_t id, bool done, const std::string& error) {
  pg::in_transaction([&](pg::SpiSession& spi) {
    pg::SpiArgs args;
    args.add(INT8OID, Int64GetDatum(id));
    args.add_text(done ? "done" : "failed");
    args.add_text(error);
    spi.execute(
        "UPDATE pgfast.index_job SET state = $2, error = CASE WHEN $3 OPERATOR(pg_catalog.=) "
        "''::pg_catalog.text THEN NULL ELSE $3 END, finished_at = pg_catalog.clock_timestamp() "
        "WHERE job_id OPERATOR(pg_catalog.=) $1",
        args, false);
  });
}

bool claim_next_job(Job& job, const std::vector<Oid>& busy, const std::map<Oid, uint64_t>& served) {
  for (;;) {
    int64_t chosen = 0;
    bool found = false;
    claim_once(job, busy, served, chosen, found);
    if (found || chosen == 0) return found;
    // The chosen job's table was dropped (the job is failed now): look again.
  }
}

void requeue_job(int64_t id) {
  pg::in_transaction([&](pg::SpiSession& spi) {
    pg::SpiArgs args;
    args.add(INT8OID, Int64GetDatum(id));
    spi.execute(
        "UPDATE pgfast.index_job SET state = 'queued', started_at = NULL, worker_pid = NULL "
        "WHERE job_id OPERATOR(pg_catalog.=) $1",
        args, false);
  });
}

void record_worker_pid(int64_t id, pid_t pid) {
  pg::in_transaction([&](pg::SpiSession& spi) {
    pg::SpiArgs args;
    args.add(INT8OID, Int64GetDatum(id));
    args.add(INT4OID, Int32GetDatum(pid));
    spi.execute(
        "UPDATE pgfast.index_job SET worker_pid = $2 WHERE job_id OPERATOR(pg_catalog.=) $1", args,
        false);
  });
}

std::vector<Job> running_jobs() {
  std::vector<Job> jobs;
  pg::in_transaction([&](pg::SpiSession& spi) {
    spi.execute(
        "SELECT job_id, relation, index_name, COALESCE(worker_pid, 0) FROM pgfast.index_job "
        "WHERE state OPERATOR(pg_catalog.=) 'running'::pg_catalog.text",
        false);
    for (uint64_t r = 0; r < spi.rows(); ++r) {
      Job job;
      job.id = std::stoll(spi.text_not_null(r, 0));
      job.relation = static_cast<Oid>(std::stoul(spi.text_not_null(r, 1)));
      job.index_name = spi.text_not_null(r, 2);
      job.worker_pid = std::stoi(spi.text_not_null(r, 3));
      jobs.push_back(job);
    }
  });
  return jobs;
}

}  // namespace pgfast::indexes
