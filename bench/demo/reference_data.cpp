#include "reference_data.hpp"

#include <atomic>
#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include "latency.hpp"
#include "pgfast/bulk/bulk_writer.hpp"
#include "progress.hpp"

namespace pgfast_demo {
namespace {

using pgfast::BulkType;
using pgfast::BulkValue;
using pgfast_bench::Corpus;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

const char* const kTables[] = {"scraping_jobs",   "network_exports", "entities",
                               "extracted_nouns", "website_content", "search_results",
                               "search_queries",  "search_sessions"};

int count_indexes(pgfast::Database& db) {
  return db
      .query(
          "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid "
          "WHERE c.relname = ANY($1) AND c.relnamespace = 'public'::regnamespace",
          pgfast::params(pgfast::array_literal(
              std::vector<std::string>(std::begin(kTables), std::end(kTables)))))
      .as<int>(0, 0);
}

pgfast::BulkWriterOptions insert_into(std::string table, std::vector<pgfast::BulkColumn> columns) {
  pgfast::BulkWriterOptions o;
  o.target = std::move(table);
  o.columns = std::move(columns);
  o.mode = pgfast::BulkMode::insert;
  o.chunk_rows = 50000;
  return o;
}

void set_identity_after_load(pgfast::Database& db, const std::string& table) {
  db.query(
      "SELECT setval(pg_get_serial_sequence($1, 'id'), coalesce(max(id), 0) + 1, false) FROM " +
          table,
      pgfast::params(table));
}

}  // namespace

SchemaResult create_reference_schema(pgfast::Database& db, const std::string& schema_dir) {
  SchemaResult r;
  auto lease = db.acquire();
  for (const char* table : kTables)
    lease->execute(std::string("DROP TABLE IF EXISTS ") + table + " CASCADE");
  lease->execute_script(read_file(schema_dir + "/reference_schema.sql"));
  std::string plan = read_file(schema_dir + "/index_plan.sql");
  for (std::size_t pos = 0; (pos = plan.find("SELECT pgfast.", pos)) != std::string::npos; ++pos) {
    ++r.plan_statements;
  }
  lease->execute_script(plan);
  r.indexes_first = count_indexes(db);
  lease->execute_script(plan);
  r.indexes_second = count_indexes(db);
  return r;
}

LoadResult load_sessions(pgfast::Database& db, const Corpus& corpus) {
  const auto& size = corpus.size();
  LoadResult result;
  auto start = std::chrono::steady_clock::now();
  Progress progress("sessions, queries, results",
                    size.sessions + size.queries() * (1 + size.results_per_query));
  auto lease = db.acquire();
  lease->execute("BEGIN");
  {
    pgfast::BulkWriter w(*lease,
                         insert_into("search_sessions", {{"id", BulkType::int64},
                                                         {"user_id", BulkType::int64},
                                                         {"name", BulkType::text},
                                                         {"description", BulkType::text},
                                                         {"status", BulkType::text},
                                                         {"created_at", BulkType::timestamptz},
                                                         {"updated_at", BulkType::timestamptz}}));
    for (std::size_t i = 0; i < size.sessions; ++i) {
      auto s = corpus.session(i);
      w.add_row({s.id, s.user_id, s.name, s.description, s.status, pgfast::Timestamp{s.created_at},
                 pgfast::Timestamp{s.created_at}});
      progress.advance();
    }
    result.rows += w.finish().inserted;
  }
  {
    pgfast::BulkWriter queries(
        *lease, insert_into("search_queries", {{"id", BulkType::int64},
                                               {"session_id", BulkType::int64},
                                               {"query_text", BulkType::text},
                                               {"result_count", BulkType::int32},
                                               {"created_at", BulkType::timestamptz},
                                               {"completed_at", BulkType::timestamptz}}));
    for (std::size_t i = 0; i < size.queries(); ++i) {
      auto q = corpus.query(i);
      queries.add_row({q.id, q.session_id, q.query_text,
                       static_cast<std::int64_t>(size.results_per_query),
                       pgfast::Timestamp{q.created_at}, pgfast::Timestamp{q.created_at + 4000000}});
      progress.advance();
    }
    result.rows += queries.finish().inserted;
  }
  {
    pgfast::BulkWriter results(*lease,
                               insert_into("search_results", {{"query_id", BulkType::int64},
                                                              {"url", BulkType::text},
                                                              {"domain", BulkType::text},
                                                              {"title", BulkType::text},
                                                              {"snippet", BulkType::text},
                                                              {"rank", BulkType::int32},
                                                              {"is_scraped", BulkType::boolean}}));
    for (std::size_t i = 0; i < size.queries(); ++i) {
      for (auto& r : corpus.results(i)) {
        results.add_row({r.query_id, r.url, r.domain, r.title, r.snippet,
                         static_cast<std::int64_t>(r.rank), true});
        progress.advance();
      }
    }
    result.rows += results.finish().inserted;
  }
  lease->execute("COMMIT");
  set_identity_after_load(db, "search_sessions");
  set_identity_after_load(db, "search_queries");
  progress.finish();
  result.seconds = seconds_since(start);
  return result;
}

std::vector<pgfast_bench::PageRow> generate_pages(const Corpus& corpus) {
  const std::size_t pages = corpus.size().pages;
  std::vector<pgfast_bench::PageRow> rows(pages);
  Progress progress("generating pages", pages);
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      for (std::size_t i = static_cast<std::size_t>(t); i < pages; i += 2) {
        rows[i] = corpus.page(i);
        progress.advance();
      }
    });
  }
  for (auto& t : threads) t.join();
  progress.finish();
  return rows;
}

