// Test-only access to pgfast::Cache internals (not installed; tests have client/testing on their
// include path). Defined in client/src/cache/cache.cpp.
#pragma once

#include <string>

#include "pgfast/cache/cache.hpp"

namespace pgfast::testing {

struct CacheAccess {
  // Waits until no background refresh is queued or running.
  static void wait_for_refreshes(Cache& cache);
  // The Redis key of the stampede lease for `key` (without the prefix).
  static std::string lease_key(const Cache& cache, const std::string& key);
};

}  // namespace pgfast::testing
