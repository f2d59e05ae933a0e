#include "ratelimit/ip_address.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>

#include "pgfast/errors.hpp"

namespace pgfast {

namespace {

[[noreturn]] void not_an_ip(const std::string& address, const std::string& why) {
  throw UsageError("client address \"" + address + "\" is not an IP address (" + why + ")");
}

bool all_digits(const std::string& s) {
  if (s.empty() || s.size() > 5) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return std::stoi(s) <= 65535;
}

}  // namespace

std::string normalize_ip(const std::string& address, int ipv6_prefix) {
  if (ipv6_prefix < 0 || ipv6_prefix > 128) {
    throw UsageError("ipv6_prefix must be from 0 to 128, got " + std::to_string(ipv6_prefix));
  }
  const auto first = address.find_first_not_of(" \t");
  if (first == std::string::npos) not_an_ip(address, "empty");
  const auto last = address.find_last_not_of(" \t");
  std::string text = address.substr(first, last - first + 1);

  if (text[0] == '[') {  // [v6] or [v6]:port
    const auto close = text.find(']');
    if (close == std::string::npos) not_an_ip(address, "unterminated '['");
    const std::string after = text.substr(close + 1);
    if (!after.empty() && !(after[0] == ':' && all_digits(after.substr(1)))) {
      not_an_ip(address, "unexpected text after ']'");
    }
    text = text.substr(1, close - 1);
  } else if (std::count(text.begin(), text.end(), ':') == 1) {  // v4:port
    const auto colon = text.find(':');
    if (!all_digits(text.substr(colon + 1))) not_an_ip(address, "bad port");
    text = text.substr(0, colon);
  }
  const auto zone = text.find('%');
  if (zone != std::string::npos && text.find(':') != std::string::npos) text = text.substr(0, zone);

  char out[INET6_ADDRSTRLEN + 8];
  in_addr v4{};
  if (text.find(':') == std::string::npos) {
    if (inet_pton(AF_INET, text.c_str(), &v4) != 1) not_an_ip(address, "not a dotted quad");
    return inet_ntop(AF_INET, &v4, out, sizeof out);
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, text.c_str(), &v6) != 1) not_an_ip(address, "not an IPv6 address");
  if (IN6_IS_ADDR_V4MAPPED(&v6)) {
    std::memcpy(&v4, &v6.s6_addr[12], 4);
    return inet_ntop(AF_INET, &v4, out, sizeof out);
  }
  if (ipv6_prefix < 128) {
    for (int bit = ipv6_prefix; bit < 128; ++bit) {
      v6.s6_addr[bit / 8] &= static_cast<unsigned char>(~(0x80u >> (bit % 8)));
    }
    return std::string(inet_ntop(AF_INET6, &v6, out, sizeof out)) + "/" +
           std::to_string(ipv6_prefix);
  }
  return inet_ntop(AF_INET6, &v6, out, sizeof out);
}

}  // namespace pgfast
