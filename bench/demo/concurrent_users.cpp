#include "concurrent_users.hpp"

#include <atomic>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "api_reads.hpp"
#include "progress.hpp"

namespace pgfast_demo {
namespace {

constexpr std::chrono::seconds kTtl{3600};

std::string load_session(pgfast::Database& db, std::int64_t session_id,
                         const pgfast::ReadOptions& options) {
  return std::string(db.read_query("SELECT to_jsonb(s)::text FROM search_sessions s WHERE id = $1",
                                   pgfast::params(session_id), options)
                         .get(0, 0));
}

std::string load_search(pgfast::Database& db, const std::string& terms) {
  return std::string(db.read_query("SELECT pgfast.fts_search('website_content', $1, 20)::text",
                                   pgfast::params(terms), pgfast::ReadOptions{})
                         .get(0, 0));
}

}  // namespace

void ApiReads::after_write() {
  if (db_.options().replica_urls.empty()) return;
  const std::uint64_t position = db_.commit_position().lsn();
  std::uint64_t seen = last_write_.load();
  while (seen < position && !last_write_.compare_exchange_weak(seen, position)) {
  }
}

std::string ApiReads::session(std::int64_t session_id) {
  pgfast::ReadOptions options;
  options.after = pgfast::CommitPosition(last_write_.load());
  if (!cache_) return load_session(db_, session_id, options);
  return cache_
      ->cached("session:{id}", {{"id", session_id}}, kTtl,
               [&] { return std::optional<std::string>(load_session(db_, session_id, options)); })
      .value_or("");
}

std::string ApiReads::results_page(std::int64_t query_id) {
  if (!cache_) return pgfast_demo::results_page(db_, query_id);
  return cache_
      ->cached("search:results:{query_id}", {{"query_id", query_id}}, kTtl,
               [&] { return std::optional<std::string>(pgfast_demo::results_page(db_, query_id)); })
      .value_or("");
}

std::string ApiReads::content_search(const std::string& terms) {
  if (!cache_) return load_search(db_, terms);
  return cache_
      ->cached("search:content:{terms}", {{"terms", terms}}, kTtl,
               [&] { return std::optional<std::string>(load_search(db_, terms)); })
      .value_or("");
}

UsersResult run_users(pgfast::Database& db, ApiReads& reads, pgfast::RateLimiter& limiter,
                      const pgfast_bench::Corpus& corpus, int users, std::chrono::seconds duration,
                      double think_ms, const std::string& label) {
  const auto& size = corpus.size();
  UsersResult result;
  result.users = users;
  std::mutex merge_mutex;
  std::atomic<std::uint64_t> served{0}, denied{0}, errors{0}, writes{0};
  Progress progress(label, 0);
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + duration;
  std::vector<std::thread> threads;
  threads.reserve(static_cast<std::size_t>(users));
  for (int u = 0; u < users; ++u) {
    threads.emplace_back([&, u] {
      std::mt19937_64 rng(0x5eed0000ULL + static_cast<std::uint64_t>(u));
      std::exponential_distribution<double> think(1.0 / think_ms);
      const std::int64_t user_id = static_cast<std::int64_t>(u % size.users) + 1;
      // The user's own sessions: ids user_id, user_id + users, ...
      const std::int64_t sessions_of_user = static_cast<std::int64_t>(
          (size.sessions - static_cast<std::size_t>(user_id - 1) + size.users - 1) / size.users);
      const std::string identity =
          pgfast::rate_limit_identity(std::to_string(user_id), "10.0." + std::to_string(u / 250) +
                                                                   "." + std::to_string(u % 250));
      LatencyRecorder latency;
      std::string error;
      while (std::chrono::steady_clock::now() < deadline) {
        std::int64_t session =
            user_id +
            static_cast<std::int64_t>(size.users) *
                static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(
                                                      std::max<std::int64_t>(sessions_of_user, 1)));
        std::int64_t query = (session - 1) * static_cast<std::int64_t>(size.queries_per_session) +
                             1 + static_cast<std::int64_t>(rng() % size.queries_per_session);
        unsigned action = static_cast<unsigned>(rng() % 100);
        auto begin = std::chrono::steady_clock::now();
        try {
          if (!limiter.check(identity).allowed) {
            ++denied;
          } else {
            if (action < 30) {
              reads.session(session);
            } else if (action < 65) {
              reads.results_page(query);
            } else if (action < 90) {
              reads.content_search(corpus.search_terms(rng() % 300));
            } else {
              db.transaction([&](pgfast::Connection& c) {
                c.execute("UPDATE search_sessions SET name = $2, updated_at = now() WHERE id = $1",
                          pgfast::params(session, "renamed by user " + std::to_string(user_id)));
                c.execute(
                    "INSERT INTO search_queries (session_id, query_text, status) VALUES ($1, $2, "
                    "'pending')",
                    pgfast::params(session, corpus.search_terms(rng())));
              });
              reads.after_write();
              ++writes;
            }
            latency.add(
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - begin)
                    .count());
            ++served;
          }
        } catch (const std::exception& e) {
          ++errors;
          if (error.empty()) error = e.what();
        }
        progress.advance();
        std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(think(rng)));
      }
      std::lock_guard<std::mutex> lock(merge_mutex);
      result.latency.merge(latency);
      if (result.first_error.empty()) result.first_error = error;
    });
  }
  for (auto& t : threads) t.join();
  progress.finish();
  result.seconds = seconds_since(start);
  result.served = served;
  result.denied = denied;
  result.errors = errors;
  result.writes = writes;
  return result;
}

}  // namespace pgfast_demo
