#include "pgfast/settings.hpp"

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string_view>
#include <utility>
#include <vector>

#include "pgfast/errors.hpp"

namespace pgfast {

namespace {

// The value as a C-style quoted string, so that empty values, spaces and control characters
// are visible in the error message.
std::string quote(const std::string& value) {
  std::string out = "\"";
  for (unsigned char c : value) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

[[noreturn]] void fail(const std::string& name, const std::string& expected,
                       const std::string& value) {
  throw ConfigurationError(name + ": expected " + expected + ", got " + quote(value));
}

// Full-string decimal integer: optional '-', then digits only (no spaces, no '+', no suffix).
std::optional<std::int64_t> parse_int(const std::string& text) {
  std::size_t i = 0;
  bool negative = false;
  if (i < text.size() && text[i] == '-') {
    negative = true;
    ++i;
  }
  if (i == text.size()) return std::nullopt;
  std::int64_t value = 0;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c < '0' || c > '9') return std::nullopt;
    const int digit = c - '0';
    if (value > (std::numeric_limits<std::int64_t>::max() - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return negative ? -value : value;
}

std::string lowercase(const std::string& text) {
  std::string lower;
  for (unsigned char c : text) lower += static_cast<char>(std::tolower(c));
  return lower;
}

class Reader {
 public:
  explicit Reader(const Settings::Lookup& lookup) : lookup_(lookup) {}

  void string(const std::string& name, std::string& out) {
    const auto value = lookup_(name);
    if (!value) return;
    if (value->empty()) fail(name, "a non-empty value", *value);
    out = *value;
  }

  // An integer in [min, max]; `expected` describes the range for the message.
  template <class Int>
  void integer(const std::string& name, Int& out, std::int64_t min, const std::string& expected,
               std::int64_t max = std::numeric_limits<int>::max()) {
    const auto value = lookup_(name);
    if (!value) return;
    const auto parsed = parse_int(*value);
    if (!parsed || *parsed < min) fail(name, expected, *value);
    if (*parsed > max) fail(name, expected + " no greater than " + std::to_string(max), *value);
    out = static_cast<Int>(*parsed);
  }

  // A comma-separated list of non-empty items (spaces around commas are dropped).
  void list(const std::string& name, std::vector<std::string>& out) {
    const auto value = lookup_(name);
    if (!value) return;
    std::vector<std::string> items = split_at_commas(*value, [](std::size_t) { return true; });
    for (const auto& item : items) {
      if (item.empty()) fail(name, "a comma-separated list of non-empty items", *value);
    }
    out = std::move(items);
  }

  void seconds(const std::string& name, std::chrono::seconds& out, std::int64_t min,
               const std::string& expected) {
    std::int64_t count = out.count();
    // Bounded so that later conversions to milliseconds cannot overflow.
    integer(name, count, min, expected, std::int64_t{1} << 40);
    out = std::chrono::seconds(count);
  }

  void milliseconds(const std::string& name, std::chrono::milliseconds& out) {
    std::int64_t count = out.count();
    integer(name, count, 0, "a non-negative integer number of milliseconds", std::int64_t{1} << 40);
    out = std::chrono::milliseconds(count);
  }

  // Comma-separated libpq URIs (spaces around them ignored). A comma splits only where a new URI's
  // scheme follows, so the commas of a multi-host URI (postgresql://a:5432,b:5432/db) stay in it.
  void uri_list(const std::string& name, std::vector<std::string>& out) {
    const auto value = lookup_(name);
    if (!value) return;
    std::vector<std::string> uris = split_at_commas(*value, [&](std::size_t comma) {
      return starts_with_scheme(*value, skip_spaces(*value, comma + 1));
    });
    for (const auto& uri : uris) {
      if (!starts_with_scheme(uri, 0) || uri.back() == ',') {
        fail(name, "comma-separated postgresql:// URIs", *value);
      }
    }
    out = std::move(uris);
  }

  void boolean(const std::string& name, bool& out) {
    const auto value = lookup_(name);
    if (!value) return;
    const std::string lower = lowercase(*value);
    if (lower == "true" || lower == "1" || lower == "yes" || lower == "on") {
      out = true;
    } else if (lower == "false" || lower == "0" || lower == "no" || lower == "off") {
      out = false;
    } else {
      fail(name, "a boolean (true/false, 1/0, yes/no, on/off)", *value);
    }
  }

  void statement_cache(const std::string& name, StatementCacheMode& out) {
    const auto value = lookup_(name);
    if (!value) return;
    const std::string lower = lowercase(*value);
    if (lower == "auto") {
      out = StatementCacheMode::automatic;
    } else if (lower == "on") {
      out = StatementCacheMode::on;
    } else if (lower == "off") {
      out = StatementCacheMode::off;
    } else {
      fail(name, "auto, on or off", *value);
    }
  }

 private:
  // `text` split at the commas `splits(position)` accepts, each item without surrounding spaces.
  template <class Splits>
  static std::vector<std::string> split_at_commas(const std::string& text, Splits splits) {
    std::vector<std::string> items;
    std::size_t start = 0;
    for (;;) {
      std::size_t end = text.find(',', start);
      while (end != std::string::npos && !splits(end)) end = text.find(',', end + 1);
      std::string item = text.substr(start, end == std::string::npos ? end : end - start);
      item.erase(0, skip_spaces(item, 0));
      while (!item.empty() && item.back() == ' ') item.pop_back();
      items.push_back(std::move(item));
      if (end == std::string::npos) return items;
      start = end + 1;
    }
  }

  static std::size_t skip_spaces(const std::string& text, std::size_t at) {
    while (at < text.size() && text[at] == ' ') ++at;
    return at;
  }
  static bool starts_with_scheme(const std::string& text, std::size_t at) {
    return text.compare(at, 13, "postgresql://") == 0 || text.compare(at, 11, "postgres://") == 0;
  }

  const Settings::Lookup& lookup_;
};

constexpr char kPositive[] = "a positive integer";
constexpr char kNonNegative[] = "a non-negative integer";
constexpr std::int64_t kMaxPoolSize = 1000000;

}  // namespace

Settings Settings::from_env() {
  return from_env([](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  });
}

Settings Settings::from_env(const Lookup& lookup) {
  Settings s;
  Reader r(lookup);
  r.string("DATABASE_URL", s.database_url);
  // Bounded so that pool_size + max_overflow cannot overflow an int.
  r.integer("DATABASE_POOL_SIZE", s.database_pool_size, 1, kPositive, kMaxPoolSize);
  r.integer("DATABASE_MAX_OVERFLOW", s.database_max_overflow, 0, kNonNegative, kMaxPoolSize);
  r.seconds("DATABASE_POOL_RECYCLE", s.database_pool_recycle, -1,
            "an integer number of seconds >= -1 (-1 disables recycling)");
  r.boolean("DATABASE_POOL_PRE_PING", s.database_pool_pre_ping);
  r.seconds("DATABASE_POOL_TIMEOUT", s.database_acquire_timeout, 0,
            "a non-negative integer number of seconds");
  r.statement_cache("DATABASE_STATEMENT_CACHE", s.database_statement_cache);
  r.uri_list("DATABASE_REPLICA_URLS", s.database_replica_urls);
  r.milliseconds("DATABASE_REPLICA_MAX_LAG_MS", s.database_replica_max_lag);
  r.milliseconds("DATABASE_REPLICA_CHECK_MS", s.database_replica_check_interval);
  r.milliseconds("DATABASE_REPLICA_RETRY_MS", s.database_replica_retry_after);
  r.string("REDIS_URL", s.redis_url);
  r.integer("REDIS_MAX_CONNECTIONS", s.redis_max_connections, 1, kPositive);
  r.list("REDIS_CLUSTER_NODES", s.redis_cluster_nodes);
  r.boolean("REDIS_CLUSTER_READ_FROM_REPLICAS", s.redis_cluster_read_from_replicas);
  r.boolean("CACHE_ENABLED", s.cache_enabled);
  r.seconds("CACHE_DEFAULT_TTL", s.cache_default_ttl, 0,
            "a non-negative integer number of seconds");
  r.boolean("RATE_LIMIT_ENABLED", s.rate_limit_enabled);
  r.integer("RATE_LIMIT_PER_MINUTE", s.rate_limit_per_minute, 1, kPositive);
  r.integer("BULK_INSERT_CHUNK_SIZE", s.bulk_insert_chunk_size, 1, kPositive);
  r.integer("PAGINATION_DEFAULT_PER_PAGE", s.pagination_default_per_page, 1, kPositive);
  r.integer("PAGINATION_MAX_PER_PAGE", s.pagination_max_per_page, 1, kPositive);
  if (s.pagination_max_per_page < s.pagination_default_per_page) {
    fail("PAGINATION_MAX_PER_PAGE",
         "an integer >= PAGINATION_DEFAULT_PER_PAGE (" +
             std::to_string(s.pagination_default_per_page) + ")",
         std::to_string(s.pagination_max_per_page));
  }
  return s;
}

}  // namespace pgfast
