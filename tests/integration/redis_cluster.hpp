// RedisCluster: a throwaway Redis Cluster (3 masters + 3 replicas) for one test or suite, started
// by tests/integration/redis_cluster.sh (the one way the tests start a cluster) and stopped by the
// destructor. The script keeps the cluster while its stdin is open: the destructor closes it, and
// so does the kernel when this process dies, so no cluster outlives its test.
#pragma once

#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "held_script.hpp"
#include "pgfast/redis/redis.hpp"
#include "redis_server.hpp"

#ifndef PGFAST_REDIS_CLUSTER_SCRIPT
#error "tests/CMakeLists.txt defines PGFAST_REDIS_CLUSTER_SCRIPT (the path of redis_cluster.sh)"
#endif

namespace pgfast_test {

// "url,url,..." (REDIS_CLUSTER_NODES' form) as a list.
inline std::vector<std::string> split_seed_urls(const std::string& list) {
  std::vector<std::string> out;
  for (std::size_t start = 0; start < list.size();) {
    const auto comma = list.find(',', start);
    const auto end = comma == std::string::npos ? list.size() : comma;
    out.push_back(list.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

class RedisCluster {
 public:
  // Starts the cluster and waits until it is ready (see redis_cluster.sh); throws
  // std::runtime_error when it does not start (the script's own messages go to stderr).
  RedisCluster()
      : script_(PGFAST_REDIS_CLUSTER_SCRIPT, "REDIS_CLUSTER_NODES"),
        seed_urls_(split_seed_urls(script_.value())) {}  // REDIS_CLUSTER_NODES=<url>,<url>,...

  // redis://127.0.0.1:<port> of every node, the three masters first (as created).
  const std::vector<std::string>& seed_urls() const { return seed_urls_; }

 private:
  HeldScript script_;  // the destructor stops the cluster
  std::vector<std::string> seed_urls_;
};

// REDIS_CLUSTER_NODES as handed in by `redis_cluster.sh <test binary>` (ctest's cluster-mode
// runs): the seed URLs, masters first. Empty when unset.
inline std::vector<std::string> cluster_seed_urls_from_env() {
  const char* value = std::getenv("REDIS_CLUSTER_NODES");
  return value == nullptr ? std::vector<std::string>{} : split_seed_urls(value);
}

// Options for a cluster-mode client on REDIS_CLUSTER_NODES: the first seed only (the rest is
// discovered), the test timeouts of redis_options(). Throws std::runtime_error when unset (the
// test was not run through redis_cluster.sh).
inline pgfast::RedisOptions cluster_options_from_env(int max_connections = 8) {
  const std::vector<std::string> seeds = cluster_seed_urls_from_env();
  if (seeds.empty()) {
    throw std::runtime_error(
        "REDIS_CLUSTER_NODES is not set: run this test through tests/integration/redis_cluster.sh");
  }
  pgfast::RedisOptions o = redis_options("redis://unused:1", max_connections);
  o.cluster_nodes = {seeds.front()};
  return o;
}

// The master serving `slot` now ("host:port"), from CLUSTER SLOTS of the first master `redis`
// knows that answers.
inline std::string slot_owner(pgfast::Redis& redis, int slot) {
  for (const auto& m : redis.masters()) {
    pgfast::RedisReply ranges;
    try {
      ranges = redis.command_on(m, {"CLUSTER", "SLOTS"});
    } catch (const pgfast::RedisUnavailableError&) {
      continue;
    }
    for (const auto& range : ranges.elements()) {
      if (slot >= range[0].integer() && slot <= range[1].integer()) {
        return range[2][0].str() + ":" + std::to_string(range[2][1].integer());
      }
    }
  }
  throw std::runtime_error("no master serves slot " + std::to_string(slot));
}

// Moves `slot` from master `from` to master `to` (both "host:port") as redis-cli --cluster
// reshard does, through `redis` (a cluster-mode client, used only for command_on): IMPORTING on
// the target, MIGRATING on the source, MIGRATE of its keys, then SETSLOT NODE on every master.
// `between` (optional) runs after the slot is marked migrating and before any key moves, so a
// test can act while the slot is half-moved.
template <class Between = void (*)()>
inline void move_slot(
    pgfast::Redis& redis, int slot, const std::string& from, const std::string& to,
    Between between = [] {}) {
  const std::string s = std::to_string(slot);
  const std::string from_id = redis.command_on(from, {"CLUSTER", "MYID"}).str();
  const std::string to_id = redis.command_on(to, {"CLUSTER", "MYID"}).str();
  redis.command_on(to, {"CLUSTER", "SETSLOT", s, "IMPORTING", from_id});
  redis.command_on(from, {"CLUSTER", "SETSLOT", s, "MIGRATING", to_id});
  between();
  const auto colon = to.rfind(':');
  for (;;) {
    const pgfast::RedisReply keys = redis.command_on(from, {"CLUSTER", "GETKEYSINSLOT", s, "100"});
    if (keys.elements().empty()) break;
    std::vector<std::string> migrate{
        "MIGRATE", to.substr(0, colon), to.substr(colon + 1), "", "0", "5000", "REPLACE", "KEYS"};
    for (const auto& k : keys.elements()) migrate.push_back(k.str());
    redis.command_on(from, migrate);
  }
  // The target first, so that the source's MOVED never points at a node that refuses the slot.
  redis.command_on(to, {"CLUSTER", "SETSLOT", s, "NODE", to_id});
  redis.command_on(from, {"CLUSTER", "SETSLOT", s, "NODE", to_id});
  for (const auto& m : redis.masters()) {
    if (m != from && m != to) redis.command_on(m, {"CLUSTER", "SETSLOT", s, "NODE", to_id});
  }
}

}  // namespace pgfast_test
