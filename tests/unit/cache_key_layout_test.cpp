// CacheKeyLayout: every script's keys share a hash slot in cluster mode, whatever braces the
// prefix and the user's keys contain; the single-node layout is the one it always was.
#include "cache/cache_key_layout.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "pgfast/errors.hpp"
#include "redis/cluster_slot.hpp"
#include "redis/cluster_slot_tag.hpp"

using pgfast::cluster::key_slot;
using pgfast::cluster::kSlotCount;
using pgfast::cluster::slot_tag;
using pgfast::detail::CacheKeyLayout;

namespace {

// Prefixes and keys with and without (usable, empty, unbalanced, nested) hash tags.
const std::vector<std::string> kPrefixes = {"io:", "{app}:", "a{:", "x}:", "{}:", "p{q}r{s}:", ""};
const std::vector<std::string> kKeys = {
    "user:42", "{user:42}:profile", "a}b{c", "{}",      "x{}{y}z", "{{nested}}", "open{",
    "close}",  "#lease:k",          "",      "\xff\x00"};

// Glob matching as Redis's stringmatchlen does for the patterns lease_pattern builds ('?', '*',
// and '\' escapes only).
bool glob_match(const std::string& p, std::size_t pi, const std::string& s, std::size_t si) {
  while (pi < p.size()) {
    if (p[pi] == '*') {
      for (std::size_t k = si; k <= s.size(); ++k) {
        if (glob_match(p, pi + 1, s, k)) return true;
      }
      return false;
    }
    if (si >= s.size()) return false;
    if (p[pi] == '?') {
      ++pi;
      ++si;
      continue;
    }
    if (p[pi] == '\\' && pi + 1 < p.size()) ++pi;
    if (p[pi] != s[si]) return false;
    ++pi;
    ++si;
  }
  return si == s.size();
}

}  // namespace

TEST(CacheKeyLayout, SlotTagsHashToTheirSlotAndCarryNoBraces) {
  for (int slot = 0; slot < kSlotCount; ++slot) {
    const auto tag = slot_tag(slot);
    ASSERT_EQ(tag.size(), pgfast::cluster::kSlotTagLength);
    ASSERT_EQ(tag.find_first_of("{}"), std::string_view::npos);
    ASSERT_EQ(key_slot("{" + std::string(tag) + "}anything{else}"), slot) << slot;
  }
  EXPECT_THROW(slot_tag(-1), pgfast::UsageError);
  EXPECT_THROW(slot_tag(kSlotCount), pgfast::UsageError);
}

TEST(CacheKeyLayout, SingleNodeKeysAreUnchanged) {
  const CacheKeyLayout layout("io:", false);
  EXPECT_EQ(layout.value_key("user:1"), "io:user:1");
  EXPECT_EQ(layout.tag_key("session:1"), "io:#tag:session:1");
  EXPECT_EQ(layout.lease_key("io:user:1"), "io:#lease:user:1");
  EXPECT_EQ(layout.leases_set_key(), "io:#leases");
  EXPECT_EQ(layout.lease_pattern("user:*"), "io:#lease:user:*");
  EXPECT_EQ(CacheKeyLayout("a*:", false).lease_pattern("k"), "a\\*:#lease:k");
  // One group, whatever the slots: one command, as before.
  const auto groups = layout.slot_groups({"io:a", "io:b", "io:{c}"});
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0], (std::vector<std::size_t>{0, 1, 2}));
}

TEST(CacheKeyLayout, ALeaseSharesItsKeysSlotWhateverTheBraces) {
  for (const auto& prefix : kPrefixes) {
    const CacheKeyLayout layout(prefix, true);
    for (const auto& key : kKeys) {
      const std::string value = layout.value_key(key);
      const std::string lease = layout.lease_key(value);
      EXPECT_EQ(key_slot(lease), key_slot(value)) << "prefix " << prefix << " key " << key;
      // The leases of a pattern's keys match the lease pattern, and no value key does.
      EXPECT_TRUE(glob_match(layout.lease_pattern("*"), 0, lease, 0)) << lease;
      EXPECT_FALSE(glob_match(layout.lease_pattern("*"), 0, value, 0)) << value;
      EXPECT_FALSE(glob_match(layout.lease_pattern("*"), 0, layout.tag_key(key), 0));
    }
  }
  // The user's own hash tag is honoured for the value key; the lease follows it.
  const CacheKeyLayout layout("io:", true);
  EXPECT_EQ(key_slot(layout.value_key("{user:42}:profile")), key_slot("user:42"));
  EXPECT_EQ(key_slot(layout.lease_key(layout.value_key("{user:42}:profile"))), key_slot("user:42"));
  // An escaped pattern matches its own lease only.
  const std::string star_lease = layout.lease_key(layout.value_key("a*"));
  EXPECT_TRUE(glob_match(layout.lease_pattern("a\\*"), 0, star_lease, 0));
  EXPECT_FALSE(glob_match(layout.lease_pattern("a\\*"), 0, layout.lease_key("io:ab"), 0));
}

TEST(CacheKeyLayout, ClusterGroupsKeysBySlotInOrder) {
  const CacheKeyLayout layout("io:", true);
  const std::vector<std::string> keys = {"io:{a}1", "io:{b}1", "io:{a}2", "io:{c}", "io:{b}2"};
  const auto groups = layout.slot_groups(keys);
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_EQ(groups[0], (std::vector<std::size_t>{0, 2}));
  EXPECT_EQ(groups[1], (std::vector<std::size_t>{1, 4}));
  EXPECT_EQ(groups[2], (std::vector<std::size_t>{3}));
  // Each group is one slot, and different groups are different slots.
  std::set<int> slots;
  for (const auto& g : groups) {
    std::vector<std::string> group_keys;
    for (std::size_t i : g) group_keys.push_back(keys[i]);
    const auto slot = pgfast::cluster::common_slot(group_keys, "MGET");
    ASSERT_TRUE(slot.has_value());
    EXPECT_TRUE(slots.insert(*slot).second);
  }
  EXPECT_TRUE(layout.slot_groups({}).empty());
  // Tag keys of different tags spread over slots (no shared hash tag).
  std::set<int> tag_slots;
  for (int i = 0; i < 100; ++i) tag_slots.insert(key_slot(layout.tag_key("t" + std::to_string(i))));
  EXPECT_GT(tag_slots.size(), 90u);
}
