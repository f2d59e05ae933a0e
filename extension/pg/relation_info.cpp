#include "pg/relation_info.hpp"

#include "core/error.hpp"
#include "core/sql_text.hpp"

extern "C" {
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
}

namespace pgfast::pg {

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

const UniqueIndex* RelationInfo::primary_key() const {
  for (const UniqueIndex& u : unique_indexes) {
    if (u.primary) return &u;
  }
  return nullptr;
}

RelationInfo load_relation(SpiSession& spi, Oid relation) {
  RelationInfo info;
  info.oid = relation;
  SpiArgs args;
  args.add(OIDOID, ObjectIdGetDatum(relation));
  spi.execute_cached(
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
    throw Error(sqlstate::kWrongObjectType,
                info.qualified_name + " is not a table, view or materialized view");
  }

  spi.execute_cached(
      "SELECT a.attname, a.atttypid, pg_catalog.format_type(a.atttypid, a.atttypmod), "
      "a.attnotnull, a.attgenerated <> '', a.attidentity = 'a', a.attidentity <> '' "
      "FROM pg_catalog.pg_attribute a "
      "WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
      args, true);
  for (uint64_t r = 0; r < spi.rows(); ++r) {
    ColumnInfo c;
    c.name = spi.text_not_null(r, 0);
    c.type = static_cast<Oid>(std::stoul(spi.text_not_null(r, 1)));
    c.type_name = spi.text_not_null(r, 2);
    c.not_null = spi.text_not_null(r, 3) == "t";
    c.generated = spi.text_not_null(r, 4) == "t";
    c.identity_always = spi.text_not_null(r, 5) == "t";
    c.identity = spi.text_not_null(r, 6) == "t";
    info.columns.push_back(std::move(c));
  }

  spi.execute_cached(
      "SELECT i.indexrelid, i.indisprimary, a.attname, a.attnotnull "
      "FROM pg_catalog.pg_index i "
      "CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) "
      "JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
      "WHERE i.indrelid = $1 AND i.indisunique AND i.indisvalid AND i.indpred IS NULL "
      "AND i.indexprs IS NULL AND k.ord <= i.indnkeyatts "
      "ORDER BY i.indisprimary DESC, i.indnkeyatts, i.indexrelid, k.ord",
      args, true);
  std::string current_index;
  for (uint64_t r = 0; r < spi.rows(); ++r) {
    std::string index = spi.text_not_null(r, 0);
    if (index != current_index) {
      current_index = index;
      info.unique_indexes.push_back(UniqueIndex{{}, spi.text_not_null(r, 1) == "t", true});
    }
    UniqueIndex& u = info.unique_indexes.back();
    u.columns.push_back(spi.text_not_null(r, 2));
    u.all_not_null = u.all_not_null && spi.text_not_null(r, 3) == "t";
  }
  return info;
}

}  // namespace pgfast::pg
