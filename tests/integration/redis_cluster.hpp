// RedisCluster: a throwaway Redis Cluster (3 masters + 3 replicas) for one test or suite, started
// by tests/integration/redis_cluster.sh (the one way the tests start a cluster) and stopped by the
// destructor. The script keeps the cluster while its stdin is open: the destructor closes it, and
// so does the kernel when this process dies, so no cluster outlives its test.
#pragma once

#include <string>
#include <vector>

#include "held_script.hpp"

#ifndef PGFAST_REDIS_CLUSTER_SCRIPT
#error "tests/CMakeLists.txt defines PGFAST_REDIS_CLUSTER_SCRIPT (the path of redis_cluster.sh)"
#endif

namespace pgfast_test {

class RedisCluster {
 public:
  // Starts the cluster and waits until it is ready (see redis_cluster.sh); throws
  // std::runtime_error when it does not start (the script's own messages go to stderr).
  RedisCluster() : script_(PGFAST_REDIS_CLUSTER_SCRIPT, "REDIS_CLUSTER_NODES") {
    // The script's line: REDIS_CLUSTER_NODES=<url>,<url>,...
    const std::string& list = script_.value();
    for (std::size_t start = 0; start <= list.size();) {
      const auto comma = list.find(',', start);
      const auto end = comma == std::string::npos ? list.size() : comma;
      seed_urls_.push_back(list.substr(start, end - start));
      start = end + 1;
    }
  }

  // redis://127.0.0.1:<port> of every node, the three masters first (as created).
  const std::vector<std::string>& seed_urls() const { return seed_urls_; }

 private:
  HeldScript script_;  // the destructor stops the cluster
  std::vector<std::string> seed_urls_;
};

}  // namespace pgfast_test
