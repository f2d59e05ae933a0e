#include "paging/relation_info.hpp"

#include <algorithm>
#include <set>

#include "core/error.hpp"
#include "core/sql_text.hpp"

extern "C" {
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
}

namespace pgfast::paging {

const ColumnInfo* RelationInfo::column(const std::string& name) const {
  for (const ColumnInfo& c : columns) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

const ColumnInfo& RelationInfo::require_column(const std::string& name,
                                               const char* argument) const {
  const ColumnInfo* c = column(name);
  if (c == nullptr) {
    throw Error(sqlstate::kUndefinedColumn,
                "column \"" + name + "\" of " + argument + " does not exist in " + qualified_name);
  }
  return *c;
}

RelationInfo load_relation(pg::SpiSession& spi, Oid relation) {
  RelationInfo info;
  info.oid = relation;
  pg::SpiArgs args;
  args.add(OIDOID, ObjectIdGetDatum(relation));
  spi.execute(
      "SELECT n.nspname, c.relname, c.relkind FROM pg_catalog.pg_class c "
      "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = $1",
      args, true);
  if (spi.rows() != 1) {
    throw Error(sqlstate::kUndefinedTable,
                "relation with OID " + std::to_string(relation) + " does not exist");
  }
  info.qualified_name = quote_qualified(spi.text_not_null(0, 0), spi.text_not_null(0, 1));
  info.kind = spi.text_not_null(0, 2)[0];
  const std::string kinds = {RELKIND_RELATION, RELKIND_VIEW, RELKIND_MATVIEW,
                             RELKIND_PARTITIONED_TABLE, RELKIND_FOREIGN_TABLE};
  if (kinds.find(info.kind) == std::string::npos) {
    throw Error("42809", info.qualified_name + " is not a table, view or materialized view");
  }

  spi.execute(
      "SELECT a.attname, a.atttypid, pg_catalog.format_type(a.atttypid, a.atttypmod), "
      "a.attnotnull FROM pg_catalog.pg_attribute a "
      "WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
      args, true);
  for (uint64_t r = 0; r < spi.rows(); ++r) {
    ColumnInfo c;
    c.name = spi.text_not_null(r, 0);
    c.type = static_cast<Oid>(std::stoul(spi.text_not_null(r, 1)));
    c.type_name = spi.text_not_null(r, 2);
    c.not_null = spi.text_not_null(r, 3) == "t";
    info.columns.push_back(std::move(c));
  }

  // Valid unique indexes on plain columns without predicate; key columns only (not INCLUDE).
  spi.execute(
      "SELECT i.indexrelid, a.attname, a.attnotnull "
      "FROM pg_catalog.pg_index i "
      "CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) "
      "JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
      "WHERE i.indrelid = $1 AND i.indisunique AND i.indisvalid AND i.indpred IS NULL "
      "AND i.indexprs IS NULL AND k.ord <= i.indnkeyatts "
      "ORDER BY i.indisprimary DESC, i.indnkeyatts, i.indexrelid, k.ord",
      args, true);
  std::string current_index;
  bool usable = true;
  std::vector<std::string> key;
  auto flush = [&] {
    if (!current_index.empty() && usable && !key.empty()) info.unique_keys.push_back(key);
    key.clear();
    usable = true;
  };
  for (uint64_t r = 0; r < spi.rows(); ++r) {
    std::string index = spi.text_not_null(r, 0);
    if (index != current_index) {
      flush();
      current_index = index;
    }
    key.push_back(spi.text_not_null(r, 1));
    usable = usable && spi.text_not_null(r, 2) == "t";
  }
  flush();
  return info;
}

std::vector<OrderKey> unique_order(const RelationInfo& relation,
                                   const std::optional<std::string>& order_by) {
  std::vector<OrderKey> keys;
  if (order_by) {
    keys = parse_order_by(*order_by);
    for (const OrderKey& k : keys) relation.require_column(k.column, "order_by");
  }
  std::set<std::string> named;
  for (const OrderKey& k : keys) named.insert(k.column);
  // Already unique: the order names every column of some unique key.
  for (const auto& unique : relation.unique_keys) {
    if (std::all_of(unique.begin(), unique.end(),
                    [&](const std::string& c) { return named.count(c) > 0; })) {
      return keys;
    }
  }
  if (!relation.unique_keys.empty()) {
    for (const std::string& c : relation.unique_keys.front()) {
      if (named.count(c) == 0) keys.push_back(OrderKey{c, false, false});
    }
    return keys;
  }
  bool view_like = relation.kind == RELKIND_VIEW || relation.kind == RELKIND_FOREIGN_TABLE;
  if (view_like && !keys.empty()) return keys;
  throw Error(sqlstate::kObjectNotInPrerequisiteState,
              relation.qualified_name +
                  " has no primary key or unique index on NOT NULL columns to break ties",
              "",
              view_like ? "Pass an order_by that is unique for this view."
                        : "Add a primary key, or pass an order_by that includes the columns "
                          "of a unique index on NOT NULL columns.");
}

}  // namespace pgfast::paging
