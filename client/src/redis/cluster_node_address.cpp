#include "redis/cluster_node_address.hpp"

#include "pgfast/errors.hpp"

namespace pgfast::cluster {

std::string NodeAddress::to_string() const {
  const std::string port_text = std::to_string(port);
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + port_text;
  return host + ":" + port_text;
}

NodeAddress parse_node_address(std::string_view text, std::string_view what) {
  const auto fail = [&]() -> NodeAddress {
    throw RedisError(std::string(what) + ": \"" + std::string(text) +
                     "\" is not a node address (host:port, port 1..65535)");
  };
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return fail();
  std::string_view host = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  if (port_text.empty() || port_text.size() > 5) return fail();
  int port = 0;
  for (const char c : port_text) {
    if (c < '0' || c > '9') return fail();
    port = port * 10 + (c - '0');
  }
  if (port < 1 || port > 65535) return fail();
  if (!host.empty() && host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return fail();
    host = host.substr(1, host.size() - 2);
  }
  if (host.find_first_of("[] \t") != std::string_view::npos) return fail();
  return NodeAddress{std::string(host), port};
}

}  // namespace pgfast::cluster
