#include "paging/unique_order.hpp"

#include <algorithm>
#include <set>

#include "core/error.hpp"

extern "C" {
#include "catalog/pg_class.h"
}

namespace pgfast::paging {

std::vector<OrderKey> unique_order(const pg::RelationInfo& relation,
                                   const std::optional<std::string>& order_by) {
  std::vector<OrderKey> keys;
  if (order_by) {
    keys = parse_order_by(*order_by);
    for (const OrderKey& k : keys) relation.require_column(k.column, "order_by");
  }
  std::set<std::string> named;
  for (const OrderKey& k : keys) named.insert(k.column);
  std::vector<const pg::UniqueIndex*> candidates;
  for (const pg::UniqueIndex& u : relation.unique_indexes) {
    if (u.all_not_null) candidates.push_back(&u);
  }
  // Already unique: the order names every column of such an index.
  for (const pg::UniqueIndex* u : candidates) {
    if (std::all_of(u->columns.begin(), u->columns.end(),
                    [&](const std::string& c) { return named.count(c) > 0; })) {
      return keys;
    }
  }
  if (!candidates.empty()) {
    for (const std::string& c : candidates.front()->columns) {
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
                        : "Add a primary key, or pass an order_by that includes the columns of a "
                          "unique index on NOT NULL columns.");
}

}  // namespace pgfast::paging
