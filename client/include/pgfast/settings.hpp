// pgfast::Settings: the reference application's environment variables, parsed strictly.
// Unset variables take their defaults; a set but empty or malformed variable is an error
// (ConfigurationError naming the variable and quoting the value), never silently defaulted.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "pgfast/db/statement_cache_mode.hpp"

namespace pgfast {

struct Settings {
  // PostgreSQL: a libpq URI or keyword/value connection string.
  std::string database_url = "postgresql://localhost/postgres";  // DATABASE_URL
  int database_pool_size = 20;                                   // DATABASE_POOL_SIZE, >= 1
  int database_max_overflow = 10;                                // DATABASE_MAX_OVERFLOW, >= 0
  std::chrono::seconds database_pool_recycle{3600};   // DATABASE_POOL_RECYCLE, -1 disables
  bool database_pool_pre_ping = true;                 // DATABASE_POOL_PRE_PING
  std::chrono::seconds database_acquire_timeout{30};  // DATABASE_POOL_TIMEOUT, >= 0
  // DATABASE_STATEMENT_CACHE: auto (the default), on or off (pgfast/db/statement_cache_mode.hpp).
  StatementCacheMode database_statement_cache = StatementCacheMode::automatic;
  // Read replicas (docs/scale-out.md): DATABASE_REPLICA_URLS, comma-separated postgresql:// (or
  // postgres://) URIs; a comma splits only before a scheme, so multi-host URIs stay whole.
  std::vector<std::string> database_replica_urls;
  std::chrono::milliseconds database_replica_max_lag{1000};        // DATABASE_REPLICA_MAX_LAG_MS
  std::chrono::milliseconds database_replica_check_interval{250};  // DATABASE_REPLICA_CHECK_MS
  std::chrono::milliseconds database_replica_retry_after{5000};    // DATABASE_REPLICA_RETRY_MS

  std::string redis_url = "redis://localhost:6379/0";  // REDIS_URL
  int redis_max_connections = 50;                      // REDIS_MAX_CONNECTIONS, >= 1
  // Redis Cluster seed nodes, comma-separated redis:// URLs; set = cluster mode (REDIS_URL is
  // then not used). docs/scale-out.md.
  std::vector<std::string> redis_cluster_nodes;   // REDIS_CLUSTER_NODES
  bool redis_cluster_read_from_replicas = false;  // REDIS_CLUSTER_READ_FROM_REPLICAS

  bool cache_enabled = true;                     // CACHE_ENABLED
  std::chrono::seconds cache_default_ttl{3600};  // CACHE_DEFAULT_TTL, >= 0

  bool rate_limit_enabled = true;   // RATE_LIMIT_ENABLED
  int rate_limit_per_minute = 100;  // RATE_LIMIT_PER_MINUTE, >= 1

  int bulk_insert_chunk_size = 1000;  // BULK_INSERT_CHUNK_SIZE, >= 1

  int pagination_default_per_page = 50;  // PAGINATION_DEFAULT_PER_PAGE, >= 1
  int pagination_max_per_page = 500;     // PAGINATION_MAX_PER_PAGE, >= default per page

  // Reads the process environment.
  static Settings from_env();

  // Reads variables through `lookup` (std::nullopt = unset), so tests and embedders need not
  // touch the process environment.
  using Lookup = std::function<std::optional<std::string>(const std::string&)>;
  static Settings from_env(const Lookup& lookup);
};

}  // namespace pgfast
