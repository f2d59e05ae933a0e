// The upsert behind pgfast.bulk_upsert, pgfast.bulk_upsert_rows and pgfast.bulk_upsert_from (each
// in the file named after it).
//
// Set-based on a staging table: keys checked (present, non-NULL, unique per on_duplicate); the
// ords of the staged rows whose key exists in the target collected in one statement (one snapshot
// decides update versus insert); the matched rows that differ updated with row locks taken in key
// order (update_when = changed: an unchanged row is not locked, gets no new version and writes no
// WAL); then the other rows inserted in key order. Only those reach the INSERT, so sequences are
// not consumed by rows that end up as updates. The INSERT is plain (no speculative insertion); a
// key another transaction inserted after the collection makes it fail with a unique violation, and
// the rows then go through ON CONFLICT instead. One call is one statement's worth of work in the
// caller's transaction: any error undoes all of it.
//
// bulk_upsert_from first tries its source in place, without a stage (bulk/in_place.hpp).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bulk/options.hpp"
#include "bulk/stage.hpp"
#include "pg/postgres.hpp"
#include "pg/relation_info.hpp"
#include "pg/spi.hpp"

namespace pgfast::bulk {

// What happened to one staged row (bulk_upsert_rows' `action`).
enum class Action : char { kInserted = 'i', kUpdated = 'u', kUnchanged = 'n', kDuplicate = 'd' };
const char* action_name(Action a);

struct Outcome {
  int64_t inserted = 0;
  int64_t updated = 0;
  int64_t unchanged = 0;
  std::map<int64_t, Action> actions;  // filled only when asked
  std::map<int64_t, std::string> keys;
};

// The arguments the three share: 0 (target), 2 (conflict_columns), 3 (update_columns),
// 4 (options).
struct UpsertCall {
  pg::RelationInfo target;
  std::optional<std::vector<std::string>> conflict_columns;
  std::optional<std::vector<std::string>> update_columns;
  Options options;
};
UpsertCall read_upsert_call(pg::SpiSession& spi, FunctionCallInfo fcinfo, const char* function);

// Collects which staged rows exist in the target (one snapshot), updates those that differ,
// inserts the rest. `argument` names the staged argument in errors; `with_rows` fills the
// per-row actions and keys.
Outcome run_upsert(pg::SpiSession& spi, const UpsertCall& call, const Stage& stage,
                   const char* argument, bool with_rows);

// bulk_upsert and bulk_upsert_rows: stages argument 1 (`rows`, jsonb), upserts it, drops the stage.
Outcome upsert_json_rows(pg::SpiSession& spi, FunctionCallInfo fcinfo, const UpsertCall& call,
                         bool with_rows);

// The (inserted, updated, unchanged) row of bulk_upsert and bulk_upsert_from.
Datum counts_result(FunctionCallInfo fcinfo, const Outcome& o);

}  // namespace pgfast::bulk
