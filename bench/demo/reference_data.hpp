// Loading the reference workload's data through the client: the schema and its index plan, the
// users' sessions/queries/results, the scraping phase (pages stored with a bulk upsert on url into
// the FTS-indexed website_content) and the analysis phase (nouns and entities bulk-inserted).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "corpus/corpus.hpp"
#include "pgfast/db/database.hpp"

namespace pgfast_demo {

struct SchemaResult {
  int indexes_first = 0;   // indexes on the eight tables after applying the plan once
  int indexes_second = 0;  // ... and after applying it a second time (must be equal)
  int plan_statements = 0;
};

// Drops and recreates the eight tables (bench/schema/reference_schema.sql) and applies
// bench/schema/index_plan.sql twice.
SchemaResult create_reference_schema(pgfast::Database& db, const std::string& schema_dir);

struct LoadResult {
  std::uint64_t rows = 0;
  double seconds = 0;
  double rate() const { return seconds > 0 ? static_cast<double>(rows) / seconds : 0; }
};

// Sessions, queries and their ranked results (BulkWriter, insert mode).
LoadResult load_sessions(pgfast::Database& db, const pgfast_bench::Corpus& corpus);

// Every page of the corpus, generated on 2 threads: the scrapers' download + parse, done once
// and before any timing (the scraping and analysis phases both read them).
std::vector<pgfast_bench::PageRow> generate_pages(const pgfast_bench::Corpus& corpus);

// The scraping phase: `workers` scrapers each store batches of `pages` with a BulkWriter upsert
// on url (website_content has its full-text GIN index already).
LoadResult store_pages(pgfast::Database& db, const std::vector<pgfast_bench::PageRow>& pages,
                       int workers, std::size_t batch);

// The analysis phase: nouns (TF-IDF) and entities of every page, one BulkWriter insert stream each.
LoadResult store_analysis(pgfast::Database& db, const pgfast_bench::Corpus& corpus,
                          const std::vector<pgfast_bench::PageRow>& pages);

}  // namespace pgfast_demo
