#include "bulk/matched_update.hpp"

#include "bulk/keys.hpp"
#include "pg/local_settings.hpp"

extern "C" {
#include "catalog/pg_type.h"
}

namespace pgfast::bulk {

namespace {

// The planner's row count of the target (summed over the partitions of a partitioned table); -1
// when some table was never vacuumed or analyzed (reltuples -1).
int64_t target_rows_estimate(pg::SpiSession& spi, Oid target) {
  pg::SpiArgs args;
  args.add(OIDOID, ObjectIdGetDatum(target));
  spi.execute_cached(
      "SELECT CASE WHEN pg_catalog.bool_or(c.reltuples < 0) THEN -1 ELSE "
      "pg_catalog.sum(c.reltuples) END::bigint FROM pg_catalog.pg_partition_tree($1) p JOIN "
      "pg_catalog.pg_class c ON c.oid = p.relid WHERE p.isleaf",
      args, true);
  return spi.text(0, 0) ? std::stoll(*spi.text(0, 0)) : -1;
}

// The join of a large call's stage with the target that reads the stage in key order: a merge
// join when the call covers half the target or more (or the target's size is unknown), both
// sides in key order, the target by its key index; else a nested loop over the stage, probing the
// key index, which touches only the call's rows where a hash join would read the whole target.
// With the target estimated at over twice the call, the planner will not put the target on the
// outer side of that loop, which would cost (target rows x call rows).
enum class StageJoin { kMerge, kIndexProbes };

StageJoin stage_join(int64_t rows, int64_t target_estimate) {
  return target_estimate < 0 || rows * 2 >= target_estimate ? StageJoin::kMerge
                                                            : StageJoin::kIndexProbes;
}

void force_join(pg::LocalSettings& settings, StageJoin join) {
  settings.set("enable_hashjoin", "off");
  settings.set(join == StageJoin::kMerge ? "enable_nestloop" : "enable_mergejoin", "off");
}

// Updates the matched rows whose values differ (all of them with update_when = always), taking row
// locks in key order so calls with overlapping keys cannot deadlock: small calls lock in a
// locking pass (SELECT ... ORDER BY key FOR UPDATE) first; a large call runs one UPDATE whose join
// reads the stage in key order (stage_join, with the stage sorted for the nested loop), so it
// updates, and locks, in key order. Returns the number of rows updated, and their ords when
// `ords` is given.
int64_t update_in_key_order(pg::SpiSession& spi, const bulk_sql::Tables& t,
                            const std::vector<std::string>& keys,
                            const std::vector<std::string>& set_columns, bool only_changed,
                            int64_t matched, int64_t target_estimate, std::vector<int64_t>* ords) {
  uint64_t updated;
  if (matched >= kLargeCallRows) {
    const StageJoin join = stage_join(matched, target_estimate);
    pg::LocalSettings settings;
    force_join(settings, join);
    updated =
        spi.execute(bulk_sql::update_from_stage(t, keys, set_columns, only_changed, ords != nullptr,
                                                join == StageJoin::kIndexProbes),
                    false);
  } else {
    spi.execute(only_changed ? bulk_sql::lock_differing(t, keys, set_columns)
                             : bulk_sql::lock_existing(t, keys),
                false);
    if (spi.rows() == 0) return 0;
    updated = spi.execute(
        bulk_sql::update_from_stage(t, keys, set_columns, only_changed, ords != nullptr), false);
  }
  if (ords) *ords = ords_of_result(spi);
  return static_cast<int64_t>(updated);
}

}  // namespace

void order_joins_by_key(pg::SpiSession& spi, const pg::RelationInfo& target, int64_t rows,
                        pg::LocalSettings& settings) {
  force_join(settings, stage_join(rows, target_rows_estimate(spi, target.oid)));
}

void avoid_hashing_large_targets(pg::SpiSession& spi, const pg::RelationInfo& target, int64_t rows,
                                 pg::LocalSettings& settings) {
  if (rows >= kLargeCallRows &&
      stage_join(rows, target_rows_estimate(spi, target.oid)) == StageJoin::kIndexProbes) {
    force_join(settings, StageJoin::kIndexProbes);
  }
}

MatchedUpdate update_matched_rows(pg::SpiSession& spi, const pg::RelationInfo& target,
                                  const bulk_sql::Tables& t, const std::vector<std::string>& keys,
                                  const std::vector<std::string>& set_columns, bool only_changed,
                                  int64_t rows, bool with_ords) {
  MatchedUpdate out;
  const int64_t target_estimate =
      rows >= kLargeCallRows ? target_rows_estimate(spi, target.oid) : -1;
  out.matched_table = temp_table_name(spi, "pgfast_matched_");
  {
    // A large call that is small next to its target probes the key index for its rows, where the
    // planner tends to hash the whole target (every compared column of every row).
    pg::LocalSettings settings;
    if (rows >= kLargeCallRows && stage_join(rows, target_estimate) == StageJoin::kIndexProbes) {
      force_join(settings, StageJoin::kIndexProbes);
    }
    out.matched = static_cast<int64_t>(
        spi.execute(bulk_sql::collect_matched(t, keys, set_columns, out.matched_table), false));
  }
  if (set_columns.empty() || out.matched == 0) return out;
  // With update_when = changed, an all-unchanged call stops at the read above.
  int64_t to_update = out.matched;
  if (only_changed) {
    spi.execute(bulk_sql::count_differing(out.matched_table), false);
    to_update = std::stoll(spi.text_not_null(0, 0));
  }
  if (to_update > 0) {
    out.updated = update_in_key_order(spi, t, keys, set_columns, only_changed, to_update,
                                      target_estimate, with_ords ? &out.updated_ords : nullptr);
  }
  return out;
}

}  // namespace pgfast::bulk
