// What pagination needs to know about a relation, read from the catalogs through SPI.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/order_by.hpp"
#include "pg/postgres.hpp"
#include "pg/spi.hpp"

namespace pgfast::paging {

struct ColumnInfo {
  std::string name;
  Oid type = InvalidOid;
  std::string type_name;  // format_type(): safe to splice into SQL as a cast target
  bool not_null = false;
};

struct RelationInfo {
  Oid oid = InvalidOid;
  std::string qualified_name;  // "schema"."name"
  char kind = 0;               // pg_class.relkind
  std::vector<ColumnInfo> columns;
  // Column lists of the unique keys usable as a tie-breaker (all columns NOT NULL, no
  // expression, no predicate), the primary key first.
  std::vector<std::vector<std::string>> unique_keys;

  const ColumnInfo* column(const std::string& name) const;
  // The column or an error 42703 naming it and the relation.
  const ColumnInfo& require_column(const std::string& name, const char* argument) const;
};

RelationInfo load_relation(pg::SpiSession& spi, Oid relation);

// The full, unique order of a page: `order_by` (NULL: none) with the first unique key's columns
// appended where missing. Errors when no unique key exists and `order_by` does not cover one
// (views, which have no keys, take `order_by` as given: it must be unique).
std::vector<OrderKey> unique_order(const RelationInfo& relation,
                                   const std::optional<std::string>& order_by);

}  // namespace pgfast::paging
