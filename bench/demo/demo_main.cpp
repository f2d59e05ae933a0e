// `make demo` at the foundation stage: a round trip through the client pool against the throwaway
// PostgreSQL that scripts/with-services started. The demo issue replaces this with the reference
// workload and its results table.
#include <cstdio>
#include <exception>
#include <string>
#include <thread>
#include <vector>

#include "pgfast/database.hpp"
#include "pgfast/errors.hpp"
#include "pgfast/settings.hpp"

int main() {
  try {
    pgfast::Settings settings = pgfast::Settings::from_env();
    pgfast::Database db(settings);
    db.query("CREATE EXTENSION IF NOT EXISTS pgfast");
    std::printf("server:  %s\n", std::string(db.query("SELECT version()").get(0, 0)).c_str());
    std::printf("pgfast:  %s\n",
                std::string(db.query("SELECT pgfast.version()").get(0, 0)).c_str());

    // Eight threads borrow connections concurrently, so the pool grows and reuses.
    std::vector<std::thread> workers;
    for (int t = 0; t < 8; ++t) {
      workers.emplace_back([&db] {
        for (int i = 0; i < 25; ++i) db.query("SELECT pg_backend_pid()");
      });
    }
    for (auto& w : workers) w.join();

    pgfast::PoolStats s = db.stats();
    std::printf(
        "pool:    size %d + overflow %d; open %d, idle %d, in use %d; created %llu, "
        "borrowed %llu, timeouts %llu\n",
        static_cast<int>(s.pool_size), static_cast<int>(s.max_overflow), static_cast<int>(s.open),
        static_cast<int>(s.idle), static_cast<int>(s.in_use),
        static_cast<unsigned long long>(s.created),
        static_cast<unsigned long long>(s.acquired_total),
        static_cast<unsigned long long>(s.timeouts));
    std::printf("The reference workload and its results table arrive with the demo issue.\n");
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pgfast demo: %s\n", e.what());
    return 1;
  }
}
