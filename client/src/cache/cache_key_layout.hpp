// pgfast::detail::CacheKeyLayout: the Cache's Redis keys, and which of them must share a Redis
// Cluster slot (docs/scale-out.md "Key layout and hash tags").
//
//   value      <prefix><key>                    hashed as the user wrote it (a {tag} in the key
//                                               or prefix is honoured)
//   tag        <prefix>#tag:<tag>               its own slot: tags spread over the masters
//   lease      <prefix>#lease:<key>             single node
//              {<t>}<prefix>#lease:<key>        cluster: <t> = cluster::slot_tag(slot of the
//                                               value key), so a lease always shares its value
//                                               key's slot (the store-under-lease and
//                                               invalidation scripts touch both), whatever
//                                               braces the prefix or key contain
//   lease set  <prefix>#leases                  single node only (cluster: leases are found by
//                                               SCAN on every master)
// Thread safety: immutable.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace pgfast::detail {

class CacheKeyLayout {
 public:
  CacheKeyLayout(std::string prefix, bool cluster);

  const std::string& prefix() const noexcept { return prefix_; }
  bool cluster() const noexcept { return cluster_; }

  std::string value_key(const std::string& key) const { return prefix_ + key; }
  std::string tag_key(const std::string& tag) const { return prefix_ + "#tag:" + tag; }
  // The lease of a value key (prefix included).
  std::string lease_key(const std::string& value_key) const;
  // The glob matching the lease keys of every key matching `pattern` (a glob without the prefix).
  std::string lease_pattern(const std::string& pattern) const;
  // The set listing the leases taken (single node only).
  std::string leases_set_key() const { return prefix_ + "#leases"; }

  // The indexes of `keys` grouped by hash slot, each group in order, groups in the order of their
  // first key. Single node: one group holding every index (so one command, as before).
  std::vector<std::vector<std::size_t>> slot_groups(const std::vector<std::string>& keys) const;

 private:
  const std::string prefix_;
  const bool cluster_;
};

}  // namespace pgfast::detail
