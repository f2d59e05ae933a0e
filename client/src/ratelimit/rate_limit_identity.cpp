#include "pgfast/ratelimit/rate_limit_identity.hpp"

#include "ratelimit/ip_address.hpp"

namespace pgfast {

std::string rate_limit_identity(const std::optional<std::string>& user_id,
                                const std::string& client_ip, int ipv6_prefix) {
  if (user_id && !user_id->empty()) return "user:" + *user_id;
  return "ip:" + normalize_ip(client_ip, ipv6_prefix);
}

}  // namespace pgfast
