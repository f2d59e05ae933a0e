#include "ratelimit/rate_limit_key.hpp"

#include "pgfast/errors.hpp"

namespace pgfast {

void check_rate_limit_key_parts(const std::string& prefix, const std::string& scope, bool cluster) {
  if (!cluster) return;
  auto check = [](const char* what, const std::string& value) {
    if (value.find_first_of("{}") == std::string::npos) return;
    throw ConfigurationError(std::string("pgfast::RateLimiter: ") + what + " \"" + value +
                             "\" contains '{' or '}', which Redis Cluster reads as a hash tag "
                             "(the limiter's keys carry their own tag, the identity)");
  };
  check("key_prefix", prefix);
  check("scope", scope);
}

std::string rate_limit_key(const std::string& prefix, const std::string& scope,
                           const std::string& identity, bool cluster) {
  if (!cluster) return prefix + scope + ":" + identity;
  check_rate_limit_key_parts(prefix, scope, cluster);
  std::string key = prefix + scope + ":{";
  key.reserve(key.size() + identity.size() + 1);
  for (const char c : identity) {
    switch (c) {
      case '%':
        key += "%25";
        break;
      case '{':
        key += "%7B";
        break;
      case '}':
        key += "%7D";
        break;
      default:
        key += c;
    }
  }
  key += '}';
  return key;
}

}  // namespace pgfast
