// pgfast.bulk_upsert, pgfast.bulk_upsert_from, pgfast.bulk_upsert_rows.
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
#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bulk/in_place.hpp"
#include "bulk/keys.hpp"
#include "bulk/matched_update.hpp"
#include "bulk/options.hpp"
#include "bulk/stage.hpp"
#include "core/bulk_sql.hpp"
#include "core/error.hpp"
#include "pg/datum.hpp"
#include "pg/guard.hpp"
#include "pg/relation_info.hpp"
#include "pg/spi.hpp"
#include "pg/sql_function.hpp"
#include "pg/srf.hpp"
#include "pg/subtransaction.hpp"

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

// Collects which staged rows exist in the target (one snapshot), updates those that differ,
// inserts the rest.
Outcome run_upsert(pg::SpiSession& spi, const pg::RelationInfo& target, const Stage& stage,
                   const std::optional<std::vector<std::string>>& conflict_columns,
                   const std::optional<std::vector<std::string>>& update_columns,
                   const Options& options, const char* argument, bool with_rows) {
  std::vector<std::string> keys = resolve_keys(target, conflict_columns, "conflict_columns", true);
  std::vector<std::string> set_columns =
      resolve_set_columns(target, stage.columns, stage.rows, keys, update_columns);
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

struct Call {
  pg::RelationInfo target;
  std::optional<std::vector<std::string>> conflict_columns;
  std::optional<std::vector<std::string>> update_columns;
  Options options;
};

// Arguments 0 (target), 2 (conflict_columns), 3 (update_columns), 4 (options).
Call read_call(pg::SpiSession& spi, FunctionCallInfo fcinfo, const char* function) {
  if (PG_ARGISNULL(0)) throw Error(sqlstate::kNullValueNotAllowed, "target must not be NULL");
  Call call;
  call.target = pg::load_relation(spi, PG_GETARG_OID(0));
  check_target(spi, call.target, function);
  call.conflict_columns = pg::text_array_arg(fcinfo, 2, "conflict_columns");
  call.update_columns = pg::text_array_arg(fcinfo, 3, "update_columns");
  call.options = parse_options(fcinfo, 4);
  return call;
}

Datum bulk_upsert(FunctionCallInfo fcinfo, bool with_rows) {
  pg::SpiSession spi;
  Call call = read_call(spi, fcinfo, with_rows ? "bulk_upsert_rows" : "bulk_upsert");
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
  Call call = read_call(spi, fcinfo, "bulk_upsert_from");
  if (PG_ARGISNULL(1)) throw Error(sqlstate::kNullValueNotAllowed, "source must not be NULL");
  if (std::optional<InPlaceCounts> c =
          upsert_in_place(spi, call.target, PG_GETARG_OID(1), call.conflict_columns,
                          call.update_columns, call.options)) {
    Outcome o;
    o.inserted = c->inserted;
    o.updated = c->updated;
    o.unchanged = c->unchanged;
    return counts_result(fcinfo, o);
  }
  Stage stage = stage_relation(spi, call.target, PG_GETARG_OID(1));
  Outcome o = run_upsert(spi, call.target, stage, call.conflict_columns, call.update_columns,
                         call.options, "source", false);
  drop_stage(spi, stage);
  return counts_result(fcinfo, o);
}

}  // namespace

PGFAST_FUNCTION(pgfast_bulk_upsert) {
  return bulk_upsert(fcinfo, false);
}

PGFAST_FUNCTION(pgfast_bulk_upsert_rows) {
  return bulk_upsert(fcinfo, true);
}

PGFAST_FUNCTION(pgfast_bulk_upsert_from) {
  return bulk_upsert_from(fcinfo);
}

}  // namespace pgfast::bulk
