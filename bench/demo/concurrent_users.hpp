// Simulated users of the reference application: each a thread that, until the deadline, picks a
// request — a session's details, a results page, a content search (all cached, the session
// invalidated by the database on change), or a write (rename the session, add a query) — checks
// the user's rate limit first (a denied request is a 429, not an error), runs it through the pool,
// and thinks for a random while (exponential, mean think_ms) before the next one.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "corpus/corpus.hpp"
#include "latency.hpp"
#include "pgfast/cache/cache.hpp"
#include "pgfast/db/database.hpp"
#include "pgfast/ratelimit/rate_limiter.hpp"

namespace pgfast_demo {

struct UsersResult {
  int users = 0;
  double seconds = 0;
  std::uint64_t served = 0;  // requests answered (not denied)
  std::uint64_t denied = 0;  // 429s from the rate limiter
  std::uint64_t errors = 0;  // exceptions
  std::uint64_t writes = 0;
  LatencyRecorder latency;  // served requests
  std::string first_error;
  double requests_per_second() const {
    return seconds > 0 ? static_cast<double>(served) / seconds : 0;
  }
};

// The reads the simulated users (and the API-latency phase) make, cached or not, through the read
// API: with read replicas configured (DATABASE_REPLICA_URLS, `make demo REPLICA=1`) a replica
// serves them. Cache keys: session:{id} (invalidated by the database: pgfast.notify_changes on
// search_sessions + pgfast::Invalidator), search:results:{query_id}, search:content:{terms}.
// A session is reloaded after its invalidation, so that load must see the write that caused it:
// it reads after the position of the latest write (read-your-writes), recorded by after_write().
class ApiReads {
 public:
  // Keeps a copy of the cache handle; std::nullopt: straight to the database.
  ApiReads(pgfast::Database& db, std::optional<pgfast::Cache> cache)
      : db_(db), cache_(std::move(cache)) {}
  std::string session(std::int64_t session_id);
  std::string results_page(std::int64_t query_id);
  std::string content_search(const std::string& terms);
  // Records the primary's position after a committed write (only when there are replicas).
  void after_write();

 private:
  pgfast::Database& db_;
  std::optional<pgfast::Cache> cache_;
  std::atomic<std::uint64_t> last_write_{0};
};

UsersResult run_users(pgfast::Database& db, ApiReads& reads, pgfast::RateLimiter& limiter,
                      const pgfast_bench::Corpus& corpus, int users, std::chrono::seconds duration,
                      double think_ms, const std::string& label);

}  // namespace pgfast_demo
