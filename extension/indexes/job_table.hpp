// pgfast.index_job, the queue of background index builds, as the database worker reads and writes
// it (as pg_cron's job_metadata.c does for cron.job): each function is one short transaction of
// its own (pg::in_transaction), for a background worker outside any transaction.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "pg/postgres.hpp"

namespace pgfast::indexes {

struct Job {
  int64_t id = 0;
  Oid role = InvalidOid;
  Oid relation = InvalidOid;
  int worker_pid = 0;
  std::string definition;
  std::string search_path;
  std::string index_name;
};

// Whether this database has pgfast.index_job (the extension is created in it).
bool has_job_table();
// Records a job's outcome: done, or failed with `error`.
void finish_job(int64_t id, bool done, const std::string& error);
// The jobs left `running` (id, relation, index_name, worker_pid), by an earlier database worker.
std::vector<Job> running_jobs();
// Claims the next job (false: none can be claimed now): the oldest queued job of the requesting
// role served least recently by this database worker (`served`: role -> its last turn), among the
// roles with no build running (`busy`). Round robin between roles: one role's many jobs never
// queue another role's job behind them, and no role runs two builds at once. A chosen job whose
// table was dropped is failed (so it strands no later job).
bool claim_next_job(Job& job, const std::vector<Oid>& busy, const std::map<Oid, uint64_t>& served);
// A claimed job that could not start while other builds of this database run: queued again, it
// starts when one of them ends.
void requeue_job(int64_t id);
// The pid of the build worker running a job.
void record_worker_pid(int64_t id, pid_t pid);

}  // namespace pgfast::indexes