LoadResult store_pages(pgfast::Database& db, const std::vector<pgfast_bench::PageRow>& rows,
                       int workers, std::size_t batch) {
  const std::size_t pages = rows.size();
  LoadResult result;
  std::atomic<std::size_t> next{0};
  std::atomic<std::uint64_t> stored{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  Progress progress("scraping: pages stored", pages);
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < workers; ++t) {
    threads.emplace_back([&] {
      try {
        for (;;) {
          std::size_t first = next.fetch_add(batch);
          if (first >= pages) break;
          std::size_t last = std::min(pages, first + batch);
          auto lease = db.acquire();
          pgfast::BulkWriterOptions o;
          o.target = "website_content";
          o.columns = {{"url", BulkType::text},
                       {"domain", BulkType::text},
                       {"title", BulkType::text},
                       {"content", BulkType::text},
                       {"word_count", BulkType::int32},
                       {"status_code", BulkType::int32},
                       {"scraped_at", BulkType::timestamptz}};
          o.conflict_columns = {"url"};
          o.chunk_rows = batch;
          pgfast::BulkWriter w(*lease, o);
          for (std::size_t i = first; i < last; ++i) {
            const auto& p = rows[i];
            w.add_row({p.url, p.domain, p.title, p.content, std::int64_t{p.word_count},
                       std::int64_t{p.status_code}, pgfast::Timestamp{p.scraped_at}});
          }
          auto r = w.finish();
          stored += static_cast<std::uint64_t>(r.inserted + r.updated + r.unchanged);
          progress.advance(last - first);
        }
      } catch (...) {
        std::lock_guard<std::mutex> lock(failure_mutex);
        if (!failure) failure = std::current_exception();
      }
    });
  }
  for (auto& t : threads) t.join();
  if (failure) std::rethrow_exception(failure);
  progress.finish();
  result.seconds = seconds_since(start);
  result.rows = stored;
  return result;
}

LoadResult store_analysis(pgfast::Database& db, const Corpus& corpus,
                          const std::vector<pgfast_bench::PageRow>& rows) {
  const std::size_t pages = rows.size();
  std::unordered_map<std::string, std::int64_t> content_id;
  {
    pgfast::Result ids = db.query("SELECT id, url FROM website_content");
    content_id.reserve(static_cast<std::size_t>(ids.rows()));
    for (int i = 0; i < ids.rows(); ++i) {
      content_id.emplace(std::string(ids.get(i, 1)), ids.as<std::int64_t>(i, 0));
    }
  }
  // The analysis (tokenising, TF-IDF) happens before timing: the metric is the bulk insert.
  std::vector<pgfast_bench::PageAnalysis> analyses(pages);
  std::vector<std::int64_t> ids(pages);
  {
    Progress progress("analysing pages", pages);
    std::vector<std::thread> threads;
    for (int t = 0; t < 2; ++t) {
      threads.emplace_back([&, t] {
        for (std::size_t i = static_cast<std::size_t>(t); i < pages; i += 2) {
          ids[i] = content_id.at(rows[i].url);
          analyses[i] = corpus.analyse(rows[i]);
          progress.advance();
        }
      });
    }
    for (auto& t : threads) t.join();
    progress.finish();
  }
  std::uint64_t total = 0;
  for (const auto& a : analyses) total += a.nouns.size() + a.entities.size();

  LoadResult result;
  Progress progress("bulk insert: nouns + entities", total);
  auto start = std::chrono::steady_clock::now();
  // Two streams in parallel, as two analysis workers would write them.
  std::exception_ptr failure;
  std::mutex failure_mutex;
  std::atomic<std::uint64_t> inserted{0};
  auto run = [&](bool nouns) {
    try {
      auto lease = db.acquire();
      pgfast::BulkWriter w(
          *lease, nouns ? insert_into("extracted_nouns", {{"content_id", BulkType::int64},
                                                          {"noun", BulkType::text},
                                                          {"frequency", BulkType::int32},
                                                          {"tfidf_score", BulkType::float64}})
                        : insert_into("entities", {{"content_id", BulkType::int64},
                                                   {"entity_text", BulkType::text},
                                                   {"entity_type", BulkType::text},
                                                   {"frequency", BulkType::int32},
                                                   {"confidence", BulkType::float32}}));
      for (std::size_t i = 0; i < pages; ++i) {
        if (nouns) {
          for (const auto& n : analyses[i].nouns) {
            w.add_row({ids[i], n.noun, std::int64_t{n.frequency}, n.tfidf});
          }
          progress.advance(analyses[i].nouns.size());
        } else {
          for (const auto& e : analyses[i].entities) {
            w.add_row({ids[i], e.text, e.type, std::int64_t{e.frequency}, e.confidence});
          }
          progress.advance(analyses[i].entities.size());
        }
      }
      inserted += static_cast<std::uint64_t>(w.finish().inserted);
    } catch (...) {
      std::lock_guard<std::mutex> lock(failure_mutex);
      if (!failure) failure = std::current_exception();
    }
  };
  std::thread nouns_thread(run, true);
  run(false);
  nouns_thread.join();
  if (failure) std::rethrow_exception(failure);
  progress.finish();
  result.seconds = seconds_since(start);
  result.rows = inserted;
  return result;
}

}  // namespace pgfast_demo
