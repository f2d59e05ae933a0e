#include "paging/filter.hpp"

#include "core/error.hpp"
#include "core/sql_text.hpp"
#include "pg/datum.hpp"

extern "C" {
#include "catalog/pg_type.h"
}

namespace pgfast::paging {

namespace {

bool is_scalar(const std::string& json_type) {
  return json_type == "string" || json_type == "number" || json_type == "boolean";
}

}  // namespace

Filter build_filter(pg::SpiSession& spi, const pg::RelationInfo& relation, Datum filter,
                    bool is_null, pg::SpiArgs& args, const std::string& alias) {
  Filter out;
  if (is_null) return out;
  pg::SpiArgs filter_arg;
  filter_arg.add(JSONBOID, filter);
  spi.execute("SELECT pg_catalog.jsonb_typeof($1)", filter_arg, true);
  if (spi.text(0, 0) != std::optional<std::string>("object")) {
    throw Error(sqlstate::kInvalidParameterValue,
                "filter must be a JSON object of column names, got a JSON " +
                    spi.text(0, 0).value_or("null"),
                "", "Example: {\"status\": \"done\", \"user_id\": [1, 2]}");
  }
  out.canonical = pg::jsonb_text(filter);
  // One row per key (a null element for non-arrays), array elements in order.
  spi.execute(
      "SELECT f.key, pg_catalog.jsonb_typeof(f.value), f.value #>> '{}', "
      "pg_catalog.jsonb_typeof(e.value), e.value #>> '{}' "
      "FROM pg_catalog.jsonb_each($1) f "
      "LEFT JOIN LATERAL pg_catalog.jsonb_array_elements(CASE WHEN "
      "pg_catalog.jsonb_typeof(f.value) = 'array' THEN f.value END) WITH ORDINALITY AS e(value, "
      "ord) ON true ORDER BY f.key, e.ord",
      filter_arg, true);
  std::string prefix = alias.empty() ? std::string() : quote_identifier(alias) + ".";
  std::string current;
  std::string in_list;
  std::vector<std::string> conditions;
  auto close_array = [&] {
    if (current.empty()) return;
    conditions.push_back(in_list.empty()
                             ? std::string("FALSE")
                             : prefix + quote_identifier(current) + " IN (" + in_list + ")");
    current.clear();
    in_list.clear();
  };
  for (uint64_t r = 0; r < spi.rows(); ++r) {
    std::string key = spi.text_not_null(r, 0);
    std::string type = spi.text_not_null(r, 1);
    const pg::ColumnInfo& column = relation.require_column(key, "filter");
    std::string target = prefix + quote_identifier(column.name);
    if (type != "array") {
      close_array();
      if (type == "null") {
        conditions.push_back(target + " IS NULL");
      } else if (is_scalar(type)) {
        int n = args.add_text(spi.text_not_null(r, 2));
        conditions.push_back(target + " = $" + std::to_string(n) + "::" + column.type_name);
      } else {
        throw Error(sqlstate::kInvalidParameterValue,
                    "filter value for column \"" + key + "\" must be a scalar, null or an array, " +
                        "got a JSON " + type);
      }
      continue;
    }
    if (key != current) {
      close_array();
      current = key;
    }
    std::optional<std::string> element_type = spi.text(r, 3);
    if (!element_type) continue;  // empty array
    if (!is_scalar(*element_type)) {
      throw Error(sqlstate::kInvalidParameterValue,
                  "filter array for column \"" + key + "\" may hold only strings, numbers and " +
                      "booleans, found a JSON " + *element_type,
                  "", "To match NULL, filter with {\"" + key + "\": null}.");
    }
    int n = args.add_text(spi.text_not_null(r, 4));
    if (!in_list.empty()) in_list += ", ";
    in_list += "$" + std::to_string(n) + "::" + column.type_name;
  }
  close_array();
  for (const std::string& c : conditions) {
    if (!out.condition.empty()) out.condition += " AND ";
    out.condition += c;
  }
  return out;
}

}  // namespace pgfast::paging
