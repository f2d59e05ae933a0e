#include "db/statement_cache.hpp"

#include <utility>

namespace pgfast {

const std::string* Connection::StatementCache::find(const std::string& sql) {
  const auto it = index_.find(sql);
  if (it == index_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second);
  return &it->second->name;
}

std::optional<std::string> Connection::StatementCache::insert(const std::string& sql,
                                                              std::string name) {
  lru_.push_front(Entry{sql, std::move(name)});
  try {
    index_.emplace(sql, lru_.begin());
  } catch (...) {
    lru_.pop_front();
    throw;
  }
  if (index_.size() <= capacity_) return std::nullopt;
  Entry& victim = lru_.back();
  std::optional<std::string> evicted = std::move(victim.name);
  index_.erase(victim.sql);
  lru_.pop_back();
  return evicted;
}

void Connection::StatementCache::erase(const std::string& sql) noexcept {
  const auto it = index_.find(sql);
  if (it == index_.end()) return;
  lru_.erase(it->second);
  index_.erase(it);
}

void Connection::StatementCache::clear() noexcept {
  index_.clear();
  lru_.clear();
}

}  // namespace pgfast
