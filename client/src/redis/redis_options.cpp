#include "pgfast/redis/redis_options.hpp"

#include <cctype>
#include <cstdint>

#include "pgfast/errors.hpp"
#include "pgfast/settings.hpp"

namespace pgfast {

namespace {

// The URL with the password replaced by "***", for error messages.
std::string masked(const std::string& url) {
  const auto scheme_end = url.find("://");
  const std::size_t start = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  const auto authority_end = url.find_first_of("/?#", start);
  const auto at = url.rfind('@', authority_end == std::string::npos ? url.size() : authority_end);
  if (at == std::string::npos || at < start) return url;
  const auto colon = url.find(':', start);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

class UrlParser {
 public:
  UrlParser(const std::string& url, const std::string& what) : url_(url), what_(what) {}

  [[noreturn]] void fail(const std::string& problem) const {
    throw ConfigurationError(what_ + ": " + problem + " in \"" + masked(url_) +
                             "\" (expected redis://[[user]:password@]host[:port][/db])");
  }

  std::string percent_decoded(const std::string& text, const char* part) const {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] != '%') {
        out += text[i];
        continue;
      }
      if (i + 2 >= text.size()) fail(std::string("bad %-escape in the ") + part);
      const int hi = hex(text[i + 1]);
      const int lo = hex(text[i + 2]);
      if (hi < 0 || lo < 0) fail(std::string("bad %-escape in the ") + part);
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    return out;
  }

  RedisEndpoint parse() const {
    RedisEndpoint e;
    static const std::string kScheme = "redis://";
    if (url_.compare(0, 9, "rediss://") == 0) {
      fail("TLS (rediss://) is not supported by this build (hiredis without TLS)");
    }
    if (url_.compare(0, 8, "unix://") == 0) fail("unix sockets are not supported");
    if (url_.compare(0, kScheme.size(), kScheme) != 0) fail("the scheme must be redis://");
    const std::string rest = url_.substr(kScheme.size());
    if (rest.find_first_of("?#") != std::string::npos) {
      fail("query parameters and fragments are not supported");
    }
    const auto slash = rest.find('/');
    std::string authority = rest.substr(0, slash);
    const std::string path = slash == std::string::npos ? std::string() : rest.substr(slash + 1);

    const auto at = authority.rfind('@');
    if (at != std::string::npos) {
      const std::string userinfo = authority.substr(0, at);
      authority = authority.substr(at + 1);
      const auto colon = userinfo.find(':');
      if (colon == std::string::npos) {
        fail(
            "user information without ':' (write redis://:password@host or "
            "redis://user:password@host)");
      }
      e.username = percent_decoded(userinfo.substr(0, colon), "user name");
      e.password = percent_decoded(userinfo.substr(colon + 1), "password");
      if (e.password.empty()) fail("empty password after ':'");
    }

    std::string port_text;
    bool has_port = false;
    if (!authority.empty() && authority[0] == '[') {
      const auto close = authority.find(']');
      if (close == std::string::npos) fail("unterminated '[' in the IPv6 host");
      e.host = authority.substr(1, close - 1);
      if (e.host.empty()) fail("empty IPv6 host");
      const std::string after = authority.substr(close + 1);
      if (!after.empty()) {
        if (after[0] != ':') fail("unexpected text after the IPv6 host");
        has_port = true;
        port_text = after.substr(1);
      }
      for (char c : e.host) {
        if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.') {
          fail("invalid character in the IPv6 host");
        }
      }
    } else {
      const auto colon = authority.find(':');
      e.host = authority.substr(0, colon);
      if (colon != std::string::npos) {
        has_port = true;
        port_text = authority.substr(colon + 1);
        if (port_text.find(':') != std::string::npos) {
          fail("an IPv6 host must be written in brackets, e.g. redis://[::1]:6379");
        }
      }
      if (e.host.empty()) fail("missing host");
      for (char c : e.host) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') {
          fail("invalid character in the host");
        }
      }
    }
    if (has_port) {
      const auto port = number(port_text, 65535);
      if (port < 1) fail("the port must be an integer from 1 to 65535");
      e.port = static_cast<int>(port);
    }
    if (!path.empty()) {
      const auto db = number(path, 1 << 30);
      if (db < 0) fail("the database must be a non-negative integer (the path /<db>)");
      e.db = static_cast<int>(db);
    }
    return e;
  }

 private:
  static int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  // Digits only, at most `max`; -1 when not.
  static std::int64_t number(const std::string& text, std::int64_t max) {
    if (text.empty() || text.size() > 10) return -1;
    std::int64_t value = 0;
    for (char c : text) {
      if (c < '0' || c > '9') return -1;
      value = value * 10 + (c - '0');
    }
    return value > max ? -1 : value;
  }

  const std::string& url_;
  const std::string& what_;
};

}  // namespace

RedisEndpoint RedisEndpoint::parse(const std::string& url, const std::string& what) {
  return UrlParser(url, what).parse();
}

RedisEndpoint RedisOptions::endpoint() const {
  return RedisEndpoint::parse(url);
}

RedisOptions RedisOptions::from_settings(const Settings& settings) {
  RedisOptions o;
  o.url = settings.redis_url;
  o.max_connections = settings.redis_max_connections;
  o.cluster_nodes = settings.redis_cluster_nodes;
  o.read_from_replicas = settings.redis_cluster_read_from_replicas;
  RedisEndpoint::parse(o.url, "REDIS_URL");
  for (std::size_t i = 0; i < o.cluster_nodes.size(); ++i) {
    RedisEndpoint::parse(o.cluster_nodes[i], "REDIS_CLUSTER_NODES[" + std::to_string(i) + "]");
  }
  return o;
}

RedisOptions RedisOptions::for_cache() {
  RedisOptions o;
  o.connect_timeout = std::chrono::milliseconds(500);
  o.command_timeout = std::chrono::milliseconds(500);
  o.down_backoff = std::chrono::milliseconds(1000);
  o.probe_idle_after = std::chrono::milliseconds(1000);
  return o;
}

}  // namespace pgfast
