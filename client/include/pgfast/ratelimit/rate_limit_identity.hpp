// Who a rate limit applies to: the user id when the request is authenticated, else the client's
// IP address in one canonical text form, so "::ffff:192.0.2.1", "192.0.2.1" and "[::FFFF:c000:201]"
// share one counter. A pure function: thread-safe.
#pragma once

#include <optional>
#include <string>

namespace pgfast {

// "user:<id>" when user_id holds a non-empty id, else "ip:<address>" with client_ip normalised:
// IPv4 dotted quad; IPv6 as inet_ntop writes it (lower case, longest zero run compressed);
// IPv4-mapped IPv6 (::ffff:a.b.c.d) becomes IPv4. Accepts surrounding spaces, "[v6]" and
// "[v6]:port", "v4:port", and drops an IPv6 zone ("%eth0"). With ipv6_prefix < 128, an IPv6
// address is reduced to its network, written "<net>/<bits>" (one client often owns a whole /64).
// Throws UsageError (naming the address) when client_ip is needed and is not an IP address, or
// for an ipv6_prefix outside 0..128.
std::string rate_limit_identity(const std::optional<std::string>& user_id,
                                const std::string& client_ip, int ipv6_prefix = 128);

}  // namespace pgfast
