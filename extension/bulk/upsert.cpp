// pgfast.bulk_upsert, pgfast.bulk_upsert_from, pgfast.bulk_upsert_rows.
//
// Set-based on a staging table: keys checked (present, non-NULL, unique per on_duplicate); matched
// rows counted; the rows to update locked in key order and updated (only where a value differs,
// with update_when = changed: an unchanged row is not locked, gets no new version and writes no
// WAL); then the missing rows inserted in key order. New rows are inserted by an INSERT that only
// sees rows without a match, so sequences are not consumed by rows that end up as updates; ON
// CONFLICT covers rows another transaction inserted meanwhile. One call is one statement's worth of
// work in the caller's transaction: any error undoes all of it.
#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bulk/keys.hpp"
#include "bulk/options.hpp"
#include "bulk/stage.hpp"
#include "core/bulk_sql.hpp"
#include "core/error.hpp"
#include "pg/datum.hpp"
#include "pg/guard.hpp"
#include "pg/relation_info.hpp"
#include "pg/spi.hpp"
#include "pg/srf.hpp"

extern "C" {
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
}

namespace pgfast::bulk {

namespace {

enum class Action : char { kInserted = 'i', kUpdated = 'u', kUnchanged = 'n', kDuplicate = 'd' };

struct Outcome {
  int64_t inserted = 0;
  int64_t updated = 0;
  int64_t unchanged = 0;
  std::map<int64_t, Action> actions;  // filled only when asked
  std::map<int64_t, std::string> keys;
};

std::vector<std::string> resolve_set_columns(
    const pg::RelationInfo& target, const Stage& stage, const std::vector<std::string>& keys,
    const std::optional<std::vector<std::string>>& requested) {
  std::vector<std::string> out;
  auto is_key = [&](const std::string& c) {
    return std::find(keys.begin(), keys.end(), c) != keys.end();
  };
  if (!requested) {
    for (const std::string& c : stage.columns) {
      if (!is_key(c)) out.push_back(c);
    }
    return out;
  }
  for (const std::string& c : *requested) {
    const pg::ColumnInfo& info = target.require_column(c, "update_columns");
    if (is_key(c)) {
      throw Error(sqlstate::kInvalidParameterValue,
                  "update_columns names the conflict column \"" + c + "\"");
    }
    if (info.generated || info.identity_always) {
      throw Error("428C9", "column \"" + c + "\" of update_columns cannot be written");
    }
    if (stage.rows > 0 &&
        std::find(stage.columns.begin(), stage.columns.end(), c) == stage.columns.end()) {
      throw Error(sqlstate::kInvalidParameterValue,
                  "update column \"" + c + "\" is not present in the input rows");
    }
    if (std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
  }
  return out;
}

Outcome run_upsert(pg::SpiSession& spi, const pg::RelationInfo& target, const Stage& stage,
                   const std::optional<std::vector<std::string>>& conflict_columns,
                   const std::optional<std::vector<std::string>>& update_columns,
                   const Options& options, const char* argument, bool with_rows) {
  std::vector<std::string> keys = resolve_keys(target, conflict_columns, "conflict_columns", true);
  std::vector<std::string> set_columns = resolve_set_columns(target, stage, keys, update_columns);
  Outcome out;
  if (stage.rows == 0) return out;
  check_keys_present(spi, stage, keys, argument);
  bulk_sql::Tables t{target.qualified_name, stage.name};
  if (with_rows) {
    spi.execute(
        "SELECT \"s\".ord, " + bulk_sql::key_json(keys) + "::text FROM " + stage.name + " \"s\"",
        false);
    for (uint64_t r = 0; r < spi.rows(); ++r) {
      out.keys[std::stoll(spi.text_not_null(r, 0))] = spi.text_not_null(r, 1);
    }
  }
  std::vector<int64_t> removed =
      resolve_duplicates(spi, target, stage, keys, options.on_duplicate, argument);

  // Count matched and differing rows without locking: unchanged rows then cost a read, no lock
  // and no write. Rows to update are locked in key order first (no deadlock between calls with
  // overlapping keys), then updated.
  spi.execute(bulk_sql::count_matches(t, keys, set_columns), false);
  const int64_t existing = std::stoll(spi.text_not_null(0, 0));
  const int64_t differing = std::stoll(spi.text_not_null(0, 1));
  std::vector<int64_t> updated;
  if (!set_columns.empty() && (options.only_changed ? differing > 0 : existing > 0)) {
    spi.execute(options.only_changed ? bulk_sql::lock_differing(t, keys, set_columns)
                                     : bulk_sql::lock_existing(t, keys),
                false);
    spi.execute(bulk_sql::update_from_stage(t, keys, set_columns, options.only_changed), false);
    updated = ords_of_result(spi);
  }
  const bool new_rows = existing < stage.rows - static_cast<int64_t>(removed.size());
  if (new_rows) {
    spi.execute(bulk_sql::insert_missing(t, keys, stage.columns, set_columns, options.only_changed,
                                         target.kind != RELKIND_PARTITIONED_TABLE, with_rows),
                false);
  }
  std::vector<int64_t> inserted;
  std::vector<int64_t> conflict_updated;
  int64_t inserted_count = 0;
  int64_t conflict_count = 0;
  if (new_rows && !with_rows) {
    inserted_count = std::stoll(spi.text_not_null(0, 0));
    conflict_count = std::stoll(spi.text_not_null(0, 1));
  }
  for (uint64_t r = 0; new_rows && with_rows && r < spi.rows(); ++r) {
    bool is_insert = spi.text_not_null(r, 1) == "t";
    int64_t ord = std::stoll(spi.text_not_null(r, 0));
    (is_insert ? inserted_count : conflict_count) += 1;
    (is_insert ? inserted : conflict_updated).push_back(ord);
  }
  out.inserted = inserted_count;
  out.updated = static_cast<int64_t>(updated.size()) + conflict_count;
  out.unchanged = stage.rows - static_cast<int64_t>(removed.size()) - out.inserted - out.updated;
  if (with_rows) {
    for (const auto& [ord, key] : out.keys) out.actions[ord] = Action::kUnchanged;
    for (int64_t ord : removed) out.actions[ord] = Action::kDuplicate;
    for (int64_t ord : updated) out.actions[ord] = Action::kUpdated;
    for (int64_t ord : conflict_updated) out.actions[ord] = Action::kUpdated;
    for (int64_t ord : inserted) out.actions[ord] = Action::kInserted;
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

struct Call {
  pg::RelationInfo target;
  std::optional<std::vector<std::string>> conflict_columns;
  std::optional<std::vector<std::string>> update_columns;
  Options options;
};

// Arguments 0 (target), 2 (conflict_columns), 3 (update_columns), 4 (options).
Call read_call(pg::SpiSession& spi, FunctionCallInfo fcinfo) {
  if (PG_ARGISNULL(0)) throw Error(sqlstate::kNullValueNotAllowed, "target must not be NULL");
  Call call;
  call.target = pg::load_relation(spi, PG_GETARG_OID(0));
  require_table(call.target);
  call.conflict_columns = pg::text_array_arg(fcinfo, 2, "conflict_columns");
  call.update_columns = pg::text_array_arg(fcinfo, 3, "update_columns");
  call.options = parse_options(spi, fcinfo, 4);
  return call;
}

Datum bulk_upsert(FunctionCallInfo fcinfo, bool with_rows) {
  pg::SpiSession spi;
  Call call = read_call(spi, fcinfo);
  if (PG_ARGISNULL(1)) throw Error(sqlstate::kNullValueNotAllowed, "rows must not be NULL");
  Stage stage = stage_json(spi, call.target, PG_GETARG_DATUM(1), "rows");
  Outcome o = run_upsert(spi, call.target, stage, call.conflict_columns, call.update_columns,
                         call.options, "rows", with_rows);
  drop_stage(spi, stage);
  if (!with_rows) return counts_result(fcinfo, o);
  pg::MaterializedResult result(fcinfo);
  for (const auto& [ord, action] : o.actions) {
    Datum values[3] = {Int64GetDatum(ord), pg::text_datum(action_name(action)),
                       pg::jsonb_datum(o.keys.at(ord))};
    bool nulls[3] = {false, false, false};
    result.put(values, nulls);
  }
  return static_cast<Datum>(0);
}

Datum bulk_upsert_from(FunctionCallInfo fcinfo) {
  pg::SpiSession spi;
  Call call = read_call(spi, fcinfo);
  if (PG_ARGISNULL(1)) throw Error(sqlstate::kNullValueNotAllowed, "source must not be NULL");
  Stage stage = stage_relation(spi, call.target, PG_GETARG_OID(1));
  Outcome o = run_upsert(spi, call.target, stage, call.conflict_columns, call.update_columns,
                         call.options, "source", false);
  drop_stage(spi, stage);
  return counts_result(fcinfo, o);
}

}  // namespace

}  // namespace pgfast::bulk

extern "C" {
PG_FUNCTION_INFO_V1(pgfast_bulk_upsert);
Datum pgfast_bulk_upsert(PG_FUNCTION_ARGS) {
  return pgfast::pg::sql_entry([&] { return pgfast::bulk::bulk_upsert(fcinfo, false); });
}

PG_FUNCTION_INFO_V1(pgfast_bulk_upsert_rows);
Datum pgfast_bulk_upsert_rows(PG_FUNCTION_ARGS) {
  return pgfast::pg::sql_entry([&] { return pgfast::bulk::bulk_upsert(fcinfo, true); });
}

PG_FUNCTION_INFO_V1(pgfast_bulk_upsert_from);
Datum pgfast_bulk_upsert_from(PG_FUNCTION_ARGS) {
  return pgfast::pg::sql_entry([&] { return pgfast::bulk::bulk_upsert_from(fcinfo); });
}
}
