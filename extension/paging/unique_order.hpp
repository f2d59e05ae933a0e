// The full, unique order of a page.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/order_by.hpp"
#include "pg/relation_info.hpp"

namespace pgfast::paging {

// `order_by` (NULL: none) with the columns of the first unique index on NOT NULL columns (the
// primary key first) appended where missing. Errors when no such index exists and `order_by` does
// not cover one (views, which have no indexes, take `order_by` as given: it must be unique).
std::vector<OrderKey> unique_order(const pg::RelationInfo& relation,
                                   const std::optional<std::string>& order_by);

}  // namespace pgfast::paging
