// A hash tag for every Redis Cluster slot: slot_tag(s) is a short text whose key_slot is s, so a
// key starting with "{" + slot_tag(s) + "}" lands in slot s whatever follows. Used for companion
// keys that must share a slot with a key whose own hash tag cannot be reused (e.g. a cache
// entry's lease). Internal.
#pragma once

#include <string_view>

namespace pgfast::cluster {

// Every tag is this many characters from [a-zA-Z0-9] (never '{' or '}').
constexpr std::size_t kSlotTagLength = 3;

// The first string of kSlotTagLength characters (in [a-zA-Z0-9] order) that hashes to `slot`
// (0 .. kSlotCount - 1; anything else is a UsageError). The table is built once, on first use.
std::string_view slot_tag(int slot);

}  // namespace pgfast::cluster
