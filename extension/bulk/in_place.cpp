#include "bulk/in_place.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "bulk/keys.hpp"
#include "bulk/matched_update.hpp"
#include "bulk/stage.hpp"
#include "core/bulk_sql.hpp"
#include "core/error.hpp"
#include "core/sql_text.hpp"
#include "pg/local_settings.hpp"
#include "pg/subtransaction.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "miscadmin.h"
}

namespace pgfast::bulk {

namespace {

// The source's columns in the target's column order, or nothing when the source cannot be read in
// place: not a temporary table (which no other session writes: the row count read first stays
// true for the statement that follows), a column the target lacks or has with another type, typmod
// or collation, or that cannot be written; or user triggers on the target or its partitions.
std::optional<std::vector<std::string>> in_place_columns(pg::SpiSession& spi,
                                                         const pg::RelationInfo& target,
                                                         Oid source) {
  pg::SpiArgs args;
  args.add(OIDOID, ObjectIdGetDatum(source));
  args.add(OIDOID, ObjectIdGetDatum(target.oid));
  spi.execute_cached(
      "SELECT s.attname, c.relkind = 'r' AND c.relpersistence = 't' AND t.attname IS NOT NULL AND "
      "t.atttypid = s.atttypid "
      "AND t.atttypmod = s.atttypmod AND t.attcollation = s.attcollation AND t.attgenerated = '' "
      "AND t.attidentity <> 'a' AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger g JOIN "
      "pg_catalog.pg_partition_tree($2) p ON g.tgrelid OPERATOR(pg_catalog.=) p.relid "
      "WHERE NOT g.tgisinternal) "
      "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_attribute s ON s.attrelid = c.oid AND "
      "s.attnum > 0 AND NOT s.attisdropped LEFT JOIN pg_catalog.pg_attribute t ON t.attrelid = $2 "
      "AND t.attname = s.attname AND t.attnum > 0 AND NOT t.attisdropped WHERE c.oid = $1",
      args, true);
  if (spi.rows() == 0) return std::nullopt;
  std::set<std::string> named;
  for (uint64_t r = 0; r < spi.rows(); ++r) {
    if (spi.text_not_null(r, 1) != "t") return std::nullopt;
    named.insert(spi.text_not_null(r, 0));
  }
  std::vector<std::string> columns;
  for (const pg::ColumnInfo& c : target.columns) {
    if (named.count(c.name)) columns.push_back(c.name);
  }
  return columns;
}

// True when a valid, immediate, non-partial unique index of the target has exactly `keys` as its
// key columns: it then raises 23505 for a key repeated among the inserted rows at once.
bool immediate_unique_index(pg::SpiSession& spi, const pg::RelationInfo& target,
                            const std::vector<std::string>& keys) {
  pg::SpiArgs args;
  args.add(OIDOID, ObjectIdGetDatum(target.oid));
  spi.execute_cached(
      "SELECT i.indexrelid, a.attname FROM pg_catalog.pg_index i CROSS JOIN LATERAL "
      "pg_catalog.unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) JOIN pg_catalog.pg_attribute "
      "a ON a.attrelid = i.indrelid AND a.attnum = k.attnum WHERE i.indrelid = $1 AND "
      "i.indisunique AND i.indimmediate AND i.indisvalid AND i.indpred IS NULL AND i.indexprs IS "
      "NULL AND k.ord <= i.indnkeyatts",
      args, true);
  std::map<std::string, std::set<std::string>> indexes;
  for (uint64_t r = 0; r < spi.rows(); ++r) {
    indexes[spi.text_not_null(r, 0)].insert(spi.text_not_null(r, 1));
  }
  const std::set<std::string> wanted(keys.begin(), keys.end());
  return std::any_of(indexes.begin(), indexes.end(),
                     [&](const auto& index) { return index.second == wanted; });
}

// The statement sorts the source's rows by key (for the update and the insert). Sorted in memory
// that takes about half the time of a sort spilled to disk: work_mem is raised for the statement
// to about 1.5 times the source's size, up to maintenance_work_mem (what PostgreSQL grants
// CREATE INDEX's sort), never lowered.
// True when the first kSampleRows rows of the source (in scan order) all have their key in the
// target with other values: a hint that every row changes (index probes: nothing is hashed).
constexpr int kSampleRows = 1000;

bool sample_all_differ(pg::SpiSession& spi, const bulk_sql::InPlace& p) {
  pg::LocalSettings settings;
  settings.set("enable_hashjoin", "off");
  settings.set("enable_mergejoin", "off");
  spi.execute(bulk_sql::match_counts(bulk_sql::Tables{p.target,
                                                      "(SELECT * FROM " + p.source + " LIMIT " +
                                                          std::to_string(kSampleRows) + ")",
                                                      ""},
                                     p.keys, p.set_columns),
              false);
  return spi.text_not_null(0, 0) == std::to_string(kSampleRows) &&
         spi.text_not_null(0, 1) == std::to_string(kSampleRows);
}

// Smaller sources are staged: the fixed cost of the checks here would not pay off.
constexpr int64_t kInPlaceMinKb = 256;

void sort_in_memory(pg::LocalSettings& settings, int64_t source_kb) {
  const int64_t wanted = std::min<int64_t>(source_kb + source_kb / 2, maintenance_work_mem);
  if (wanted > work_mem) settings.set("work_mem", (std::to_string(wanted) + "kB").c_str());
}

}  // namespace

std::optional<InPlaceCounts> upsert_in_place(
    pg::SpiSession& spi, const pg::RelationInfo& target, Oid source,
    const std::optional<std::vector<std::string>>& conflict_columns,
    const std::optional<std::vector<std::string>>& update_columns, const Options& options) {
  if (source == target.oid) return std::nullopt;
  std::optional<std::vector<std::string>> columns = in_place_columns(spi, target, source);
  if (!columns) return std::nullopt;
  const pg::RelationInfo from = pg::load_relation(spi, source);
  // The size (no scan) decides; rows are counted only when the target has any.
  pg::SpiArgs source_arg;
  source_arg.add(OIDOID, ObjectIdGetDatum(source));
  spi.execute(
      "SELECT pg_catalog.pg_relation_size($1::pg_catalog.regclass) / 1024, EXISTS (SELECT "
      "FROM " +
          from.qualified_name + ")",
      source_arg, false);
  const int64_t source_kb = std::stoll(spi.text_not_null(0, 0));
  if (source_kb < kInPlaceMinKb || spi.text_not_null(0, 1) != "t") return std::nullopt;

  bulk_sql::InPlace p;
  p.keys = resolve_keys(target, conflict_columns, "conflict_columns", true);
  p.set_columns = resolve_set_columns(target, *columns, 1, p.keys, update_columns);
  // (p.update / p.insert are decided below, from the match counts.)
  for (const std::string& k : p.keys) {
    if (std::find(columns->begin(), columns->end(), k) == columns->end() ||
        !target.column(k)->not_null) {
      return std::nullopt;  // the staged path names the missing column or the NULL row
    }
  }
  if (!immediate_unique_index(spi, target, p.keys)) return std::nullopt;
  p.target = target.qualified_name;
  p.source = from.qualified_name;
  p.check = free_ord_name(target);
  p.columns = *columns;
  p.only_changed = options.only_changed;

  // Which rows match, in a read that may hash (nothing is locked or written): it picks the
  // statement. A target without a visible row needs no join at all.
  int64_t rows = 0;  // counted when the target has rows
  int64_t matched = 0;
  int64_t differing = 0;
  spi.execute("SELECT 1 FROM " + target.qualified_name + " LIMIT 1", false);
  const bool target_empty = spi.rows() == 0;
  if (!target_empty) {
    spi.execute("SELECT pg_catalog.count(*) FROM " + from.qualified_name, false);
    rows = std::stoll(spi.text_not_null(0, 0));
  }
  if (!target_empty && p.only_changed && !p.set_columns.empty() && sample_all_differ(spi, p)) {
    // Most likely every row changes: the statement that updates and then (only if rows are
    // left) inserts handles any mix; the full count would only cost a join more.
    matched = 1;
    differing = 1;
  } else if (!target_empty) {
    pg::LocalSettings settings;
    avoid_hashing_large_targets(spi, target, rows, settings);
    spi.execute(
        bulk_sql::match_counts(bulk_sql::Tables{p.target, p.source, ""}, p.keys, p.set_columns),
        false);
    matched = std::stoll(spi.text_not_null(0, 0));
    differing = p.only_changed ? std::stoll(spi.text_not_null(0, 1)) : matched;
  }
  if (!target_empty && matched == rows && differing == 0) {
    // Nothing to write: the call is settled once no key repeats (then every row is unchanged).
    spi.execute(bulk_sql::any_duplicate(bulk_sql::Tables{p.target, p.source, ""}, p.keys,
                                        one_fast_sorting_key(target, p.keys)),
                false);
    if (spi.rows() > 0) return std::nullopt;
    return InPlaceCounts{0, 0, rows};
  }
  if (matched > 0 && p.set_columns.empty()) {
    return std::nullopt;  // the staged path's duplicate check covers rows that match
  }
  // No key of the source in the target: the ordered insert alone (a key inserted meanwhile, or
  // repeated among the rows, is a unique violation). Every key in the target: the update alone
  // (a row deleted meanwhile is neither updated nor inserted, as in the staged path).
  p.update = matched > 0;
  p.insert = target_empty || matched < rows;
  const std::string sql = bulk_sql::upsert_in_place(p);

  InPlaceCounts out;
  try {
    pg::Subtransaction sub;
    {
      pg::LocalSettings settings;
      if (p.update) order_joins_by_key(spi, target, rows, settings);
      sort_in_memory(settings, source_kb);
      pg::SpiArgs args;
      args.add(INT8OID, Int64GetDatum(rows));
      const uint64_t processed = spi.execute(sql, args, false);
      if (!p.update) out.inserted = static_cast<int64_t>(processed);
    }
    if (p.update) {
      out.updated = std::stoll(spi.text_not_null(0, 0));
      out.inserted = std::stoll(spi.text_not_null(0, 1));
    }
    sub.commit();
  } catch (const Error& e) {
    // A repeated or NULL key, a bad value, a key inserted meanwhile: the staged path settles it
    // (on_duplicate, the row named, ON CONFLICT). Anything else ends the call.
    if (!bulk_sql::blames_row(e.sqlstate())) throw;
    return std::nullopt;
  }
  if (target_empty) rows = out.inserted;  // every row, or an error
  out.unchanged = rows - out.updated - out.inserted;
  return out;
}

}  // namespace pgfast::bulk
