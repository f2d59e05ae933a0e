#include "fts/fts_config.hpp"

#include "core/sql_text.hpp"
#include "pg/run_as_owner.hpp"

extern "C" {
#include "catalog/pg_type.h"
}

namespace pgfast::fts {

std::string match_expression(const FtsConfig& config) {
  return config.generated_column.empty() ? "(" + config.document + ")"
                                         : quote_identifier(config.generated_column);
}

std::optional<FtsConfig> load_config(pg::SpiSession& spi, Oid relation) {
  pg::SpiArgs args;
  args.add(OIDOID, ObjectIdGetDatum(relation));
  spi.execute(
      "SELECT index_name, config::pg_catalog.oid, columns, document, "
      "COALESCE(generated_column, '') FROM pgfast.fts_config "
      "WHERE relation OPERATOR(pg_catalog.=) $1",
      args, true);
  if (spi.rows() == 0) return std::nullopt;
  FtsConfig c;
  c.relation = relation;
  c.index_name = spi.text_not_null(0, 0);
  c.config = static_cast<Oid>(std::stoul(spi.text_not_null(0, 1)));
  bool is_null;
  Datum columns = spi.datum(0, 2, &is_null);
  c.document = spi.text_not_null(0, 3);
  c.generated_column = spi.text_not_null(0, 4);
  pg::SpiArgs column_args;
  column_args.add(TEXTARRAYOID, columns);
  spi.execute("SELECT pg_catalog.unnest($1)", column_args, true);
  for (uint64_t r = 0; r < spi.rows(); ++r) c.columns.push_back(spi.text_not_null(r, 0));
  return c;
}

void save_config(pg::SpiSession& spi, const FtsConfig& config, const std::vector<char>& weights) {
  pg::RunAsOwner owner;
  pg::SpiArgs args;
  args.add(OIDOID, ObjectIdGetDatum(config.relation));
  args.add_text(config.index_name);
  args.add(OIDOID, ObjectIdGetDatum(config.config));
  std::string columns = "{";
  for (size_t i = 0; i < config.columns.size(); ++i) {
    std::string quoted = "\"";
    for (char ch : config.columns[i]) {
      if (ch == '"' || ch == '\\') quoted += '\\';
      quoted += ch;
    }
    columns += (i ? "," : "") + quoted + "\"";
  }
  columns += "}";
  args.add_text(columns);
  args.add_text(std::string(weights.begin(), weights.end()));
  args.add_text(config.document);
  args.add_text(config.generated_column);
  spi.execute(
      "INSERT INTO pgfast.fts_config AS f (relation, index_name, config, columns, weights, "
      "document, generated_column) VALUES ($1::pg_catalog.regclass, $2, "
      "$3::pg_catalog.regconfig, $4::pg_catalog.text[], "
      "CASE WHEN $5 OPERATOR(pg_catalog.=) ''::pg_catalog.text THEN NULL "
      "ELSE pg_catalog.regexp_split_to_array($5, '')::pg_catalog.\"char\"[] END, $6, "
      "CASE WHEN $7 OPERATOR(pg_catalog.=) ''::pg_catalog.text THEN NULL ELSE $7 END) "
      "ON CONFLICT (relation) DO UPDATE SET "
      "index_name = EXCLUDED.index_name, config = EXCLUDED.config, columns = EXCLUDED.columns, "
      "weights = EXCLUDED.weights, document = EXCLUDED.document, "
      "generated_column = EXCLUDED.generated_column",
      args, false);
}

}  // namespace pgfast::fts
