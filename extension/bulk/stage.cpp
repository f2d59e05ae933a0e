#include "bulk/stage.hpp"

#include <map>
#include <set>

#include "core/error.hpp"
#include "core/row_error.hpp"
#include "core/sql_text.hpp"
#include "pg/subtransaction.hpp"

extern "C" {
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
}

namespace pgfast::bulk {

namespace {

// ", "a", "b" ...
std::string column_list(const std::vector<std::string>& columns) {
  std::string out;
  for (const std::string& c : columns) out += ", " + quote_identifier(c);
  return out;
}

// Why column `c` cannot be written, or empty when it can.
std::string unwritable_reason(const pg::ColumnInfo& c) {
  if (!c.generated && !c.identity_always) return {};
  return std::string(" is ") +
         (c.generated ? "a generated column" : "an identity column GENERATED ALWAYS") +
         " and cannot be written";
}

// Creates the empty stage: the ord column plus the columns, typed (and collated: the key joins
// compare with the target's collation) exactly as in the target, from the catalog, so no privilege
// on the target is needed.
void create_stage(pg::SpiSession& spi, const pg::RelationInfo& target, const Stage& stage) {
  pg::SpiArgs args;
  args.add(OIDOID, ObjectIdGetDatum(target.oid));
  spi.execute(
      "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) || CASE WHEN "
      "a.attcollation <> 0 THEN ' COLLATE ' || pg_catalog.quote_ident(n.nspname) || '.' || "
      "pg_catalog.quote_ident(co.collname) ELSE '' END FROM pg_catalog.pg_attribute a LEFT JOIN "
      "pg_catalog.pg_collation co ON co.oid = a.attcollation LEFT JOIN pg_catalog.pg_namespace n "
      "ON n.oid = co.collnamespace WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped",
      args, true);
  std::map<std::string, std::string> definitions;
  for (uint64_t r = 0; r < spi.rows(); ++r) {
    definitions[spi.text_not_null(r, 0)] = spi.text_not_null(r, 1);
  }
  std::string sql = "CREATE TEMPORARY TABLE " + stage.name + " (" + stage.ord + " bigint";
  for (const std::string& c : stage.columns) {
    auto d = definitions.find(c);
    if (d == definitions.end()) {
      throw Error(sqlstate::kUndefinedColumn,
                  "column \"" + c + "\" of " + target.qualified_name + " no longer exists");
    }
    sql += ", " + quote_identifier(c) + " " + d->second;
  }
  spi.execute(sql + ") ON COMMIT DROP", false);
}

// The populate expression of the input rows, over jsonb_array_elements($1) WITH ORDINALITY e(v,
// ord).
std::string populated_rows(const pg::RelationInfo& target) {
  return "pg_catalog.jsonb_array_elements($1) WITH ORDINALITY AS \"e\"(v, ord) CROSS JOIN LATERAL "
         "pg_catalog.jsonb_populate_record(NULL::" +
         target.qualified_name + ", \"e\".v) AS \"r\"";
}

// True when `sql` fails with a data error (run in a subtransaction and rolled back). Any other
// error (a cancel, a timeout, out of memory, ...) is rethrown: it says nothing about the rows.
bool fails_on_data(pg::SpiSession& spi, const std::string& sql, pg::SpiArgs& args) {
  try {
    pg::Subtransaction sub;
    spi.execute(sql, args, true);
    sub.commit();
    return false;
  } catch (const Error& e) {
    if (!bulk_sql::blames_row(e.sqlstate())) throw;
    return true;
  }
}

// True when converting input rows lo..hi fails.
bool conversion_fails(pg::SpiSession& spi, const std::string& sql, Datum rows, int64_t lo,
                      int64_t hi) {
  pg::SpiArgs args;
  args.add(JSONBOID, rows);
  args.add(INT8OID, Int64GetDatum(lo));
  args.add(INT8OID, Int64GetDatum(hi));
  return fails_on_data(spi, sql, args);
}

// After the bulk conversion failed with the data error `failure`: find the first failing row
// (binary search over ord ranges, O(n log n)) and the failing column, and throw the error with both
// named. A row is blamed only if converting it alone fails; otherwise `failure` is thrown as it
// was.
[[noreturn]] void throw_conversion_error(pg::SpiSession& spi, const pg::RelationInfo& target,
                                         const JsonRows& in, const Error& failure) {
  const std::string range_sql =
      "SELECT count(*) FROM " + populated_rows(target) + " WHERE \"e\".ord BETWEEN $2 AND $3";
  const Datum rows = in.value;
  // An error that converting the rows does not reproduce (a constraint of the target, a
  // trigger's) is not the rows' conversion: no row is blamed.
  if (!conversion_fails(spi, range_sql, rows, 1, in.count)) throw failure;
  int64_t lo = 1;
  int64_t hi = in.count;
  while (lo < hi) {
    int64_t mid = lo + (hi - lo) / 2;
    if (conversion_fails(spi, range_sql, rows, lo, mid)) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  if (!conversion_fails(spi, range_sql, rows, lo, lo)) throw failure;
  // The column: convert that row's fields one at a time.
  std::string column_found;
  for (const std::string& c : in.columns) {
    std::string sql =
        "SELECT count(*) FROM pg_catalog.jsonb_populate_record(NULL::" + target.qualified_name +
        ", pg_catalog.jsonb_build_object(" +
        "$4::text, ($1 -> ($2::int - 1)) -> $4::text)) WHERE $3::bigint IS NOT NULL";
    pg::SpiArgs args;
    args.add(JSONBOID, rows);
    args.add(INT8OID, Int64GetDatum(lo));
    args.add(INT8OID, Int64GetDatum(lo));
    args.add_text(c);
    if (fails_on_data(spi, sql, args)) {
      column_found = c;
      break;
    }
  }
  throw row_error(failure.sqlstate(), failure.what(), lo, column_found, failure.detail(),
                  failure.hint());
}

}  // namespace

std::string temp_table_name(pg::SpiSession& spi, const char* prefix) {
  static uint64_t counter = 0;
  for (;;) {
    std::string name = prefix + std::to_string(++counter);
    pg::SpiArgs args;
    args.add_text(name);
    spi.execute(
        "SELECT 1 FROM pg_catalog.pg_class WHERE relname = $1 AND relnamespace = "
        "pg_catalog.pg_my_temp_schema()",
        args, false);
    if (spi.rows() == 0) return "pg_temp." + quote_identifier(name);
  }
}

void check_target(pg::SpiSession& spi, const pg::RelationInfo& target, const char* function,
                  bool staged) {
  if (target.kind != RELKIND_RELATION && target.kind != RELKIND_PARTITIONED_TABLE) {
    throw Error(sqlstate::kWrongObjectType, target.qualified_name + " is not a table");
  }
  pg::SpiArgs args;
  args.add(OIDOID, ObjectIdGetDatum(target.oid));
  spi.execute(
      "SELECT c.relhasrules, pg_catalog.has_database_privilege(pg_catalog.current_database(), "
      "'TEMPORARY') FROM pg_catalog.pg_class c WHERE c.oid = $1",
      args, true);
  if (spi.rows() == 1 && spi.text_not_null(0, 0) == "t") {
    throw Error(
        sqlstate::kFeatureNotSupported,
        std::string(function) + " does not support " + target.qualified_name + ": it has rules",
        "Rules rewrite the INSERT, UPDATE or DELETE that pgfast runs.",
        "Use plain SQL for tables with rules.");
  }
  if (staged && spi.rows() == 1 && spi.text_not_null(0, 1) != "t") {
    throw Error(sqlstate::kInsufficientPrivilege,
                std::string(function) +
                    " needs the TEMPORARY privilege on the current database: it stages the rows "
                    "in a temporary table",
                "", "GRANT TEMPORARY ON DATABASE to this role.");
  }
}

std::string free_ord_name(const pg::RelationInfo& target) {
  std::string name = "ord";
  for (int n = 2; target.column(name) != nullptr; ++n) name = "ord_" + std::to_string(n);
  return quote_identifier(name);
}

JsonRows read_json_rows(pg::SpiSession& spi, const pg::RelationInfo& target, Datum rows,
                        const char* argument) {
  JsonRows in;
  in.value = rows;
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
  in.count = std::stoll(spi.text_not_null(0, 1));
  spi.execute(
      "SELECT pg_catalog.min(\"e\".ord) FROM pg_catalog.jsonb_array_elements($1) WITH ORDINALITY "
      "AS \"e\"(v, ord) WHERE pg_catalog.jsonb_typeof(\"e\".v) <> 'object'",
      args, true);
  if (auto bad = spi.text(0, 0)) {
    throw row_error(sqlstate::kInvalidParameterValue,
                    "an element of " + std::string(argument) + " is not a JSON object",
                    std::stoll(*bad), {},
                    "Each element of " + std::string(argument) +
                        " is one row: an object keyed by column name.");
  }
  // The columns named anywhere in the input, each with the first row that names it.
  spi.execute(
      "SELECT \"k\", pg_catalog.min(\"e\".ord) FROM pg_catalog.jsonb_array_elements($1) WITH "
      "ORDINALITY AS \"e\"(v, ord) CROSS JOIN LATERAL pg_catalog.jsonb_object_keys(\"e\".v) "
      "AS \"k\" GROUP BY \"k\" ORDER BY 2, 1",
      args, true);
  std::set<std::string> named;
  for (uint64_t r = 0; r < spi.rows(); ++r) {
    std::string key = spi.text_not_null(r, 0);
    const int64_t row = std::stoll(spi.text_not_null(r, 1));
    const pg::ColumnInfo* c = target.column(key);
    if (c == nullptr) {
      throw row_error(sqlstate::kUndefinedColumn,
                      "column \"" + key + "\" does not exist in " + target.qualified_name, row,
                      key);
    }
    if (std::string reason = unwritable_reason(*c); !reason.empty()) {
      throw row_error(sqlstate::kGeneratedAlways, "column \"" + key + "\"" + reason, row, key);
    }
    named.insert(key);
  }
  for (const pg::ColumnInfo& c : target.columns) {
    if (named.count(c.name)) in.columns.push_back(c.name);
  }
  return in;
}

std::string json_rows_source(const pg::RelationInfo& target, const std::string& ord) {
  return "(SELECT \"e\".ord AS " + ord + ", \"r\".* FROM " + populated_rows(target) + ")";
}

uint64_t run_over_json_rows(pg::SpiSession& spi, const pg::RelationInfo& target, const JsonRows& in,
                            const std::string& sql) {
  pg::SpiArgs args;
  args.add(JSONBOID, in.value);
  try {
    pg::Subtransaction sub;
    uint64_t processed = spi.execute(sql, args, false);
    sub.commit();
    return processed;
  } catch (const Error& e) {
    if (!bulk_sql::blames_row(e.sqlstate())) throw;
    throw_conversion_error(spi, target, in, e);
  }
}

Stage stage_json(pg::SpiSession& spi, const pg::RelationInfo& target, Datum rows,
                 const char* argument) {
  JsonRows in = read_json_rows(spi, target, rows, argument);
  Stage stage;
  stage.name = temp_table_name(spi, "pgfast_stage_");
  stage.ord = free_ord_name(target);
  stage.columns = in.columns;
  create_stage(spi, target, stage);
  if (in.count == 0) return stage;
  std::string select_columns;
  for (const std::string& c : stage.columns) select_columns += ", \"r\"." + quote_identifier(c);
  run_over_json_rows(spi, target, in,
                     "INSERT INTO " + stage.name + " (" + stage.ord + column_list(stage.columns) +
                         ") SELECT \"e\".ord" + select_columns + " FROM " + populated_rows(target));
  stage.rows = in.count;
  return stage;
}

Stage stage_relation(pg::SpiSession& spi, const pg::RelationInfo& target, Oid source) {
  pg::RelationInfo from = pg::load_relation(spi, source);
  Stage stage;
  stage.name = temp_table_name(spi, "pgfast_stage_");
  stage.ord = free_ord_name(target);
  std::set<std::string> named;
  for (const pg::ColumnInfo& c : from.columns) {
    const pg::ColumnInfo* t = target.column(c.name);
    if (t == nullptr) {
      throw Error(sqlstate::kUndefinedColumn, "column \"" + c.name + "\" of source " +
                                                  from.qualified_name + " does not exist in " +
                                                  target.qualified_name);
    }
    if (std::string reason = unwritable_reason(*t); !reason.empty()) {
      throw Error(sqlstate::kGeneratedAlways,
                  "column \"" + c.name + "\" of source " + from.qualified_name + reason);
    }
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
      spi.execute("INSERT INTO " + stage.name + " (" + stage.ord + column_list(stage.columns) +
                      ") SELECT pg_catalog.row_number() OVER ()" + select_columns + " FROM " +
                      from.qualified_name + " \"f\"",
                  false));
  return stage;
}

void drop_stage(pg::SpiSession& spi, const Stage& stage) {
  spi.execute("DROP TABLE " + stage.name, false);
}

}  // namespace pgfast::bulk
