// Shared pieces of pgfast.page and pgfast.offset_page: what a call resolved (relation, full
// order, filter) and the SQL fragments built from it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/order_by.hpp"
#include "paging/filter.hpp"
#include "paging/unique_order.hpp"
#include "pg/relation_info.hpp"
#include "pg/spi.hpp"

namespace pgfast::paging {

// The relation's alias in every query. Whole rows are written "s".* (never a bare "s", which a
// column named s would shadow); columns are always qualified.
inline constexpr char kAlias[] = "s";

struct ResolvedSource {
  pg::RelationInfo relation;
  std::vector<OrderKey> order;  // unique: the tie-breaker appended
  Filter filter;
  pg::SpiArgs filter_args;  // the filter's parameters ($1..$k)
};

ResolvedSource resolve_source(pg::SpiSession& spi, Oid relation,
                              const std::optional<std::string>& order_by, Datum filter,
                              bool filter_is_null);

// "FROM <relation> s" plus " WHERE <conditions>" for the non-empty ones.
std::string from_where(const ResolvedSource& source, const std::vector<std::string>& conditions);

// " ORDER BY s.a ASC NULLS LAST, ..." for `order`.
std::string order_by_clause(const std::vector<OrderKey>& order);

}  // namespace pgfast::paging
