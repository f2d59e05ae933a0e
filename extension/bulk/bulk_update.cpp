// pgfast.bulk_update(target, rows, key_columns, options) -> (updated, unchanged, missing).
// Set-based on a staging table, like the upserts (bulk/upsert.hpp).
#include <algorithm>
#include <string>
#include <vector>

#include "bulk/arguments.hpp"
#include "bulk/keys.hpp"
#include "bulk/matched_update.hpp"
#include "bulk/options.hpp"
#include "bulk/stage.hpp"
#include "core/bulk_sql.hpp"
#include "pg/datum.hpp"
#include "pg/relation_info.hpp"
#include "pg/spi.hpp"
#include "pg/sql_function.hpp"
#include "pg/srf.hpp"

namespace pgfast::bulk {

PGFAST_FUNCTION(pgfast_bulk_update) {
  pg::SpiSession spi;
  pg::RelationInfo target = read_target(spi, fcinfo, "bulk_update");
  Datum rows = require_arg(fcinfo, 1, "rows");
  auto key_columns = pg::text_array_arg(fcinfo, 2, "key_columns");
  Options options = parse_options(fcinfo, 3);
  std::vector<std::string> keys = resolve_keys(target, key_columns, "key_columns", true);
  Stage stage = stage_json(spi, target, rows, "rows");
  int64_t updated = 0, unchanged = 0, missing = 0;
  if (stage.rows > 0) {
    check_keys_present(spi, stage, keys, "rows");
    std::vector<int64_t> removed =
        resolve_duplicates(spi, target, stage, keys, options.on_duplicate, "rows");
    bulk_sql::Tables t = stage.tables(target);
    std::vector<std::string> set_columns;
    for (const std::string& c : stage.columns) {
      if (std::find(keys.begin(), keys.end(), c) == keys.end()) set_columns.push_back(c);
    }
    const int64_t applied = stage.rows - static_cast<int64_t>(removed.size());
    MatchedUpdate m = update_matched_rows(spi, target, t, keys, set_columns, options.only_changed,
                                          applied, false);
    spi.execute("DROP TABLE " + m.matched_table, false);
    updated = m.updated;
    unchanged = m.matched - m.updated;
    missing = applied - m.matched;
  }
  drop_stage(spi, stage);
  pg::MaterializedResult result(fcinfo);
  Datum values[3] = {Int64GetDatum(updated), Int64GetDatum(unchanged), Int64GetDatum(missing)};
  bool nulls[3] = {false, false, false};
  result.put(values, nulls);
  return static_cast<Datum>(0);
}

}  // namespace pgfast::bulk
