// pgfast::RedisOptions: where the Redis server is and how the connection pool behaves.
// The URL is `redis://[[user]:password@]host[:port][/db]` (host may be a bracketed IPv6 address,
// user and password may be percent-encoded). Parsing is strict: anything else is a
// ConfigurationError that names the problem (the password is never quoted back).
// Thread safety: plain values.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace pgfast {

struct Settings;

// The parts of a redis:// URL.
struct RedisEndpoint {
  std::string host = "localhost";  // without brackets for IPv6 ("::1")
  int port = 6379;
  std::string username;  // empty: AUTH <password> (Redis < 6 style) when a password is set
  std::string password;  // empty: no AUTH
  int db = 0;            // SELECT <db> on connect when not 0

  // Throws ConfigurationError. `what` prefixes the message (e.g. "REDIS_URL").
  static RedisEndpoint parse(const std::string& url, const std::string& what = "Redis URL");
};

struct RedisOptions {
  std::string url = "redis://localhost:6379/0";
  // Upper bound on open connections (idle + checked out + being opened).
  int max_connections = 50;
  // TCP connect (and AUTH/SELECT) time limit.
  std::chrono::milliseconds connect_timeout{1000};
  // Read/write time limit of one command or pipeline; on expiry the connection is discarded.
  std::chrono::milliseconds command_timeout{1000};
  // How long a caller waits for a free connection when max_connections are all checked out.
  std::chrono::milliseconds pool_timeout{1000};
  // After a failed connect, commands fail fast (RedisUnavailableError, no connect attempt) for this
  // long, so a down server costs one connect timeout per interval instead of one per command.
  // 0 disables.
  std::chrono::milliseconds down_backoff{0};
  // A connection taken from the pool is first probed (one non-blocking recv) for having been
  // closed by the server while idle. Connections idle for less than this skip the probe, saving a
  // system call per command on busy pools; a server restart within that window then costs one
  // failed command (RedisUnavailableError) per such connection. 0: always probe.
  std::chrono::milliseconds probe_idle_after{0};

  // Redis Cluster (docs/scale-out.md). Seed nodes as redis:// URLs; not empty = cluster mode, and
  // then `url` is not used: every node is reached with the first seed's user and password (the
  // cluster has database 0 only). max_connections and the timeouts above apply per node.
  std::vector<std::string> cluster_nodes;
  // Read-only commands (GET, MGET, EXISTS, PTTL, ...) go to a replica of the slot's master when
  // one is known (its connections send READONLY); a replica lags its master, so a read may miss
  // a write that just succeeded. Off by default.
  bool read_from_replicas = false;
  // The slot map is taken again when this old (besides on MOVED and after a node failed). 0: only
  // on those events.
  std::chrono::milliseconds cluster_refresh_interval{5000};
  // MOVED/ASK redirections followed for one command before RedisError.
  int cluster_max_redirects = 5;
  // TRYAGAIN (a multi-key command during a slot migration) and CLUSTERDOWN are retried after a
  // backoff (2 ms doubling to 50 ms) while the waits fit in this budget; then the error reply
  // is the caller's (RedisReplyError).
  std::chrono::milliseconds cluster_retry_budget{500};

  // REDIS_URL, REDIS_MAX_CONNECTIONS, REDIS_CLUSTER_NODES and REDIS_CLUSTER_READ_FROM_REPLICAS;
  // the URLs are validated (ConfigurationError naming the variable).
  static RedisOptions from_settings(const Settings& settings);

  // The defaults tuned for a cache (CacheOptions::redis starts from these): a cache must not make
  // a request slower than the query it saves, so connect 500 ms, command 500 ms, down_backoff 1 s,
  // and probe_idle_after 1 s (a busy pool skips the liveness probe; after a Redis restart a pooled
  // connection fails once, the call falls through to the loader, and it is replaced).
  static RedisOptions for_cache();

  // The parsed url(); throws ConfigurationError.
  RedisEndpoint endpoint() const;
};

}  // namespace pgfast
