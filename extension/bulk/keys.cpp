#include "bulk/keys.hpp"

#include <algorithm>
#include <set>

#include "core/bulk_sql.hpp"
#include "core/error.hpp"
#include "core/row_error.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
}

namespace pgfast::bulk {

std::vector<std::string> resolve_keys(const pg::RelationInfo& target,
                                      const std::optional<std::vector<std::string>>& requested,
                                      const char* argument, bool need_unique_index) {
  std::vector<std::string> keys;
  if (requested) {
    if (requested->empty()) {
      throw Error(sqlstate::kInvalidParameterValue, std::string(argument) + " must not be empty");
    }
    std::set<std::string> seen;
    for (const std::string& k : *requested) {
      target.require_column(k, argument);
      if (!seen.insert(k).second) {
        throw Error(sqlstate::kInvalidParameterValue,
                    "column \"" + k + "\" appears twice in " + argument);
      }
      keys.push_back(k);
    }
  } else {
    const pg::UniqueIndex* pk = target.primary_key();
    if (pk == nullptr) {
      throw Error(sqlstate::kInvalidColumnReference, target.qualified_name + " has no primary key",
                  "", "Pass " + std::string(argument) + " naming the columns of a unique index.");
    }
    keys = pk->columns;
  }
  if (need_unique_index) {
    std::set<std::string> wanted(keys.begin(), keys.end());
    bool found = std::any_of(
        target.unique_indexes.begin(), target.unique_indexes.end(), [&](const pg::UniqueIndex& u) {
          return std::set<std::string>(u.columns.begin(), u.columns.end()) == wanted;
        });
    if (!found) {
      std::string names;
      for (const std::string& k : keys) names += (names.empty() ? "" : ", ") + k;
      throw Error(sqlstate::kInvalidColumnReference,
                  "no unique index of " + target.qualified_name + " matches " + argument + " (" +
                      names + ")",
                  "", "Create a unique index or constraint on exactly these columns.");
    }
  }
  return keys;
}

void check_keys_present(pg::SpiSession& spi, const Stage& stage,
                        const std::vector<std::string>& keys, const char* argument) {
  bulk_sql::Tables t{"", stage.name, stage.ord};
  for (const std::string& k : keys) {
    if (std::find(stage.columns.begin(), stage.columns.end(), k) == stage.columns.end()) {
      if (stage.rows == 0) continue;
      throw Error(sqlstate::kNotNullViolation,
                  "key column \"" + k + "\" is missing from " + argument,
                  "Every row must carry the key columns.");
    }
    spi.execute(bulk_sql::first_null_key(t, k), false);
    if (auto ord = spi.text(0, 0)) {
      throw row_error(sqlstate::kNotNullViolation, "key column \"" + k + "\" is NULL",
                      std::stoll(*ord), k);
    }
  }
}

std::vector<std::string> resolve_set_columns(
    const pg::RelationInfo& target, const std::vector<std::string>& columns, int64_t rows,
    const std::vector<std::string>& keys,
    const std::optional<std::vector<std::string>>& requested) {
  std::vector<std::string> out;
  auto is_key = [&](const std::string& c) {
    return std::find(keys.begin(), keys.end(), c) != keys.end();
  };
  if (!requested) {
    for (const std::string& c : columns) {
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
      throw Error(sqlstate::kGeneratedAlways,
                  "column \"" + c + "\" of update_columns cannot be written");
    }
    if (rows > 0 && std::find(columns.begin(), columns.end(), c) == columns.end()) {
      throw Error(sqlstate::kInvalidParameterValue,
                  "update column \"" + c + "\" is not present in the input rows");
    }
    if (std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
  }
  return out;
}

std::vector<int64_t> ords_of_result(pg::SpiSession& spi) {
  std::vector<int64_t> ords;
  ords.reserve(spi.rows());
  for (uint64_t r = 0; r < spi.rows(); ++r) ords.push_back(std::stoll(spi.text_not_null(r, 0)));
  return ords;
}

namespace {

// Key types whose sort is cheap: fixed width, no collation (text sorts by strcoll() in most
// databases, where hashing is cheaper).
bool sorts_fast(const pg::ColumnInfo& c) {
  switch (c.type) {
    case INT2OID:
    case INT4OID:
    case INT8OID:
    case UUIDOID:
    case DATEOID:
    case TIMESTAMPOID:
    case TIMESTAMPTZOID:
      return true;
    default:
      return false;
  }
}

}  // namespace

bool one_fast_sorting_key(const pg::RelationInfo& target, const std::vector<std::string>& keys) {
  return keys.size() == 1 && sorts_fast(*target.column(keys[0]));
}

std::vector<int64_t> resolve_duplicates(pg::SpiSession& spi, const pg::RelationInfo& target,
                                        const Stage& stage, const std::vector<std::string>& keys,
                                        OnDuplicate mode, const char* argument) {
  bulk_sql::Tables t = stage.tables(target);
  spi.execute(bulk_sql::any_duplicate(t, keys, one_fast_sorting_key(target, keys)), false);
  if (spi.rows() == 0) return {};
  if (mode == OnDuplicate::kError) {
    spi.execute(bulk_sql::first_duplicate(t, keys), false);
    if (spi.rows() > 0) {
      const std::string first = spi.text_not_null(0, 0);
      const std::string again = spi.text_not_null(0, 1);
      throw row_error(
          sqlstate::kCardinalityViolation, "an input row repeats the key of an earlier one",
          std::stoll(again), {},
          std::string(argument) + "[" + again + "] has the key of " + argument + "[" + first + "].",
          "Use on_duplicate \"last\" or \"first\" to keep one of them.");
    }
    return {};
  }
  spi.execute(bulk_sql::remove_duplicates(t, keys, mode == OnDuplicate::kLast), false);
  std::vector<int64_t> removed = ords_of_result(spi);
  std::sort(removed.begin(), removed.end());
  removed.erase(std::unique(removed.begin(), removed.end()), removed.end());
  return removed;
}

}  // namespace pgfast::bulk
