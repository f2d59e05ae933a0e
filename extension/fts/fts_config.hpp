// What pgfast.fts_index recorded for a table (pgfast.fts_config), so that pgfast.fts_search
// matches with exactly the indexed expression.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "pg/postgres.hpp"
#include "pg/spi.hpp"

namespace pgfast::fts {

struct FtsConfig {
  Oid relation = InvalidOid;
  std::string index_name;
  Oid config = InvalidOid;
  std::vector<std::string> columns;
  std::string document;          // tsvector expression over the table's columns
  std::string generated_column;  // when not empty, the stored column holding `document`
};

// The SQL text that fts_search matches: the generated column, or the document expression.
std::string match_expression(const FtsConfig& config);

std::optional<FtsConfig> load_config(pg::SpiSession& spi, Oid relation);
void save_config(pg::SpiSession& spi, const FtsConfig& config, const std::vector<char>& weights);

}  // namespace pgfast::fts
