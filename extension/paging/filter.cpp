#include "paging/filter.hpp"

#include "core/error.hpp"
#include "core/sql_text.hpp"
#include "paging/settings.hpp"
#include "pg/datum.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
}

namespace pgfast::paging {

namespace {

bool is_scalar(const std::string& json_type) {
  return json_type == "string" || json_type == "number" || json_type == "boolean";
}

// The elements of the array filter[key] as one Datum of the column's array type (cast by the
// element type's input function), copied out of SPI's result into the current context. Returns
// the array's type. A column that is itself an array (or has no array type) gets a text[] and
// *typed = false: its elements are cast one by one in the query.
Oid array_parameter(pg::SpiSession& spi, const pg::ColumnInfo& column, Datum filter,
                    const std::string& key, Datum* out, bool* typed_out) {
  bool typed = pg::call(
      [&column] { return !type_is_array(column.type) && OidIsValid(get_array_type(column.type)); });
  pg::SpiArgs args;
  args.add(JSONBOID, filter);
  args.add_text(key);
  spi.execute(
      "SELECT ARRAY(SELECT pg_catalog.jsonb_array_elements_text($1 "
      "OPERATOR(pg_catalog.->) $2))" +
          (typed ? "::" + column.type_name + "[]" : std::string()),
      args, true);
  bool is_null;
  Datum value = spi.datum(0, 0, &is_null);
  Oid type = spi.column_type(0);
  *out = pg::call([value] { return datumCopy(value, false, -1); });
  *typed_out = typed;
  return type;
}

}  // namespace

Filter build_filter(pg::SpiSession& spi, const pg::RelationInfo& relation, Datum filter,
                    bool is_null, pg::SpiArgs& args, const std::string& alias) {
  Filter out;
  if (is_null) return out;
  pg::SpiArgs filter_arg;
  filter_arg.add(JSONBOID, filter);
  // Shape and size first, before any per-element work.
  spi.execute(
      "SELECT pg_catalog.jsonb_typeof($1), CASE WHEN pg_catalog.jsonb_typeof($1) = 'object' THEN "
      "(SELECT pg_catalog.count(*) FROM pg_catalog.jsonb_object_keys($1)) END, "
      "CASE WHEN pg_catalog.jsonb_typeof($1) = 'object' THEN (SELECT "
      "COALESCE(pg_catalog.sum(pg_catalog.jsonb_array_length(f.value)), 0) "
      "FROM pg_catalog.jsonb_each($1) f WHERE pg_catalog.jsonb_typeof(f.value) = 'array') END",
      filter_arg, true);
  if (spi.text(0, 0) != std::optional<std::string>("object")) {
    throw Error(sqlstate::kInvalidParameterValue,
                "filter must be a JSON object of column names, got a JSON " +
                    spi.text(0, 0).value_or("null"),
                "", "Example: {\"status\": \"done\", \"user_id\": [1, 2]}");
  }
  long keys = std::stol(spi.text_not_null(0, 1));
  if (keys > kMaxFilterKeys) {
    throw Error(sqlstate::kProgramLimitExceeded,
                "filter has " + std::to_string(keys) + " keys, at most " +
                    std::to_string(kMaxFilterKeys) + " are allowed",
                "", "Filter on fewer columns.");
  }
  long values = std::stol(spi.text_not_null(0, 2));
  if (values > settings.filter_values_max) {
    throw Error(sqlstate::kProgramLimitExceeded,
                "filter arrays hold " + std::to_string(values) + " values, at most " +
                    std::to_string(settings.filter_values_max) +
                    " (pgfast.filter_values_max) are allowed",
                "", "Split the filter into several calls, or join with a table of the values.");
  }
  out.canonical = pg::jsonb_text(filter);
  // One row per key: its JSON type, the scalar's text, and for an array the JSON type of its first
  // element that is not a scalar (NULL when all are) and its length.
  spi.execute(
      "SELECT f.key, pg_catalog.jsonb_typeof(f.value), "
      "CASE WHEN pg_catalog.jsonb_typeof(f.value) <> 'array' THEN f.value OPERATOR(pg_catalog.#>>) "
      "'{}' END, "
      "CASE WHEN pg_catalog.jsonb_typeof(f.value) = 'array' THEN "
      "pg_catalog.jsonb_path_query_first(f.value, 'strict $[*] ? (@.type() != \"string\" && "
      "@.type() != \"number\" && @.type() != \"boolean\").type()') OPERATOR(pg_catalog.#>>) "
      "'{}' END, "
      "CASE WHEN pg_catalog.jsonb_typeof(f.value) = 'array' THEN "
      "pg_catalog.jsonb_array_length(f.value) END "
      "FROM pg_catalog.jsonb_each($1) f ORDER BY f.key",
      filter_arg, true);
  struct Entry {
    std::string key;
    std::string type;
    std::optional<std::string> scalar;
    std::optional<std::string> bad_element;
    long length = 0;
  };
  std::vector<Entry> entries;
  for (uint64_t r = 0; r < spi.rows(); ++r) {
    Entry e;
    e.key = spi.text_not_null(r, 0);
    e.type = spi.text_not_null(r, 1);
    e.scalar = spi.text(r, 2);
    e.bad_element = spi.text(r, 3);
    std::optional<std::string> length = spi.text(r, 4);
    e.length = length ? std::stol(*length) : 0;
    entries.push_back(std::move(e));
  }
  std::string prefix = alias.empty() ? std::string() : quote_identifier(alias) + ".";
  for (const Entry& e : entries) {
    const pg::ColumnInfo& column = relation.require_column(e.key, "filter");
    std::string target = prefix + quote_identifier(column.name);
    std::string condition;
    if (e.type == "null") {
      condition = target + " IS NULL";
    } else if (is_scalar(e.type)) {
      int n = args.add_text(*e.scalar);
      condition = target + " = $" + std::to_string(n) + "::" + column.type_name;
    } else if (e.type != "array") {
      throw Error(sqlstate::kInvalidParameterValue, "filter value for column \"" + e.key +
                                                        "\" must be a scalar, null or an array, " +
                                                        "got a JSON " + e.type);
    } else if (e.bad_element) {
      throw Error(sqlstate::kInvalidParameterValue,
                  "filter array for column \"" + e.key + "\" may hold only strings, numbers and " +
                      "booleans, found a JSON " + *e.bad_element,
                  "", "To match NULL, filter with {\"" + e.key + "\": null}.");
    } else if (e.length == 0) {
      condition = "FALSE";
    } else {
      Datum array;
      bool typed;
      Oid type = array_parameter(spi, column, filter, e.key, &array, &typed);
      int n = args.add(type, array);
      condition = !typed ? target + " IN (SELECT u.v::" + column.type_name +
                               " FROM pg_catalog.unnest($" + std::to_string(n) + ") AS u(v))"
                         : target + " = ANY ($" + std::to_string(n) + ")";
    }
    if (!out.condition.empty()) out.condition += " AND ";
    out.condition += condition;
  }
  return out;
}

}  // namespace pgfast::paging
