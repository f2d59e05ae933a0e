#include "bulk/direct_path.hpp"

#include <set>

namespace pgfast {

namespace {

DirectPathDecision refuse(std::string reason) {
  DirectPathDecision d;
  d.reason = std::move(reason);
  return d;
}

const DirectPathColumn* find_column(const DirectPathFacts& facts, const std::string& name) {
  for (const DirectPathColumn& c : facts.columns) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

// The conflict columns (else the primary key's) as positions in the writer's columns, when all are
// bigint, integer or text: the ones the first-row probe can look up. Otherwise none.
std::vector<std::size_t> probe_keys(const DirectPathFacts& facts,
                                    const BulkWriterOptions& options) {
  std::vector<std::string> keys = options.conflict_columns;
  if (keys.empty()) {
    for (const DirectPathColumn& c : facts.columns) {
      if (c.in_primary_key) keys.push_back(c.name);
    }
  }
  std::vector<std::size_t> out;
  for (const std::string& key : keys) {
    for (std::size_t i = 0; i < options.columns.size(); ++i) {
      if (options.columns[i].name != key) continue;
      const BulkType t = options.columns[i].type;
      if (t != BulkType::int64 && t != BulkType::int32 && t != BulkType::text) return {};
      out.push_back(i);
    }
  }
  if (out.size() != keys.size()) return {};
  return out;
}

}  // namespace

// The type OIDs (fixed in pg_type.dat) whose binary input is exactly what a BulkType sends.
bool takes_binary(BulkType type, unsigned type_oid) {
  switch (type) {
    case BulkType::int64:
      return type_oid == 20;  // int8
    case BulkType::float64:
      return type_oid == 701;  // float8
    case BulkType::boolean:
      return type_oid == 16;  // bool
    case BulkType::text:
      return type_oid == 25 || type_oid == 1043;  // text, varchar (COPY applies the typmod)
    case BulkType::timestamptz:
      return type_oid == 1184;
    case BulkType::jsonb:
      return type_oid == 3802;
    case BulkType::int32:
      return type_oid == 23;  // int4
    case BulkType::float32:
      return type_oid == 700;  // float4
  }
  return false;
}

DirectPathDecision decide_direct_path(const DirectPathFacts& facts,
                                      const BulkWriterOptions& options) {
  if (!facts.exists) return refuse("no such relation: the staged path reports it");
  if (!facts.plain_table) {
    return refuse("not a table, or it has row level security or rules");
  }
  const bool upsert = options.mode == BulkMode::upsert;
  if (upsert && facts.user_triggers) return refuse("upsert into a table with user triggers");
  if (upsert && !facts.may_update) return refuse("upsert without the UPDATE privilege");
  if (upsert && !facts.conflict_index) {
    return refuse("upsert without an immediate unique index on NOT NULL conflict columns");
  }
  std::set<std::string> sent;
  for (const BulkColumn& col : options.columns) {
    if (!sent.insert(col.name).second) return refuse("column \"" + col.name + "\" sent twice");
    const DirectPathColumn* c = find_column(facts, col.name);
    if (c == nullptr) return refuse("column \"" + col.name + "\" does not exist");
    // Identity ALWAYS: INSERT refuses a value, COPY takes it; generated: both refuse.
    if (c->identity == 'a' || c->generated) {
      return refuse("column \"" + col.name + "\" is generated or an identity ALWAYS");
    }
    if (!takes_binary(col.type, c->type_oid)) {
      return refuse("column \"" + col.name + "\" needs a cast from what the writer sends");
    }
  }
  if (upsert) {
    // A failed attempt would consume the sequences of omitted columns (and default expressions
    // may have other side effects): the merge evaluates them for new rows only.
    for (const DirectPathColumn& c : facts.columns) {
      if (sent.count(c.name) == 0 && c.has_default) {
        return refuse("upsert omitting column \"" + c.name + "\", which has a default");
      }
    }
    for (const std::string& key : options.conflict_columns) {
      if (sent.count(key) == 0) return refuse("conflict column \"" + key + "\" is not sent");
    }
    if (options.update_columns) {
      for (const std::string& u : *options.update_columns) {
        if (sent.count(u) == 0) return refuse("update column \"" + u + "\" is not sent");
      }
    }
  }
  DirectPathDecision d;
  d.direct = true;
  if (upsert) d.probe_keys = probe_keys(facts, options);
  return d;
}

}  // namespace pgfast
