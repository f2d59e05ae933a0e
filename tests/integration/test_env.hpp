// Helpers for the integration suites: the server under test (DATABASE_URL, handed in by
// scripts/with-services), unique names, and waiting for server-side events without sleeping as
// synchronisation.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

#include "pgfast/db/connection.hpp"
#include "pgfast/db/database.hpp"

namespace pgfast_test {

// DATABASE_URL, or a failed test (never a skip): integration tests must not pass vacuously.
inline std::string database_url() {
  const char* url = std::getenv("DATABASE_URL");
  if (url == nullptr || *url == '\0') {
    const char* message =
        "DATABASE_URL is not set: the integration tests need a PostgreSQL server. Run them "
        "through scripts/with-services (e.g. scripts/with-services ctest --test-dir build -L "
        "integration).";
    ADD_FAILURE() << message;
    throw std::runtime_error(message);
  }
  return url;
}

// A name unique to this process and call, usable as an unquoted SQL identifier and as an
// application_name: "<prefix>_<pid>_<n>".
inline std::string unique_name(const std::string& prefix) {
  static std::atomic<int> counter{0};
  return prefix + "_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
}

// `url` with application_name set (URI query parameter or keyword/value pair).
inline std::string with_application_name(const std::string& url, const std::string& name) {
  if (url.find("://") == std::string::npos) return url + " application_name=" + name;
  return url + (url.find('?') == std::string::npos ? "?" : "&") + "application_name=" + name;
}

// Pool options against the server under test, tagged with a unique application_name.
inline pgfast::DatabaseOptions pool_options(const std::string& application_name, int pool_size,
                                            int max_overflow) {
  pgfast::DatabaseOptions o;
  o.url = database_url();
  o.application_name = application_name;
  o.pool_size = pool_size;
  o.max_overflow = max_overflow;
  o.acquire_timeout = std::chrono::seconds(30);
  return o;
}

// Backends currently connected with this application_name (seen from `observer`).
inline long backends_named(pgfast::Connection& observer, const std::string& application_name) {
  return observer
      .execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
               pgfast::params(application_name))
      .as<long>(0, 0);
}

// Polls `done` until it holds or `timeout` passes; for events the server completes on its own
// schedule (a terminated backend leaving pg_stat_activity). Returns the last value of done().
template <class Pred>
bool eventually(Pred done, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return done();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

// C++17 has no std::latch: count_down() until zero releases every wait().
class Latch {
 public:
  explicit Latch(int count) : count_(count) {}
  void count_down() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (--count_ <= 0) cv_.notify_all();
  }
  void wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [this] { return count_ <= 0; });
  }
  void arrive_and_wait() {
    count_down();
    wait();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  int count_;
};

// A regular table with a unique name, dropped when the guard goes out of scope.
class ScratchTable {
 public:
  ScratchTable(pgfast::Database& db, const std::string& columns)
      : db_(db), name_(unique_name("pgfast_it")) {
    db_.query("CREATE TABLE " + name_ + " (" + columns + ")");
  }
  ~ScratchTable() {
    try {
      db_.query("DROP TABLE IF EXISTS " + name_);
    } catch (...) {
    }
  }
  const std::string& name() const { return name_; }
  long count() { return db_.query("SELECT count(*) FROM " + name_).as<long>(0, 0); }

 private:
  pgfast::Database& db_;
  std::string name_;
};

}  // namespace pgfast_test
