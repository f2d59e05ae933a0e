// A program outside the pgfast tree, linked against the installed client (make test:
// tests/package/installed_consumer_test.sh; scripts/package-test: the Debian packages). It uses
// only the umbrella header, as an application would, and checks one thing of each part against
// the servers in DATABASE_URL and REDIS_URL: a pooled query read through range-for and typed
// getters, a typed error thrown inside the library (exception types must cross a shared
// library's boundary), a savepoint, streaming, the cache through a shared Redis handle, and the
// rate limiter with limits given as values.
#include <pgfast/pgfast.hpp>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>

namespace {

int failures = 0;

void check(bool ok, const std::string& what) {
  std::cout << "consumer: " << (ok ? "ok   " : "FAIL ") << what << "\n";
  if (!ok) ++failures;
}

void database_part(const std::string& url) {
  pgfast::DatabaseOptions options;
  options.url = url;
  options.pool_size = 2;
  pgfast::Database db(options);
  pgfast::Database shared = db;  // a handle: both use one pool

  const pgfast::Result version = shared.query("SELECT pgfast.version() AS v");
  for (pgfast::Row row : version) std::cout << "consumer: " << row["v"].as<std::string>() << "\n";

  long long sum = 0;
  for (pgfast::Row row : db.query("SELECT g, now() AS at FROM generate_series(1, 4) g")) {
    sum += row["g"].as<long long>();
    (void)row["at"].as<std::chrono::system_clock::time_point>();
  }
  check(sum == 10, "range-for over a Result with typed getters");

  try {
    db.query("SELECT * FROM pgfast_consumer_no_such_table");
    check(false, "a missing table throws");
  } catch (const pgfast::UndefinedTableError& e) {
    check(e.sqlstate() == "42P01" && !e.statement().empty(),
          "UndefinedTableError 42P01 with its statement");
  }

  db.transaction([](pgfast::Connection& c) {
    c.execute("CREATE TEMP TABLE consumer_t (id int PRIMARY KEY)");
    c.execute("INSERT INTO consumer_t VALUES (1)");
    try {
      pgfast::Savepoint sp(c);
      c.execute("INSERT INTO consumer_t VALUES (1)");
    } catch (const pgfast::UniqueViolationError&) {
      // the savepoint rolled back; the transaction goes on
    }
    check(c.execute("SELECT count(*) FROM consumer_t").as<long long>(0, 0) == 1,
          "a savepoint keeps the transaction after a unique violation");
  });

  long long streamed = 0;
  db.stream("SELECT generate_series(1, 1000)", [&](const pgfast::Row&) { ++streamed; });
  check(streamed == 1000, "streaming rows one by one");
}

void redis_part(const std::string& url) {
  pgfast::RedisOptions redis_options;
  redis_options.url = url;
  pgfast::Redis redis(redis_options);

  pgfast::CacheOptions cache_options;
  cache_options.key_prefix = "pgfast-consumer:";
  pgfast::Cache cache(redis, cache_options);
  cache.set("k", "v");
  check(cache.get("k") == std::optional<std::string>("v"), "cache set/get through a shared Redis");
  cache.del("k");

  pgfast::RateLimiterOptions limiter_options;
  limiter_options.scope = "pgfast-consumer";
  limiter_options.limits = {pgfast::RateLimit{2, std::chrono::minutes(1), 0}};
  pgfast::RateLimiter limiter(redis, limiter_options);
  const std::string identity = "consumer-" + std::to_string(std::rand());
  const pgfast::Decision taken = limiter.allow_at_most(identity, 5);
  check(taken.allowed_count == 2, "allow_at_most takes what the limit allows");
  check(!limiter.check(identity, 100).allowed, "a cost above the burst is a denial");
  limiter.reset(identity);
}

}  // namespace

int main() {
  const char* database_url = std::getenv("DATABASE_URL");
  if (database_url == nullptr) {
    std::cerr << "consumer: DATABASE_URL is not set\n";
    return 2;
  }
  try {
    database_part(database_url);
    if (const char* redis_url = std::getenv("REDIS_URL")) redis_part(redis_url);
  } catch (const pgfast::ClientError& e) {
    std::cerr << "consumer: unexpected " << e.what() << "\n";
    return 1;
  }
  return failures == 0 ? 0 : 1;
}
