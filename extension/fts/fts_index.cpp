// pgfast.fts_index(target, columns, config, weights, options): a GIN index over the tsvector
// document of `columns` -- an expression index, or (option generated_column) a stored generated
// tsvector column and a GIN index on it -- built through ensure_index (idempotent by definition,
// optionally in the background), and recorded in pgfast.fts_config for fts_search.
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/fts_sql.hpp"
#include "core/sql_text.hpp"
#include "fts/fts_config.hpp"
#include "indexes/definition.hpp"
#include "indexes/ensure.hpp"
#include "pg/catalog.hpp"
#include "pg/datum.hpp"
#include "pg/json_options.hpp"
#include "pg/recovery.hpp"
#include "pg/guard.hpp"
#include "pg/run_as_owner.hpp"
#include "pg/spi.hpp"
#include "pg/sql_function.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "catalog/pg_ts_config.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
}

namespace pgfast::fts {

namespace {

std::vector<char> char_array(FunctionCallInfo fcinfo, int n) {
  Datum* elements = nullptr;
  bool* nulls = nullptr;
  int count = 0;
  pg::call([fcinfo, n, &elements, &nulls, &count] {
    deconstruct_array(PG_GETARG_ARRAYTYPE_P(n), CHAROID, 1, true, TYPALIGN_CHAR, &elements, &nulls,
                      &count);
  });
  std::vector<char> out;
  for (int i = 0; i < count; ++i) {
    if (nulls[i]) throw Error(sqlstate::kNullValueNotAllowed, "weights must not contain NULL");
    out.push_back(DatumGetChar(elements[i]));
  }
  return out;
}

// The generation expression of `column` as stored (pg_attrdef.adbin, a node tree: never deparsed
// nor re-parsed, which would run the column owner's code such as a domain's CHECK) if it is a
// stored generated tsvector column, "" if it is another column, nullopt if there is no such column.
std::optional<std::string> generation_expression(pg::SpiSession& spi, Oid relation,
                                                 const std::string& column) {
  pg::SpiArgs args;
  args.add(OIDOID, ObjectIdGetDatum(relation));
  args.add_text(column);
  spi.execute(
      "SELECT a.atttypid OPERATOR(pg_catalog.=) 'pg_catalog.tsvector'::pg_catalog.regtype "
      "AND a.attgenerated = 's', "
      "d.adbin::pg_catalog.text FROM pg_catalog.pg_attribute a "
      "LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
      "WHERE a.attrelid = $1 AND a.attname = $2 AND a.attnum > 0 AND NOT a.attisdropped",
      args, false);
  if (spi.rows() == 0) return std::nullopt;
  if (spi.text_not_null(0, 0) != "t") return std::string();
  return spi.text_not_null(0, 1);
}

std::string fts_index_impl(FunctionCallInfo fcinfo) {
  pg::refuse_during_recovery("fts_index");
  for (int i = 0; i < 3; ++i) {
    if (PG_ARGISNULL(i)) {
      throw Error(sqlstate::kNullValueNotAllowed, std::string(i == 0   ? "target"
                                                              : i == 1 ? "columns"
                                                                       : "config") +
                                                      " must not be NULL");
    }
  }
  FtsConfig config;
  config.relation = PG_GETARG_OID(0);
  config.columns = *pg::text_array_arg(fcinfo, 1, "columns");
  config.config = PG_GETARG_OID(2);
  std::vector<char> weights;
  if (!PG_ARGISNULL(3)) weights = char_array(fcinfo, 3);

  pg::SpiSession spi;
  indexes::IndexRequest request;
  request.relation = config.relation;
  request.method = "gin";
  std::string name;
  for (const pg::JsonOption& o : pg::read_options(fcinfo, 4)) {
    if (o.key == "concurrently") {
      request.concurrently = pg::option_bool(o);
    } else if (o.key == "name") {
      name = pg::option_string(o);
    } else if (o.key == "generated_column") {
      config.generated_column = pg::option_string(o);
    } else {
      pg::unknown_option(o, "concurrently, name and generated_column");
    }
  }
  pg::lock_owned_table(config.relation);
  Oid relation = config.relation;
  for (const std::string& column : config.columns) {
    const char* c = column.c_str();
    pg::call([relation, c] {
      if (get_attnum(relation, c) == InvalidAttrNumber) {
        ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN),
                        errmsg("column \"%s\" does not exist in %s", c, get_rel_name(relation))));
      }
    });
  }
  // The configuration schema-qualified (the document is evaluated later under other search_paths:
  // the build worker's, fts_search's caller's), quoted by PostgreSQL (an E'' literal when needed,
  // right whatever standard_conforming_strings is).
  Oid cfg = config.config;
  std::string config_literal = pg::call([cfg] {
    HeapTuple tuple = SearchSysCache1(TSCONFIGOID, ObjectIdGetDatum(cfg));
    if (!HeapTupleIsValid(tuple)) {
      ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT),
                      errmsg("text search configuration with OID %u does not exist", cfg)));
    }
    auto* form = reinterpret_cast<Form_pg_ts_config>(GETSTRUCT(tuple));
    char* qualified =
        quote_qualified_identifier(get_namespace_name(form->cfgnamespace), NameStr(form->cfgname));
    ReleaseSysCache(tuple);
    return quote_literal_cstr(qualified);
  });
  config.document =
      fts_document_sql(config.columns, weights, config_literal + "::pg_catalog.regconfig");

  if (config.generated_column.empty()) {
    request.elements = {"(" + config.document + ")"};
    request.name_part = "fts";
  } else {
    std::optional<std::string> existing =
        generation_expression(spi, relation, config.generated_column);
    std::string add_column =
        std::string("ALTER TABLE ") + pg::call([relation] {
          return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relation)),
                                            get_rel_name(relation));
        });
    if (!existing) {
      // Adding a stored generated column rewrites the table (an ACCESS EXCLUSIVE lock for the
      // duration); only the index build itself can be concurrent. The rewrite evaluates the
      // document for every row, and with it the casts of the columns' types to text -- the table
      // owner's choice, possibly its own functions -- so it runs as the table's owner under
      // SECURITY_RESTRICTED_OPERATION, as PostgreSQL runs index builds; every name in the
      // statement is qualified (search_path pinned to pg_catalog, pg_temp).
      std::string statement =
          add_column + " ADD COLUMN " + quote_identifier(config.generated_column) +
          " pg_catalog.tsvector GENERATED ALWAYS AS (" + config.document + ") STORED";
      pg::RunAsOwner owner(pg::relation_owner(relation));
      spi.execute(statement, false);
    } else {
      bool same = !existing->empty() &&
                  indexes::expression_equals_stored(relation, config.document, *existing);
      if (!same) {
        throw Error(sqlstate::kDuplicateColumn,
                    "column \"" + config.generated_column +
                        "\" exists and is not a stored tsvector generated from these columns",
                    "", "Choose another generated_column name, or drop the column.");
      }
    }
    request.elements = {quote_identifier(config.generated_column)};
  }
  config.index_name = indexes::ensure_index(spi, request, name);
  save_config(spi, config, weights);
  return config.index_name;
}

}  // namespace

PGFAST_FUNCTION(pgfast_fts_index) {
  return pg::text_datum(fts_index_impl(fcinfo));
}

}  // namespace pgfast::fts
