// What pgfast's SQL functions need to know about a relation, read from the catalogs through SPI:
// its quoted name, kind, columns and unique indexes.
#pragma once

#include <string>
#include <vector>

#include "pg/postgres.hpp"
#include "pg/spi.hpp"

namespace pgfast::pg {

struct ColumnInfo {
  std::string name;
  Oid type = InvalidOid;
  std::string type_name;  // format_type(): safe to splice into SQL as a cast target
  bool not_null = false;
  bool generated = false;        // GENERATED ALWAYS AS (...) STORED
  bool identity_always = false;  // GENERATED ALWAYS AS IDENTITY
  bool identity = false;         // any identity column
};

// A valid unique index on plain columns without predicate (key columns only, not INCLUDE).
struct UniqueIndex {
  std::vector<std::string> columns;
  bool primary = false;
  bool all_not_null = false;
};

struct RelationInfo {
  Oid oid = InvalidOid;
  std::string qualified_name;  // "schema"."name"
  char kind = 0;               // pg_class.relkind
  std::vector<ColumnInfo> columns;
  std::vector<UniqueIndex> unique_indexes;  // the primary key first, then the narrowest

  const ColumnInfo* column(const std::string& name) const;
  // The column, or an error 42703 naming it, the argument it came from and the relation.
  const ColumnInfo& require_column(const std::string& name, const char* argument) const;
  const UniqueIndex* primary_key() const;
};

// Loads `relation`; errors 42809 unless it is a table, view, materialized view, partitioned or
// foreign table.
RelationInfo load_relation(SpiSession& spi, Oid relation);

}  // namespace pgfast::pg
