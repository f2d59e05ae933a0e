#include "redis/cluster_slot.hpp"

#include <array>

#include "pgfast/errors.hpp"

namespace pgfast::cluster {

namespace {

// The table for polynomial 0x1021, most significant bit first.
constexpr std::array<std::uint16_t, 256> make_crc16_table() {
  std::array<std::uint16_t, 256> table{};
  for (int byte = 0; byte < 256; ++byte) {
    std::uint16_t crc = static_cast<std::uint16_t>(byte << 8);
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 0x8000) != 0 ? static_cast<std::uint16_t>((crc << 1) ^ 0x1021)
                                : static_cast<std::uint16_t>(crc << 1);
    }
    table[static_cast<std::size_t>(byte)] = crc;
  }
  return table;
}

constexpr std::array<std::uint16_t, 256> kCrc16Table = make_crc16_table();

}  // namespace

std::uint16_t crc16(std::string_view data) noexcept {
  std::uint16_t crc = 0;
  for (const char c : data) {
    const auto index = static_cast<std::uint8_t>((crc >> 8) ^ static_cast<std::uint8_t>(c));
    crc = static_cast<std::uint16_t>((crc << 8) ^ kCrc16Table[index]);
  }
  return crc;
}

std::string_view hash_tag(std::string_view key) noexcept {
  const auto open = key.find('{');
  if (open == std::string_view::npos) return key;
  const auto close = key.find('}', open + 1);
  if (close == std::string_view::npos || close == open + 1) return key;
  return key.substr(open + 1, close - open - 1);
}

int key_slot(std::string_view key) noexcept {
  return crc16(hash_tag(key)) & (kSlotCount - 1);
}

std::optional<int> common_slot(const std::vector<std::string>& keys, std::string_view command) {
  if (keys.empty()) return std::nullopt;
  const int slot = key_slot(keys.front());
  for (const auto& key : keys) {
    const int other = key_slot(key);
    if (other == slot) continue;
    throw UsageError("CROSSSLOT " + std::string(command) +
                     ": its keys must hash to one slot, but \"" + keys.front() + "\" is in slot " +
                     std::to_string(slot) + " and \"" + key + "\" in slot " +
                     std::to_string(other) + " (not sent; give the keys a common {hash tag})");
  }
  return slot;
}

}  // namespace pgfast::cluster
