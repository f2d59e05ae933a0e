// Canonical text of a client IP address (for rate_limit_identity). Internal.
#pragma once

#include <string>

namespace pgfast {

// IPv4 dotted quad; IPv6 as inet_ntop writes it; IPv4-mapped IPv6 becomes IPv4; "[v6]",
// "[v6]:port", "v4:port", surrounding spaces and an IPv6 zone accepted. ipv6_prefix < 128 reduces
// an IPv6 address to "<net>/<bits>". Throws UsageError for anything that is not an IP address.
std::string normalize_ip(const std::string& address, int ipv6_prefix = 128);

}  // namespace pgfast
