// A deterministic, seeded corpus for the reference workload: users' search sessions → queries →
// ranked results (URLs) → scraped pages (text with a Zipf vocabulary and per-page topics) → the
// nouns (with TF-IDF) and entities a text analysis extracts from them.
//
// Every row is a pure function of (seed, kind, index): any part can be generated on any thread, in
// any order, and regenerated identically (the demo re-creates pages for its scraping phase without
// keeping 20k documents in memory).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "vocabulary.hpp"
#include "zipf.hpp"

namespace pgfast_bench {

struct CorpusSize {
  std::size_t users = 100;
  std::size_t sessions = 500;
  std::size_t queries_per_session = 5;
  std::size_t results_per_query = 20;
  std::size_t pages = 20000;  // distinct result URLs, each scraped once
  std::size_t domains = 1500;
  std::size_t vocabulary = 30000;
  std::size_t nouns_per_page = 20;

  // The default sizes times `scale` (vocabulary grows with the square root, like real corpora).
  static CorpusSize scaled(double scale);
  std::size_t queries() const { return sessions * queries_per_session; }
};

// Microseconds since the Unix epoch (what BulkType::timestamptz takes).
using Micros = std::int64_t;

struct SessionRow {
  std::int64_t id;
  std::int64_t user_id;
  std::string name;
  std::string description;
  std::string status;
  Micros created_at;
};

struct QueryRow {
  std::int64_t id;
  std::int64_t session_id;
  std::string query_text;
  Micros created_at;
};

struct ResultRow {
  std::int64_t query_id;
  std::size_t page;  // index of the result's page (its URL)
  std::string url;
  std::string domain;
  std::string title;
  std::string snippet;
  int rank;
};

struct PageRow {
  std::size_t index;
  std::string url;
  std::string domain;
  std::string title;
  std::string content;
  int word_count;
  int status_code;
  Micros scraped_at;
  std::vector<Vocabulary::Entity> mentioned;  // entities the text mentions (with repeats)
};

struct NounRow {
  std::string noun;
  int frequency;
  double tfidf;
};

struct EntityRow {
  std::string text;
  std::string type;
  int frequency;
  double confidence;
};

struct PageAnalysis {
  std::vector<NounRow> nouns;  // the page's top nouns by TF-IDF
  std::vector<EntityRow> entities;
};

class Corpus {
 public:
  Corpus(std::uint64_t seed, CorpusSize size);

  const CorpusSize& size() const { return size_; }
  const Vocabulary& vocabulary() const { return vocabulary_; }

  // Rows by 0-based index; ids are index + 1.
  SessionRow session(std::size_t index) const;
  QueryRow query(std::size_t index) const;  // session = index / queries_per_session
  std::vector<ResultRow> results(std::size_t query_index) const;
  std::string url(std::size_t page) const;
  std::string domain_of(std::size_t page) const;
  PageRow page(std::size_t index) const;

  // What the reference application's text analysis step produces for a page: word counts over the
  // text (function words excluded), TF-IDF against the corpus's expected document frequencies,
  // the top nouns_per_page; entity mention counts.
  PageAnalysis analyse(const PageRow& page) const;

  // A realistic search query (2-3 popular words) for query-load generators.
  std::string search_terms(std::uint64_t n) const;

 private:
  std::uint64_t seed_for(std::uint64_t kind, std::uint64_t index) const;
  double idf(const std::string& word) const;

  std::uint64_t seed_;
  CorpusSize size_;
  Vocabulary vocabulary_;
  ZipfSampler words_;     // token frequencies (s ≈ 1.07, English-like)
  ZipfSampler topics_;    // a page's topic words, flatter: topics spread over the vocabulary
  ZipfSampler domains_;   // site popularity
  ZipfSampler pages_;     // page popularity among search results
  ZipfSampler entities_;  // entity popularity
  std::vector<double> idf_by_rank_;
  std::unordered_map<std::string, std::size_t> rank_of_;
};

// Base of all generated timestamps: 2025-12-01T00:00:00Z, spread over the following year.
constexpr Micros kCorpusEpoch = 1764547200LL * 1000000;
constexpr Micros kCorpusSpan = 365LL * 86400 * 1000000;

}  // namespace pgfast_bench
