#include "indexes/ensure.hpp"

#include <optional>
#include <vector>

#include "core/error.hpp"
#include "indexes/worker.hpp"
#include "pg/catalog.hpp"
#include "pg/run_as_owner.hpp"

extern "C" {
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
}

namespace pgfast::indexes {

namespace {

struct PendingJob {
  std::string index_name;
  std::optional<std::string> tree;  // definition_tree when queued; none for jobs queued by 0.1.0
};

// The job table is readable by no ordinary role: pgfast reads and writes it as its owner.
std::vector<PendingJob> pending_jobs(pg::SpiSession& spi, Oid relation) {
  pg::RunAsOwner owner;
  pg::SpiArgs args;
  args.add(OIDOID, ObjectIdGetDatum(relation));
  spi.execute(
      "SELECT index_name, definition_tree FROM pgfast.index_job "
      "WHERE relation OPERATOR(pg_catalog.=) $1 "
      "AND state OPERATOR(pg_catalog.=) ANY ('{queued,running}'::pg_catalog.text[]) "
      "ORDER BY job_id",
      args, false);
  std::vector<PendingJob> jobs;
  for (uint64_t r = 0; r < spi.rows(); ++r) {
    jobs.push_back({spi.text_not_null(r, 0), spi.text(r, 1)});
  }
  return jobs;
}

// `tree` is the definition as this session (the requester) transformed it: later requests by any
// role compare with it instead of parsing the requester's text (definition.hpp).
void enqueue(pg::SpiSession& spi, Oid relation, const std::string& name,
             const std::string& definition, const std::string& tree) {
  if (definition.size() >= kMaxJobDefinition) {
    throw Error(sqlstate::kProgramLimitExceeded,
                "the index definition is too long for a background build",
                std::to_string(definition.size()) + " bytes; the limit is " +
                    std::to_string(kMaxJobDefinition - 1) + ".");
  }
  Oid role = pg::current_user();
  if (!pg::role_can_login(role)) {
    throw Error(
        sqlstate::kInsufficientPrivilege,
        "a background index build runs as the role that asks for it, and this role cannot log in",
        "", "Ask as a role with LOGIN that owns the table, or use concurrently: false.");
  }
  // The build runs as this role in another session: with this session's search_path, names in
  // the definition's expressions resolve there as they did here.
  std::string search_path = pg::setting("search_path");
  if (search_path.size() >= 1024) search_path.clear();  // the role's default, then
  pg::RunAsOwner owner;
  pg::SpiArgs args;
  args.add(OIDOID, ObjectIdGetDatum(relation));
  args.add_text(name);
  args.add_text(definition);
  args.add(OIDOID, ObjectIdGetDatum(role));
  args.add_text(search_path);
  args.add_text(tree);
  spi.execute(
      "INSERT INTO pgfast.index_job (relation, index_name, definition, requested_by, search_path, "
      "definition_tree) VALUES ($1, $2, $3, $4, $5, $6)",
      args, false);
  wake_launcher_at_commit();
}

}  // namespace

std::string ensure_index(pg::SpiSession& spi, IndexRequest request, const std::string& name) {
  Oid relation = request.relation;
  pg::lock_owned_table(relation);
  if (request.concurrently) {
    if (pg::relation_kind(relation) == RELKIND_PARTITIONED_TABLE) {
      throw Error(sqlstate::kFeatureNotSupported,
                  "cannot build an index on a partitioned table concurrently", "",
                  "Use concurrently: false, or build on each partition.");
    }
    check_background_buildable(relation);  // temp tables, catalogs (indexes/worker.hpp)
    if (!workers_available()) {
      throw Error(sqlstate::kObjectNotInPrerequisiteState,
                  "concurrent index builds need the pgfast background worker", "",
                  "Add pgfast to shared_preload_libraries and restart the server.");
    }
  }
  bool concurrently = request.concurrently;
  request.concurrently = false;
  // The caller's own request, parsed as the caller (as its CREATE INDEX would be); everything it
  // is compared with is read as stored.
  std::string tree = definition_tree(relation, build_statement(request, ""));
  if (auto existing = find_equivalent_index(relation, tree)) return *existing;
  std::vector<PendingJob> jobs = pending_jobs(spi, relation);
  std::vector<std::string> taken;
  for (const PendingJob& job : jobs) {
    if (job.tree && same_definition(*job.tree, tree)) return job.index_name;
    taken.push_back(job.index_name);
  }

  std::string chosen = name;
  if (chosen.empty()) {
    chosen = choose_index_name(relation, request, taken);
  } else {
    bool exists = pg::name_taken_in_schema(relation, chosen);
    for (const std::string& t : taken) exists = exists || t == chosen;
    if (exists) {
      throw Error(sqlstate::kDuplicateTable,
                  "relation \"" + chosen + "\" already exists with another definition", "",
                  "Choose another name, or leave name out to reuse an equivalent index.");
    }
  }
  request.concurrently = concurrently;
  std::string statement = build_statement(request, chosen);
  if (concurrently) {
    enqueue(spi, relation, chosen, statement, tree);
  } else {
    spi.execute(statement, false);
  }
  return chosen;
}

}  // namespace pgfast::indexes
