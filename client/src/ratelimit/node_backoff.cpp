#include "ratelimit/node_backoff.hpp"

#include <algorithm>

namespace pgfast {

bool NodeBackoff::skip(const std::string& node, std::int64_t now_ns) const {
  if (now_ns >= latest_.load(std::memory_order_relaxed)) return false;
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = until_.find(node);
  return it != until_.end() && now_ns < it->second;
}

void NodeBackoff::mark(const std::string& node, std::int64_t now_ns, std::int64_t until_ns) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto it = until_.begin(); it != until_.end();) {
    it = it->second <= now_ns ? until_.erase(it) : std::next(it);
  }
  std::int64_t& until = until_[node];
  until = std::max(until, until_ns);
  if (until > latest_.load(std::memory_order_relaxed)) {
    latest_.store(until, std::memory_order_relaxed);
  }
}

}  // namespace pgfast
