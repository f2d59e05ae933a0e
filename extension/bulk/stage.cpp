#include "bulk/stage.hpp"

#include <set>

#include "core/error.hpp"
#include "core/sql_text.hpp"
#include "pg/subtransaction.hpp"

extern "C" {
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
}

namespace pgfast::bulk {

namespace {

constexpr char kWritableError[] = "428C9";  // generated_always

std::string column_list(const std::vector<std::string>& columns, const char* alias) {
  std::string out;
  for (const std::string& c : columns) {
    out += ", ";
    if (alias) out += std::string("\"") + alias + "\".";
    out += quote_identifier(c);
  }
  return out;
}

void check_writable(const pg::ColumnInfo& c, const std::string& where) {
  if (c.generated || c.identity_always) {
    throw Error(kWritableError,
                "column \"" + c.name + "\"" + where + " is " +
                    (c.generated ? "a generated column" : "an identity column GENERATED ALWAYS") +
                    " and cannot be written");
  }
}

// Creates the empty stage: ord plus the columns, typed exactly as in the target.
void create_stage(pg::SpiSession& spi, const pg::RelationInfo& target, const Stage& stage) {
  spi.execute("CREATE TEMPORARY TABLE " + stage.name +
                  " ON COMMIT DROP AS SELECT 0::bigint AS ord" + column_list(stage.columns, "t") +
                  " FROM " + target.qualified_name + " \"t\" WITH NO DATA",
              false);
}

// The populate expression of the input rows, over jsonb_array_elements($1) WITH ORDINALITY e(v,
// ord).
std::string populated_rows(const pg::RelationInfo& target) {
  return "pg_catalog.jsonb_array_elements($1) WITH ORDINALITY AS \"e\"(v, ord) CROSS JOIN LATERAL "
         "pg_catalog.jsonb_populate_record(NULL::" +
         target.qualified_name + ", \"e\".v) AS \"r\"";
}

// True when converting input rows lo..hi fails (run in a subtransaction and rolled back).
bool conversion_fails(pg::SpiSession& spi, const std::string& sql, Datum rows, int64_t lo,
                      int64_t hi) {
  pg::SpiArgs args;
  args.add(JSONBOID, rows);
  args.add(INT8OID, Int64GetDatum(lo));
  args.add(INT8OID, Int64GetDatum(hi));
  try {
    pg::Subtransaction sub;
    spi.execute(sql, args, true);
    sub.commit();
    return false;
  } catch (const Error&) {
    return true;
  }
}

// After the bulk conversion failed with `failure`: find the first failing row (binary search over
// ord ranges) and the failing column, and throw the error with both named.
[[noreturn]] void throw_conversion_error(pg::SpiSession& spi, const pg::RelationInfo& target,
                                         const Stage& stage, Datum rows, int64_t count,
                                         const Error& failure, const char* argument) {
  const std::string range_sql =
      "SELECT count(*) FROM " + populated_rows(target) + " WHERE \"e\".ord BETWEEN $2 AND $3";
  int64_t lo = 1;
  int64_t hi = count;
  while (lo < hi) {
    int64_t mid = lo + (hi - lo) / 2;
    if (conversion_fails(spi, range_sql, rows, lo, mid)) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  // The column: convert that row's fields one at a time.
  std::string column_found;
  for (const std::string& c : stage.columns) {
    std::string sql =
        "SELECT count(*) FROM pg_catalog.jsonb_populate_record(NULL::" + target.qualified_name +
        ", pg_catalog.jsonb_build_object(" +
        "$4::text, ($1 -> ($2::int - 1)) -> $4::text)) WHERE $3::bigint IS NOT NULL";
    pg::SpiArgs args;
    args.add(JSONBOID, rows);
    args.add(INT8OID, Int64GetDatum(lo));
    args.add(INT8OID, Int64GetDatum(lo));
    args.add_text(c);
    bool failed;
    try {
      pg::Subtransaction sub;
      spi.execute(sql, args, true);
      sub.commit();
      failed = false;
    } catch (const Error&) {
      failed = true;
    }
    if (failed) {
      column_found = c;
      break;
    }
  }
  std::string where = std::string(argument) + "[" + std::to_string(lo) + "]";
  if (!column_found.empty()) where += ", column \"" + column_found + "\"";
  throw Error(failure.sqlstate(), where + ": " + failure.what(), failure.detail(), failure.hint());
}

}  // namespace

std::string temp_table_name(const char* prefix) {
  static uint64_t counter = 0;
  return "pg_temp." + quote_identifier(prefix + std::to_string(++counter));
}

void require_table(const pg::RelationInfo& target) {
  if (target.kind != RELKIND_RELATION && target.kind != RELKIND_PARTITIONED_TABLE) {
    throw Error("42809", target.qualified_name + " is not a table");
  }
}

Stage stage_json(pg::SpiSession& spi, const pg::RelationInfo& target, Datum rows,
                 const char* argument) {
  Stage stage;
  stage.name = temp_table_name("pgfast_stage_");
  pg::SpiArgs args;
  args.add(JSONBOID, rows);
  spi.execute(
      "SELECT pg_catalog.jsonb_typeof($1), pg_catalog.jsonb_array_length(CASE WHEN "
      "pg_catalog.jsonb_typeof($1) = 'array' THEN $1 END)",
      args, true);
  if (spi.text(0, 0) != std::optional<std::string>("array")) {
    throw Error(sqlstate::kInvalidParameterValue,
                std::string(argument) + " must be a JSON array of objects, got a JSON " +
                    spi.text(0, 0).value_or("null"));
  }
  int64_t count = std::stoll(spi.text_not_null(0, 1));
  spi.execute(
      "SELECT min(\"e\".ord) FROM pg_catalog.jsonb_array_elements($1) WITH ORDINALITY "
      "AS \"e\"(v, ord) WHERE pg_catalog.jsonb_typeof(\"e\".v) <> 'object'",
      args, true);
  if (auto bad = spi.text(0, 0)) {
    throw Error(sqlstate::kInvalidParameterValue,
                std::string(argument) + "[" + *bad + "] is not a JSON object",
                "Each element of " + std::string(argument) +
                    " is one row: an object keyed by column name.");
  }
  // The columns named anywhere in the input, each with the first row that names it.
  spi.execute(
      "SELECT \"k\", min(\"e\".ord) FROM pg_catalog.jsonb_array_elements($1) WITH "
      "ORDINALITY AS \"e\"(v, ord) CROSS JOIN LATERAL pg_catalog.jsonb_object_keys(\"e\".v) "
      "AS \"k\" GROUP BY \"k\" ORDER BY 2, 1",
      args, true);
  std::set<std::string> named;
  for (uint64_t r = 0; r < spi.rows(); ++r) {
    std::string key = spi.text_not_null(r, 0);
    std::string where = " in " + std::string(argument) + "[" + spi.text_not_null(r, 1) + "]";
    const pg::ColumnInfo* c = target.column(key);
    if (c == nullptr) {
      throw Error(sqlstate::kUndefinedColumn,
                  "column \"" + key + "\"" + where + " does not exist in " + target.qualified_name);
    }
    check_writable(*c, where);
    named.insert(key);
  }
  for (const pg::ColumnInfo& c : target.columns) {
    if (named.count(c.name)) stage.columns.push_back(c.name);
  }
  create_stage(spi, target, stage);
  if (count == 0) return stage;
  std::string select_columns;
  for (const std::string& c : stage.columns) select_columns += ", \"r\"." + quote_identifier(c);
  try {
    pg::Subtransaction sub;
    spi.execute("INSERT INTO " + stage.name + " SELECT \"e\".ord" + select_columns + " FROM " +
                    populated_rows(target),
                args, false);
    sub.commit();
  } catch (const Error& e) {
    throw_conversion_error(spi, target, stage, rows, count, e, argument);
  }
  stage.rows = count;
  return stage;
}

Stage stage_relation(pg::SpiSession& spi, const pg::RelationInfo& target, Oid source) {
  pg::RelationInfo from = pg::load_relation(spi, source);
  Stage stage;
  stage.name = temp_table_name("pgfast_stage_");
  std::set<std::string> named;
  for (const pg::ColumnInfo& c : from.columns) {
    const pg::ColumnInfo* t = target.column(c.name);
    if (t == nullptr) {
      throw Error(sqlstate::kUndefinedColumn, "column \"" + c.name + "\" of source " +
                                                  from.qualified_name + " does not exist in " +
                                                  target.qualified_name);
    }
    check_writable(*t, " of source " + from.qualified_name);
    named.insert(c.name);
  }
  for (const pg::ColumnInfo& c : target.columns) {
    if (named.count(c.name)) stage.columns.push_back(c.name);
  }
  create_stage(spi, target, stage);
  // Casts to the target's types (assignment rules, as INSERT would apply).
  std::string select_columns;
  for (const std::string& c : stage.columns) {
    select_columns += ", \"f\"." + quote_identifier(c) + "::" + target.column(c)->type_name;
  }
  stage.rows = static_cast<int64_t>(
      spi.execute("INSERT INTO " + stage.name + " SELECT row_number() OVER ()" + select_columns +
                      " FROM " + from.qualified_name + " \"f\"",
                  false));
  return stage;
}

void drop_stage(pg::SpiSession& spi, const Stage& stage) {
  spi.execute("DROP TABLE " + stage.name, false);
}

}  // namespace pgfast::bulk
