#include "redis/cluster_slot_tag.hpp"

#include <array>
#include <string>

#include "pgfast/errors.hpp"
#include "redis/cluster_slot.hpp"

namespace pgfast::cluster {

namespace {

using TagTable = std::array<std::array<char, kSlotTagLength>, kSlotCount>;

// The 62^3 three-character strings cover every slot (the first 64,007 of them already do;
// tests/unit/cache_key_layout_test.cpp checks every entry).
TagTable build_table() {
  static const std::string alphabet =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  TagTable table{};
  std::array<bool, kSlotCount> found{};
  std::size_t missing = kSlotCount;
  std::array<char, kSlotTagLength> candidate{};
  for (char a : alphabet) {
    for (char b : alphabet) {
      for (char c : alphabet) {
        candidate = {a, b, c};
        const int slot = key_slot(std::string_view(candidate.data(), candidate.size()));
        if (found[slot]) continue;
        found[slot] = true;
        table[slot] = candidate;
        if (--missing == 0) return table;
      }
    }
  }
  throw RedisError("Redis Cluster: no hash tag found for some slots");  // unreachable
}

}  // namespace

std::string_view slot_tag(int slot) {
  if (slot < 0 || slot >= kSlotCount) {
    throw UsageError("Redis Cluster: slot " + std::to_string(slot) + " is outside 0.." +
                     std::to_string(kSlotCount - 1));
  }
  static const TagTable table = build_table();
  return std::string_view(table[slot].data(), kSlotTagLength);
}

}  // namespace pgfast::cluster
