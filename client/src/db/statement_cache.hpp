// Connection::StatementCache: SQL text → prepared-statement name, least recently used first out.
#pragma once

#include <cstddef>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>

#include "pgfast/db/connection.hpp"

namespace pgfast {

class Connection::StatementCache {
 public:
  explicit StatementCache(std::size_t capacity) : capacity_(capacity) {}

  std::size_t capacity() const noexcept { return capacity_; }
  std::size_t size() const noexcept { return index_.size(); }

  // The statement name for `sql`, marked most recently used; nullptr when not cached.
  const std::string* find(const std::string& sql);

  // Caches sql → name (sql must not be cached yet). Returns the name of the statement evicted to
  // stay within capacity, which the caller must DEALLOCATE.
  std::optional<std::string> insert(const std::string& sql, std::string name);

  void erase(const std::string& sql) noexcept;
  void clear() noexcept;

 private:
  struct Entry {
    std::string sql;
    std::string name;
  };
  std::size_t capacity_;
  std::list<Entry> lru_;  // front: most recently used
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
};

}  // namespace pgfast
