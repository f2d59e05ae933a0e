#include "cache/cache_key_layout.hpp"

#include <unordered_map>
#include <utility>

#include "pgfast/cache/key_template.hpp"
#include "redis/cluster_slot.hpp"
#include "redis/cluster_slot_tag.hpp"

namespace pgfast::detail {

namespace {

const char* const kLeaseInfix = "#lease:";

}  // namespace

CacheKeyLayout::CacheKeyLayout(std::string prefix, bool cluster)
    : prefix_(std::move(prefix)), cluster_(cluster) {}

std::string CacheKeyLayout::lease_key(const std::string& value_key) const {
  std::string out;
  if (cluster_) {
    out += '{';
    out += cluster::slot_tag(cluster::key_slot(value_key));
    out += '}';
  }
  out += prefix_;
  out += kLeaseInfix;
  out.append(value_key, prefix_.size(), std::string::npos);
  return out;
}

std::string CacheKeyLayout::lease_pattern(const std::string& pattern) const {
  // The companion tag is exactly kSlotTagLength characters without braces: "{???}" matches it
  // and nothing longer.
  std::string out;
  if (cluster_) out = "{" + std::string(cluster::kSlotTagLength, '?') + "}";
  return out + escape_glob(prefix_ + kLeaseInfix) + pattern;
}

std::vector<std::vector<std::size_t>> CacheKeyLayout::slot_groups(
    const std::vector<std::string>& keys) const {
  std::vector<std::vector<std::size_t>> groups;
  if (keys.empty()) return groups;
  if (!cluster_) {
    groups.emplace_back();
    for (std::size_t i = 0; i < keys.size(); ++i) groups.back().push_back(i);
    return groups;
  }
  std::unordered_map<int, std::size_t> group_of_slot;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const auto [it, added] = group_of_slot.emplace(cluster::key_slot(keys[i]), groups.size());
    if (added) groups.emplace_back();
    groups[it->second].push_back(i);
  }
  return groups;
}

}  // namespace pgfast::detail
