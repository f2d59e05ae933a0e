// The address of one Redis Cluster node (host and port), as CLUSTER SLOTS and MOVED/ASK name it.
// Internal.
#pragma once

#include <string>
#include <string_view>
#include <tuple>

namespace pgfast::cluster {

struct NodeAddress {
  // An IP address (IPv6 without brackets) or a hostname. Empty: the node's endpoint is unknown to
  // the cluster; use the host of the node that gave this address (see the Redis Cluster spec).
  std::string host;
  int port = 0;

  // "host:port"; an IPv6 host in brackets ("[::1]:7000").
  std::string to_string() const;

  friend bool operator==(const NodeAddress& a, const NodeAddress& b) {
    return a.port == b.port && a.host == b.host;
  }
  friend bool operator!=(const NodeAddress& a, const NodeAddress& b) { return !(a == b); }
  friend bool operator<(const NodeAddress& a, const NodeAddress& b) {
    return std::tie(a.host, a.port) < std::tie(b.host, b.port);
  }
};

// "host:port" as Redis writes it in MOVED/ASK: the port follows the last ':', so an IPv6 host
// needs no brackets ("::1:7000"); "[::1]:7000" is accepted too, and an empty host (":7000").
// Anything else (no port, port not in 1..65535): RedisError naming `text` and `what`.
NodeAddress parse_node_address(std::string_view text, std::string_view what);

}  // namespace pgfast::cluster
