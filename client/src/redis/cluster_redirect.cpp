#include "redis/cluster_redirect.hpp"

#include <string>

#include "redis/cluster_slot.hpp"
#include "pgfast/errors.hpp"

namespace pgfast::cluster {

namespace {

std::string_view first_word(std::string_view text) noexcept {
  return text.substr(0, text.find(' '));
}

}  // namespace

ClusterError classify_cluster_error(std::string_view error_text) noexcept {
  const std::string_view code = first_word(error_text);
  if (code == "MOVED") return ClusterError::moved;
  if (code == "ASK") return ClusterError::ask;
  if (code == "TRYAGAIN") return ClusterError::try_again;
  if (code == "CLUSTERDOWN") return ClusterError::cluster_down;
  if (code == "CROSSSLOT") return ClusterError::cross_slot;
  return ClusterError::none;
}

bool retry_after_backoff(ClusterError kind) noexcept {
  return kind == ClusterError::try_again || kind == ClusterError::cluster_down;
}

std::optional<Redirect> parse_redirect(std::string_view error_text) {
  const ClusterError kind = classify_cluster_error(error_text);
  if (kind != ClusterError::moved && kind != ClusterError::ask) return std::nullopt;
  const auto fail = [&]() -> std::optional<Redirect> {
    throw RedisError("Redis Cluster redirection \"" + std::string(error_text) +
                     "\" does not read \"MOVED|ASK <slot> <host>:<port>\"");
  };
  // Exactly three words separated by single spaces.
  const auto space1 = error_text.find(' ');
  const auto space2 = error_text.find(' ', space1 + 1);
  if (space1 == std::string_view::npos || space2 == std::string_view::npos ||
      error_text.find(' ', space2 + 1) != std::string_view::npos) {
    return fail();
  }
  const std::string_view slot_text = error_text.substr(space1 + 1, space2 - space1 - 1);
  if (slot_text.empty() || slot_text.size() > 5) return fail();
  int slot = 0;
  for (const char c : slot_text) {
    if (c < '0' || c > '9') return fail();
    slot = slot * 10 + (c - '0');
  }
  if (slot >= kSlotCount) return fail();
  Redirect redirect;
  redirect.ask = kind == ClusterError::ask;
  redirect.slot = slot;
  redirect.node =
      parse_node_address(error_text.substr(space2 + 1),
                         "Redis Cluster redirection \"" + std::string(error_text) + "\"");
  return redirect;
}

}  // namespace pgfast::cluster
