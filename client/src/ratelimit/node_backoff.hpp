// RateLimiterOptions::redis_retry_after, kept per Redis node: after a call found a node
// unreachable, calls whose identity is on that node decide in the failure mode without trying
// Redis until the time marked, while identities on other nodes (Redis Cluster) still go to Redis.
// A single server is one node (""). Times are steady_clock nanoseconds. Thread-safe; when no node
// is marked, skip() is one atomic load. Internal.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace pgfast {

class NodeBackoff {
 public:
  // True when `node` was marked until a time after `now_ns`.
  bool skip(const std::string& node, std::int64_t now_ns) const;
  // Calls for `node` skip Redis until `until_ns`; marks that ended by `now_ns` are dropped.
  void mark(const std::string& node, std::int64_t now_ns, std::int64_t until_ns);

 private:
  std::atomic<std::int64_t> latest_{0};  // the latest mark's end: before it, look up the node
  mutable std::mutex mutex_;
  std::map<std::string, std::int64_t> until_;
};

}  // namespace pgfast
