#include "redis/cluster_slot_map.hpp"

#include <algorithm>
#include <optional>

#include "pgfast/errors.hpp"

namespace pgfast::cluster {

namespace {

[[noreturn]] void bad_reply(const std::string& problem, const RedisReply& part) {
  throw RedisError("CLUSTER SLOTS reply: " + problem + " (got " + part.debug_string() + ")");
}

// A node entry [endpoint, port, id?, metadata?]; nullopt for the unreachable endpoint "?".
std::optional<NodeAddress> parse_node(const RedisReply& node, std::string_view seed_host,
                                      const std::string& where) {
  if (!node.is_array() || node.size() < 2) bad_reply(where + " is not [host, port, ...]", node);
  const RedisReply& endpoint = node[0];
  const RedisReply& port = node[1];
  if (!(endpoint.is_nil() || endpoint.is_string()) || !port.is_integer() || port.integer() < 1 ||
      port.integer() > 65535) {
    bad_reply(where + " is not [host, port 1..65535, ...]", node);
  }
  if (endpoint.is_string() && endpoint.str() == "?") return std::nullopt;
  NodeAddress address;
  address.host =
      endpoint.is_nil() || endpoint.str().empty() ? std::string(seed_host) : endpoint.str();
  address.port = static_cast<int>(port.integer());
  return address;
}

int parse_slot(const RedisReply& value, const RedisReply& entry, const std::string& where) {
  if (!value.is_integer() || value.integer() < 0 || value.integer() >= kSlotCount) {
    bad_reply(where + " is not a slot number 0.." + std::to_string(kSlotCount - 1), entry);
  }
  return static_cast<int>(value.integer());
}

std::string slot_span(int first, int last) {
  return first == last ? std::to_string(first) : std::to_string(first) + "-" + std::to_string(last);
}

}  // namespace

SlotMap::SlotMap() : slot_shard_(kSlotCount, -1) {}

SlotMap SlotMap::from_cluster_slots(const RedisReply& reply, std::string_view seed_host) {
  if (!reply.is_array()) bad_reply("not an array", reply);
  SlotMap map;
  for (std::size_t i = 0; i < reply.size(); ++i) {
    const RedisReply& entry = reply[i];
    const std::string where = "entry " + std::to_string(i);
    if (!entry.is_array() || entry.size() < 3) {
      bad_reply(where + " is not [first, last, master, replicas...]", entry);
    }
    const int first = parse_slot(entry[0], entry, where + "'s first slot");
    const int last = parse_slot(entry[1], entry, where + "'s last slot");
    if (first > last) bad_reply(where + "'s first slot is after its last", entry);
    const std::optional<NodeAddress> master = parse_node(entry[2], seed_host, where + "'s master");
    std::vector<NodeAddress> replicas;
    for (std::size_t r = 3; r < entry.size(); ++r) {
      auto replica = parse_node(entry[r], seed_host, where + "'s replica " + std::to_string(r - 2));
      if (replica) replicas.push_back(std::move(*replica));
    }
    if (!master) continue;  // unreachable master: its slots stay a gap

    auto shard = std::find_if(map.shards_.begin(), map.shards_.end(),
                              [&](const Shard& s) { return s.master == *master; });
    if (shard == map.shards_.end()) {
      map.shards_.push_back(Shard{*master, {}});
      shard = map.shards_.end() - 1;
    }
    for (auto& replica : replicas) {
      if (std::find(shard->replicas.begin(), shard->replicas.end(), replica) ==
          shard->replicas.end()) {
        shard->replicas.push_back(std::move(replica));
      }
    }
    const auto index = static_cast<std::int32_t>(shard - map.shards_.begin());
    for (int slot = first; slot <= last; ++slot) {
      const std::int32_t owner = map.slot_shard_[static_cast<std::size_t>(slot)];
      if (owner >= 0) {
        bad_reply("slot " + std::to_string(slot) + " is claimed by both " +
                      map.shards_[static_cast<std::size_t>(owner)].master.to_string() + " and " +
                      master->to_string(),
                  entry);
      }
      map.slot_shard_[static_cast<std::size_t>(slot)] = index;
    }
    map.ranges_.push_back(SlotRange{first, last, static_cast<std::size_t>(index)});
  }
  std::sort(map.ranges_.begin(), map.ranges_.end(),
            [](const SlotRange& a, const SlotRange& b) { return a.first < b.first; });
  // Shards in order of their first slot, so that equal maps compare and print alike.
  std::vector<std::size_t> order;
  for (const auto& range : map.ranges_) {
    if (std::find(order.begin(), order.end(), range.shard) == order.end()) {
      order.push_back(range.shard);
    }
  }
  std::vector<std::int32_t> new_index(map.shards_.size(), -1);
  std::vector<Shard> shards;
  for (std::size_t k = 0; k < order.size(); ++k) {
    new_index[order[k]] = static_cast<std::int32_t>(k);
    shards.push_back(std::move(map.shards_[order[k]]));
  }
  map.shards_ = std::move(shards);
  for (auto& range : map.ranges_) range.shard = static_cast<std::size_t>(new_index[range.shard]);
  for (auto& owner : map.slot_shard_) {
    if (owner >= 0) owner = new_index[static_cast<std::size_t>(owner)];
  }
  return map;
}

const Shard* SlotMap::shard_for_slot(int slot) const noexcept {
  if (slot < 0 || slot >= kSlotCount) return nullptr;
  const std::int32_t owner = slot_shard_[static_cast<std::size_t>(slot)];
  return owner < 0 ? nullptr : &shards_[static_cast<std::size_t>(owner)];
}

int SlotMap::served_slots() const noexcept {
  int served = 0;
  for (const auto& range : ranges_) served += range.last - range.first + 1;
  return served;
}

std::vector<std::pair<int, int>> SlotMap::gaps() const {
  std::vector<std::pair<int, int>> gaps;
  int next = 0;  // first slot not yet accounted for
  for (const auto& range : ranges_) {
    if (range.first > next) gaps.emplace_back(next, range.first - 1);
    next = range.last + 1;
  }
  if (next < kSlotCount) gaps.emplace_back(next, kSlotCount - 1);
  return gaps;
}

std::string SlotMap::describe_gaps() const {
  std::string text;
  for (const auto& [first, last] : gaps()) {
    if (!text.empty()) text += ", ";
    text += slot_span(first, last);
  }
  return text;
}

}  // namespace pgfast::cluster
