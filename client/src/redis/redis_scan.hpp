// pgfast::scan_keys: SCAN ... MATCH over the whole keyspace. Single node: the one server. Cluster
// mode: every master in turn (Redis::masters(), Redis::command_on), since each holds only its own
// slots' keys. Never KEYS. Internal.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "pgfast/redis/redis.hpp"

namespace pgfast {

// Calls `on_batch` with each non-empty batch of keys matching the glob `pattern` (COUNT 1000 per
// SCAN call). A key that exists for the whole scan is seen at least once. Throws like
// Redis::command (a master that cannot be used: RedisUnavailableError).
void scan_keys(Redis& redis, const std::string& pattern,
               const std::function<void(const std::vector<std::string>&)>& on_batch);

}  // namespace pgfast
