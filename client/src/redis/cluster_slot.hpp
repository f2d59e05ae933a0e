// Redis Cluster hash slots: CRC16 (XMODEM, as Redis computes it), the hash tag rule and key ->
// slot, and the check that every key of a multi-key command falls in one slot. Internal.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pgfast::cluster {

// A cluster has this many hash slots: 0 .. kSlotCount - 1.
constexpr int kSlotCount = 16384;

// CRC16-CCITT in the XMODEM variant (polynomial 0x1021, initial value 0, no reflection), the
// checksum Redis Cluster hashes keys with: crc16("123456789") == 0x31C3.
std::uint16_t crc16(std::string_view data) noexcept;

// The part of `key` that is hashed: the text between the first '{' and the first '}' after it
// when that text is not empty; else the whole key ("{user1}.a" -> "user1", "a{}{b}" -> "a{}{b}").
std::string_view hash_tag(std::string_view key) noexcept;

// The hash slot of `key`: crc16(hash_tag(key)) mod 16384.
int key_slot(std::string_view key) noexcept;

// The slot every key of one command shares; nullopt for no keys. Keys in different slots: a
// UsageError ("CROSSSLOT ...") naming `command` and two keys that differ, with their slots; the
// command must then not be sent.
std::optional<int> common_slot(const std::vector<std::string>& keys, std::string_view command);

}  // namespace pgfast::cluster
