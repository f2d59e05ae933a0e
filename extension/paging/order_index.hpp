// Whether a btree index serves a page's order, and the statement-local settings that then make
// every page and probe an ordered scan of it (docs/pagination.md, "Plan shape").
#pragma once

#include <optional>
#include <vector>

#include "core/order_by.hpp"
#include "pg/local_settings.hpp"
#include "pg/postgres.hpp"

namespace pgfast::paging {

// True when a valid, non-partial btree index of `relation` has `order` (every column, the
// tie-breaker included) as the leading key columns, with the same directions and NULLS placement
// or all of them reversed (a backward scan). Read from the relcache and catalog caches.
bool order_has_index(Oid relation, const std::vector<OrderKey>& order);

// Turns seqscan, bitmapscan, sort and incremental sort off in `settings` (emplaced), so the
// planner cannot trade the ordered index scan for a plan that reads the whole range: estimates
// then only choose among ordered index scans. Restored when `settings` is reset or destroyed.
// Does nothing in parallel mode, where settings cannot change.
void prefer_ordered_index_scans(std::optional<pg::LocalSettings>& settings);

}  // namespace pgfast::paging
