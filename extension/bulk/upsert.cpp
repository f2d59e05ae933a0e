#include "bulk/upsert.hpp"

#include "bulk/arguments.hpp"
#include "bulk/keys.hpp"
#include "bulk/matched_update.hpp"
#include "core/bulk_sql.hpp"
#include "core/error.hpp"
#include "pg/datum.hpp"
#include "pg/guard.hpp"
#include "pg/srf.hpp"
#include "pg/subtransaction.hpp"

extern "C" {
#include "catalog/pg_class.h"
}

namespace pgfast::bulk {

namespace {

struct Inserted {
  int64_t inserted = 0;
  int64_t conflict_updated = 0;
  std::vector<int64_t> inserted_ords;  // with ords only
  std::vector<int64_t> conflict_ords;
};

void read_inserted(pg::SpiSession& spi, bool with_ords, Inserted& out) {
  if (!with_ords) {
    out.inserted = std::stoll(spi.text_not_null(0, 0));
    out.conflict_updated = std::stoll(spi.text_not_null(0, 1));
    return;
  }
  for (uint64_t r = 0; r < spi.rows(); ++r) {
    bool is_insert = spi.text_not_null(r, 1) == "t";
    (is_insert ? out.inserted_ords : out.conflict_ords)
        .push_back(std::stoll(spi.text_not_null(r, 0)));
  }
  out.inserted = static_cast<int64_t>(out.inserted_ords.size());
  out.conflict_updated = static_cast<int64_t>(out.conflict_ords.size());
}

// Inserts the staged rows not in `matched` in key order: a plain INSERT first, in a
// subtransaction; if another transaction inserted one of the keys since they were collected (a
// unique violation), that attempt is rolled back and the rows go through INSERT ... ON CONFLICT.
Inserted insert_new(pg::SpiSession& spi, const pg::RelationInfo& target, const bulk_sql::Tables& t,
                    const Stage& stage, const std::vector<std::string>& keys,
                    const std::vector<std::string>& set_columns, const std::string& matched,
                    bool with_ords) {
  const bool tell_conflicts = target.kind != RELKIND_PARTITIONED_TABLE;
  Inserted out;
  try {
    pg::Subtransaction sub;
    spi.execute(bulk_sql::insert_missing(t, keys, stage.columns, set_columns, matched, false,
                                         tell_conflicts, with_ords),
                false);
    read_inserted(spi, with_ords, out);
    sub.commit();
    return out;
  } catch (const Error& e) {
    if (e.sqlstate() != sqlstate::kUniqueViolation) throw;
  }
  out = Inserted{};
  spi.execute(bulk_sql::insert_missing(t, keys, stage.columns, set_columns, matched, true,
                                       tell_conflicts, with_ords),
              false);
  read_inserted(spi, with_ords, out);
  return out;
}

}  // namespace

Outcome run_upsert(pg::SpiSession& spi, const UpsertCall& call, const Stage& stage,
                   const char* argument, bool with_rows) {
  const pg::RelationInfo& target = call.target;
  const Options& options = call.options;
  std::vector<std::string> keys =
      resolve_keys(target, call.conflict_columns, "conflict_columns", true);
  std::vector<std::string> set_columns =
      resolve_set_columns(target, stage.columns, stage.rows, keys, call.update_columns);
  Outcome out;
  if (stage.rows == 0) return out;
  check_keys_present(spi, stage, keys, argument);
  bulk_sql::Tables t = stage.tables(target);
  if (with_rows) {
    spi.execute("SELECT \"s\"." + stage.ord + ", " + bulk_sql::key_json(keys) + "::text FROM " +
                    stage.name + " \"s\"",
                false);
    for (uint64_t r = 0; r < spi.rows(); ++r) {
      out.keys[std::stoll(spi.text_not_null(r, 0))] = spi.text_not_null(r, 1);
    }
  }
  std::vector<int64_t> removed =
      resolve_duplicates(spi, target, stage, keys, options.on_duplicate, argument);
  const int64_t applied = stage.rows - static_cast<int64_t>(removed.size());

  MatchedUpdate m = update_matched_rows(spi, target, t, keys, set_columns, options.only_changed,
                                        applied, with_rows);
  const int64_t matched = m.matched;
  const int64_t updated_count = m.updated;
  const std::vector<int64_t>& updated = m.updated_ords;
  Inserted inserted;
  if (applied > matched) {
    inserted = insert_new(spi, target, t, stage, keys, set_columns,
                          matched > 0 ? m.matched_table : std::string(), with_rows);
  }
  spi.execute("DROP TABLE " + m.matched_table, false);
  out.inserted = inserted.inserted;
  out.updated = updated_count + inserted.conflict_updated;
  out.unchanged = applied - out.inserted - out.updated;
  if (with_rows) {
    for (const auto& [ord, key] : out.keys) out.actions[ord] = Action::kUnchanged;
    for (int64_t ord : removed) out.actions[ord] = Action::kDuplicate;
    for (int64_t ord : updated) out.actions[ord] = Action::kUpdated;
    for (int64_t ord : inserted.conflict_ords) out.actions[ord] = Action::kUpdated;
    for (int64_t ord : inserted.inserted_ords) out.actions[ord] = Action::kInserted;
  }
  return out;
}

const char* action_name(Action a) {
  switch (a) {
    case Action::kInserted:
      return "inserted";
    case Action::kUpdated:
      return "updated";
    case Action::kUnchanged:
      return "unchanged";
    case Action::kDuplicate:
      return "duplicate";
  }
  return "unchanged";
}

Datum counts_result(FunctionCallInfo fcinfo, const Outcome& o) {
  pg::MaterializedResult result(fcinfo);
  Datum values[3] = {Int64GetDatum(o.inserted), Int64GetDatum(o.updated),
                     Int64GetDatum(o.unchanged)};
  bool nulls[3] = {false, false, false};
  result.put(values, nulls);
  return static_cast<Datum>(0);
}

UpsertCall read_upsert_call(pg::SpiSession& spi, FunctionCallInfo fcinfo, const char* function) {
  UpsertCall call;
  call.target = read_target(spi, fcinfo, function);
  call.conflict_columns = pg::text_array_arg(fcinfo, 2, "conflict_columns");
  call.update_columns = pg::text_array_arg(fcinfo, 3, "update_columns");
  call.options = parse_options(fcinfo, 4);
  return call;
}

Outcome upsert_json_rows(pg::SpiSession& spi, FunctionCallInfo fcinfo, const UpsertCall& call,
                         bool with_rows) {
  Stage stage = stage_json(spi, call.target, require_arg(fcinfo, 1, "rows"), "rows");
  Outcome o = run_upsert(spi, call, stage, "rows", with_rows);
  drop_stage(spi, stage);
  return o;
}

}  // namespace pgfast::bulk
