// The slot map of a Redis Cluster: which master (and which replicas) serve each of the 16384 hash
// slots, parsed from a CLUSTER SLOTS reply. Slots no node serves are reported as gaps, not
// errors: commands for them get CLUSTERDOWN from the server until the map is complete.
// Thread safety: a value; const access from any number of threads at once. Internal.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "redis/cluster_node_address.hpp"
#include "redis/cluster_slot.hpp"
#include "pgfast/redis/redis_reply.hpp"

namespace pgfast::cluster {

// A master and its replicas.
struct Shard {
  NodeAddress master;
  std::vector<NodeAddress> replicas;
};

// Slots first..last (inclusive) served by shards()[shard].
struct SlotRange {
  int first = 0;
  int last = 0;
  std::size_t shard = 0;
};

class SlotMap {
 public:
  SlotMap();  // no slot served

  // Parses a CLUSTER SLOTS reply: [[first, last, [host, port, id, ...], replica...], ...].
  // `seed_host` is the host the command was sent to: a node whose endpoint is nil or "" (unknown
  // to the cluster) is on that host. A node whose endpoint is "?" cannot be reached: its slots
  // (as master) are left as a gap, and as a replica it is left out. A reply of another shape, a
  // slot outside 0..16383, first > last, or a slot claimed twice: RedisError naming the problem.
  static SlotMap from_cluster_slots(const RedisReply& reply, std::string_view seed_host);

  // The shard serving `slot`, or nullptr when none does (or the slot is out of range).
  const Shard* shard_for_slot(int slot) const noexcept;

  // Distinct masters, in order of their first slot; a master serving several ranges is one shard.
  const std::vector<Shard>& shards() const noexcept { return shards_; }
  // Served ranges in slot order.
  const std::vector<SlotRange>& ranges() const noexcept { return ranges_; }

  // Slots some shard serves (kSlotCount when the map is complete).
  int served_slots() const noexcept;
  bool complete() const noexcept { return served_slots() == kSlotCount; }
  // Slot ranges no shard serves, in order, as (first, last) inclusive.
  std::vector<std::pair<int, int>> gaps() const;
  // gaps() for messages: "0-99, 5000, 16000-16383"; empty when complete.
  std::string describe_gaps() const;

 private:
  std::vector<Shard> shards_;
  std::vector<SlotRange> ranges_;
  std::vector<std::int32_t> slot_shard_;  // kSlotCount entries: index into shards_, -1 = none
};

}  // namespace pgfast::cluster
