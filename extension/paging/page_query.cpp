#include "paging/page_query.hpp"

#include "core/sql_text.hpp"

namespace pgfast::paging {

ResolvedSource resolve_source(pg::SpiSession& spi, Oid relation,
                              const std::optional<std::string>& order_by, Datum filter,
                              bool filter_is_null) {
  ResolvedSource source;
  source.relation = pg::load_relation(spi, relation);
  source.order = unique_order(source.relation, order_by);
  source.filter = build_filter(source.relation, filter, filter_is_null, source.filter_args, kAlias);
  return source;
}

std::string from_where(const ResolvedSource& source, const std::vector<std::string>& conditions) {
  std::string sql = " FROM " + source.relation.qualified_name + " " + quote_identifier(kAlias);
  std::string where;
  for (const std::string& c : conditions) {
    if (c.empty()) continue;
    where += where.empty() ? " WHERE " : " AND ";
    where += "(" + c + ")";
  }
  return sql + where;
}

std::string order_by_clause(const std::vector<OrderKey>& order) {
  std::string sql = " ORDER BY ";
  for (size_t i = 0; i < order.size(); ++i) {
    if (i > 0) sql += ", ";
    sql += quote_identifier(kAlias) + "." + quote_identifier(order[i].column);
    sql += order[i].descending ? " DESC" : " ASC";
    sql += order[i].nulls_first ? " NULLS FIRST" : " NULLS LAST";
  }
  return sql;
}

}  // namespace pgfast::paging
