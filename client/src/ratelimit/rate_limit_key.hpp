// The Redis key holding one identity's limiter state (one hash, a field per limit).
// Single node: <prefix><scope>:<identity>, the names pgfast has always used.
// Redis Cluster: <prefix><scope>:{<identity>} with `%`, `{` and `}` of the identity
// percent-encoded, so the hash tag is the whole identity and nothing else: every key of one
// identity (in any scope) shares its slot, identities spread over the slots, and an identity that
// contains braces can neither end the tag early nor pick another identity's slot. The encoding is
// injective, so distinct identities keep distinct keys. docs/scale-out.md "Key layout".
#pragma once

#include <string>

namespace pgfast {

// Throws ConfigurationError when `cluster` and the prefix or scope contain `{` or `}` (they
// would take the hash tag's place and put many identities into one slot).
std::string rate_limit_key(const std::string& prefix, const std::string& scope,
                           const std::string& identity, bool cluster);

// The same check up front (RateLimiter's constructor): ConfigurationError naming the part.
void check_rate_limit_key_parts(const std::string& prefix, const std::string& scope, bool cluster);

}  // namespace pgfast
