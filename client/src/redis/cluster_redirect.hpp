// Redis Cluster error replies a client must act on: MOVED and ASK redirections (parsed), and
// TRYAGAIN / CLUSTERDOWN / CROSSSLOT (classified). The text is an error reply's whole text, as
// RedisReply::str() or RedisReplyError::what() give it. Internal.
#pragma once

#include <optional>
#include <string_view>

#include "redis/cluster_node_address.hpp"

namespace pgfast::cluster {

enum class ClusterError {
  none,          // not a cluster error (an application error such as WRONGTYPE, or ERR ...)
  moved,         // MOVED <slot> <host>:<port>: the slot now lives there; refresh the slot map
  ask,           // ASK <slot> <host>:<port>: this one command goes there, after ASKING
  try_again,     // TRYAGAIN: a multi-key command during a slot migration; retry after a backoff
  cluster_down,  // CLUSTERDOWN: the slot is not served now; retry after a backoff
  cross_slot,    // CROSSSLOT: the server refused keys in different slots; a retry cannot help
};

// The kind of `error_text` by its first word.
ClusterError classify_cluster_error(std::string_view error_text) noexcept;

// TRYAGAIN and CLUSTERDOWN: the same command may succeed after a (bounded) backoff.
bool retry_after_backoff(ClusterError kind) noexcept;

struct Redirect {
  bool ask = false;  // ASK (one command, preceded by ASKING); false: MOVED (the slot moved)
  int slot = 0;
  // Where to send the command; an empty host means the host of the node that answered.
  NodeAddress node;
};

// The redirection in a MOVED or ASK error reply; nullopt for any other text. A MOVED/ASK reply
// that does not read "<MOVED|ASK> <slot 0..16383> <host>:<port>": RedisError naming the text.
std::optional<Redirect> parse_redirect(std::string_view error_text);

}  // namespace pgfast::cluster
