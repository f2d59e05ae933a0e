// Rate limits without a server: limit strings, the GCRA arithmetic, multi-limit decisions, the
// in-process limiter, HTTP headers, client identities, limiter options.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "pgfast/errors.hpp"
#include "pgfast/rate_limiter.hpp"
#include "pgfast/settings.hpp"

using namespace std::chrono_literals;
using pgfast::ConfigurationError;
using pgfast::Decision;
using pgfast::RateLimit;

namespace {

std::string parse_error(const std::string& text) {
  try {
    RateLimit::parse(text);
  } catch (const ConfigurationError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error for \"" << text << "\"";
  return {};
}

std::shared_ptr<const std::vector<RateLimit>> limits(const std::string& text) {
  return std::make_shared<const std::vector<RateLimit>>(RateLimit::parse(text));
}

std::string header(const pgfast::HttpHeaders& h, const std::string& name) {
  for (const auto& [k, v] : h) {
    if (k == name) return v;
  }
  return "<absent>";
}

constexpr std::int64_t kT0 = 1700000000000000;  // an arbitrary "now" in µs

}  // namespace

TEST(RateLimitParse, Forms) {
  const auto one = RateLimit::parse_one("10/minute");
  EXPECT_EQ(one.count, 10);
  EXPECT_EQ(one.period, std::chrono::microseconds(60s));
  EXPECT_EQ(one.burst, 10);
  EXPECT_EQ(one.text, "10/minute");
  EXPECT_EQ(one.emission_interval(), 6s);

  EXPECT_EQ(RateLimit::parse_one("5/hour").period, std::chrono::microseconds(1h));
  EXPECT_EQ(RateLimit::parse_one("3/second").emission_interval().count(), 333334);  // rounded up
  EXPECT_EQ(RateLimit::parse_one("  7 PER Day ").text, "7/day");
  EXPECT_EQ(RateLimit::parse_one("5 per 10 seconds").period, std::chrono::microseconds(10s));
  EXPECT_EQ(RateLimit::parse_one("5 per 10 seconds").text, "5/10 seconds");
  EXPECT_EQ(RateLimit::parse_one("1/s").text, "1/second");
  EXPECT_EQ(RateLimit::parse_one("2/min").text, "2/minute");
  EXPECT_EQ(RateLimit::parse_one("2/2h").period, std::chrono::microseconds(2h));

  const auto burst = RateLimit::parse_one("10/minute burst 20");
  EXPECT_EQ(burst.count, 10);
  EXPECT_EQ(burst.burst, 20);
  EXPECT_EQ(burst.text, "10/minute burst 20");

  const auto several = RateLimit::parse("100/minute;1000/day");
  ASSERT_EQ(several.size(), 2u);
  EXPECT_EQ(several[0].text, "100/minute");
  EXPECT_EQ(several[1].text, "1000/day");
  EXPECT_EQ(several[1].emission_interval().count(), 86400000);
  EXPECT_EQ(RateLimit::parse("3/second, 5/minute").size(), 2u);
}

TEST(RateLimitParse, MalformedIsAClearError) {
  EXPECT_NE(parse_error("").find("empty limit"), std::string::npos);
  EXPECT_NE(parse_error("10/minute;").find("empty limit"), std::string::npos);
  EXPECT_NE(parse_error("10/minute;;5/hour").find("empty limit"), std::string::npos);
  EXPECT_NE(parse_error("minute").find("expected a request count"), std::string::npos);
  EXPECT_NE(parse_error("0/minute").find("at least 1"), std::string::npos);
  EXPECT_NE(parse_error("-1/minute").find("request count"), std::string::npos);
  EXPECT_NE(parse_error("10 minute").find("'/' or 'per'"), std::string::npos);
  EXPECT_NE(parse_error("10/fortnight").find("unknown time unit \"fortnight\""), std::string::npos);
  EXPECT_NE(parse_error("10/").find("missing time unit"), std::string::npos);
  EXPECT_NE(parse_error("10/minute burst").find("burst size"), std::string::npos);
  EXPECT_NE(parse_error("10/minute burst 0").find("at least 1"), std::string::npos);
  EXPECT_NE(parse_error("10/minute extra").find("unexpected text \"extra\""), std::string::npos);
  EXPECT_NE(parse_error("1.5/minute").find("'/' or 'per'"), std::string::npos);
  EXPECT_NE(parse_error("99999999999/minute").find("too large"), std::string::npos);
  EXPECT_NE(parse_error("10/minutely").find("unknown time unit"), std::string::npos);
  try {
    RateLimit::parse("x", "RATE_LIMITS");
  } catch (const ConfigurationError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("RATE_LIMITS: ", 0), 0u) << e.what();
  }
}

TEST(Gcra, FiveOfABurstOfEightThenOneMorePerInterval) {
  const auto l = limits("5/second");
  std::vector<std::int64_t> tats;
  std::vector<Decision> ds;
  for (int i = 0; i < 8; ++i) ds.push_back(pgfast::gcra::decide(l, tats, kT0, 1, true));
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(ds[i].allowed) << i;
    EXPECT_EQ(ds[i].remaining, 4 - i);
    EXPECT_EQ(ds[i].reset_after.count(), 200000 * (i + 1));
    EXPECT_EQ(ds[i].retry_after.count(), 0);
    EXPECT_EQ(ds[i].limit, 5);
  }
  for (int i = 5; i < 8; ++i) {
    EXPECT_FALSE(ds[i].allowed) << i;
    EXPECT_EQ(ds[i].remaining, 0);
    EXPECT_EQ(ds[i].retry_after.count(), 200000);
    EXPECT_EQ(ds[i].reset_after.count(), 1000000);
  }
  EXPECT_EQ(tats[0], kT0 + 1000000);  // denied requests took nothing
  // 1 µs early: still denied, by exactly 1 µs.
  auto early = pgfast::gcra::decide(l, tats, kT0 + 199999, 1, true);
  EXPECT_FALSE(early.allowed);
  EXPECT_EQ(early.retry_after.count(), 1);
  auto on_time = pgfast::gcra::decide(l, tats, kT0 + 200000, 1, true);
  EXPECT_TRUE(on_time.allowed);
  EXPECT_EQ(on_time.remaining, 0);
  EXPECT_EQ(on_time.reset_after.count(), 1000000);
  // After a full quiet period the whole burst is back.
  auto later = pgfast::gcra::decide(l, tats, kT0 + 200000 + 1000000, 1, false);
  EXPECT_EQ(later.remaining, 5);
  EXPECT_EQ(later.reset_after.count(), 0);
}

TEST(Gcra, CostAndPeek) {
  const auto l = limits("10/second");
  std::vector<std::int64_t> tats;
  auto d = pgfast::gcra::decide(l, tats, kT0, 4, true);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.remaining, 6);
  EXPECT_EQ(d.reset_after.count(), 400000);
  auto peek = pgfast::gcra::decide(l, tats, kT0, 7, false);
  EXPECT_FALSE(peek.allowed);
  EXPECT_EQ(peek.remaining, 6);
  EXPECT_EQ(peek.retry_after.count(), 100000);
  auto peek_ok = pgfast::gcra::decide(l, tats, kT0, 6, false);
  EXPECT_TRUE(peek_ok.allowed);
  EXPECT_EQ(peek_ok.remaining, 6);  // peek reports what is there, takes nothing
  EXPECT_EQ(tats[0], kT0 + 400000);
  EXPECT_TRUE(pgfast::gcra::decide(l, tats, kT0, 6, true).allowed);
  EXPECT_FALSE(pgfast::gcra::decide(l, tats, kT0, 1, true).allowed);
}

TEST(Gcra, BurstAboveCount) {
  const auto l = limits("10/minute burst 20");
  std::vector<std::int64_t> tats;
  int allowed = 0;
  for (int i = 0; i < 25; ++i) allowed += pgfast::gcra::decide(l, tats, kT0, 1, true).allowed;
  EXPECT_EQ(allowed, 20);
  const auto d = pgfast::gcra::decide(l, tats, kT0, 1, true);
  EXPECT_EQ(d.retry_after, std::chrono::microseconds(6s));
  EXPECT_EQ(d.reset_after, std::chrono::microseconds(120s));
}

TEST(Gcra, SeveralLimitsAllOrNothingAndTheStricterDecides) {
  const auto l = limits("3/second;5/minute");
  std::vector<std::int64_t> tats;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(pgfast::gcra::decide(l, tats, kT0, 1, true).allowed);
  const auto denied = pgfast::gcra::decide(l, tats, kT0, 1, true);
  EXPECT_FALSE(denied.allowed);
  EXPECT_EQ(denied.deciding, 0u);  // the per-second limit
  EXPECT_EQ(denied.limit, 3);
  EXPECT_EQ(denied.retry_after.count(), 333334);
  EXPECT_EQ(denied.states[1].remaining, 2);  // the minute limit lost nothing to the denial
  EXPECT_EQ(tats[1], kT0 + 3 * 12000000);
  // After a second, the per-second limit allows but the minute one has 2 left.
  auto d = pgfast::gcra::decide(l, tats, kT0 + 1000002, 1, true);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.deciding, 1u);
  EXPECT_EQ(d.remaining, 1);
  EXPECT_TRUE(pgfast::gcra::decide(l, tats, kT0 + 1000002, 1, true).allowed);
  const auto minute = pgfast::gcra::decide(l, tats, kT0 + 1000002, 1, true);
  EXPECT_FALSE(minute.allowed);
  EXPECT_EQ(minute.deciding, 1u);
  EXPECT_EQ(minute.limit, 5);
  EXPECT_EQ(minute.retry_after.count(), kT0 + 5 * 12000000 - 60000000 + 12000000 - 1000002 - kT0);
}

TEST(LocalRateLimiter, KeysAreIndependentResetAndPrune) {
  pgfast::LocalRateLimiter local(RateLimit::parse("2/second"));
  EXPECT_TRUE(local.check("a", 1, true, kT0).allowed);
  EXPECT_TRUE(local.check("a", 1, true, kT0).allowed);
  EXPECT_FALSE(local.check("a", 1, true, kT0).allowed);
  EXPECT_TRUE(local.check("b", 1, true, kT0).allowed);
  EXPECT_TRUE(local.check("c", 1, false, kT0).allowed);  // peek stores nothing
  EXPECT_EQ(local.size(), 2u);
  local.reset("a");
  EXPECT_TRUE(local.check("a", 1, true, kT0).allowed);
  // Thousands of keys that have all reset are dropped as the map grows.
  for (int i = 0; i < 5000; ++i) local.check("k" + std::to_string(i), 1, true, kT0 + i * 1000000LL);
  EXPECT_LT(local.size(), 2100u);
}

TEST(LocalRateLimiter, ThreadsNeverExceedTheBurst) {
  pgfast::LocalRateLimiter local(RateLimit::parse("100/hour"));
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) allowed += local.check("k", 1, true, kT0).allowed;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(allowed.load(), 100);
}

TEST(RateLimitHeaders, AllowedDeniedIetfAndDisabled) {
  const auto l = limits("5/second;100/minute");
  std::vector<std::int64_t> tats;
  const auto ok = pgfast::gcra::decide(l, tats, kT0, 2, true);
  auto h = pgfast::headers(ok);
  EXPECT_EQ(header(h, "X-RateLimit-Limit"), "5");
  EXPECT_EQ(header(h, "X-RateLimit-Remaining"), "3");
  EXPECT_EQ(header(h, "X-RateLimit-Reset"), "1");  // 0.4 s, rounded up
  EXPECT_EQ(header(h, "Retry-After"), "<absent>");
  EXPECT_EQ(header(h, "RateLimit"), "<absent>");
  EXPECT_EQ(h.size(), 3u);

  pgfast::gcra::decide(l, tats, kT0, 3, true);
  const auto denied = pgfast::gcra::decide(l, tats, kT0, 1, true);
  pgfast::RateLimitHeaderOptions o;
  o.ietf = true;
  h = pgfast::headers(denied, o);
  EXPECT_EQ(header(h, "X-RateLimit-Remaining"), "0");
  EXPECT_EQ(header(h, "Retry-After"), "1");  // 0.2 s, at least 1
  EXPECT_EQ(header(h, "RateLimit-Policy"), "\"5/second\";q=5;w=1, \"100/minute\";q=100;w=60");
  EXPECT_EQ(header(h, "RateLimit"), "\"5/second\";r=0;t=1");

  o.x_ratelimit = false;
  h = pgfast::headers(denied, o);
  EXPECT_EQ(header(h, "X-RateLimit-Limit"), "<absent>");
  EXPECT_EQ(header(h, "Retry-After"), "1");

  pgfast::RateLimitHeaderOptions unix_time;
  unix_time.reset_as_unix_time = true;
  EXPECT_EQ(header(pgfast::headers(denied, unix_time), "X-RateLimit-Reset"), "1700000001");

  const auto hour = limits("5/hour");
  std::vector<std::int64_t> t2;
  for (int i = 0; i < 5; ++i) pgfast::gcra::decide(hour, t2, kT0, 1, true);
  h = pgfast::headers(pgfast::gcra::decide(hour, t2, kT0, 1, true));
  EXPECT_EQ(header(h, "Retry-After"), "720");
  EXPECT_EQ(header(h, "X-RateLimit-Reset"), "3600");

  Decision off;
  off.source = pgfast::DecisionSource::disabled;
  EXPECT_TRUE(pgfast::headers(off).empty());
}

TEST(ClientIdentity, NormalisesAddresses) {
  using pgfast::normalize_ip;
  EXPECT_EQ(normalize_ip("192.0.2.1"), "192.0.2.1");
  EXPECT_EQ(normalize_ip(" 192.0.2.1 "), "192.0.2.1");
  EXPECT_EQ(normalize_ip("192.0.2.1:8080"), "192.0.2.1");
  EXPECT_EQ(normalize_ip("::ffff:192.0.2.1"), "192.0.2.1");
  EXPECT_EQ(normalize_ip("::FFFF:C000:0201"), "192.0.2.1");
  EXPECT_EQ(normalize_ip("[::ffff:192.0.2.1]:443"), "192.0.2.1");
  EXPECT_EQ(normalize_ip("2001:DB8:0:0:0:0:0:1"), "2001:db8::1");
  EXPECT_EQ(normalize_ip("2001:0db8::0001"), "2001:db8::1");
  EXPECT_EQ(normalize_ip("[2001:db8::1]"), "2001:db8::1");
  EXPECT_EQ(normalize_ip("[2001:db8::1]:8443"), "2001:db8::1");
  EXPECT_EQ(normalize_ip("fe80::1%eth0"), "fe80::1");
  EXPECT_EQ(normalize_ip("::1"), "::1");
  EXPECT_EQ(normalize_ip("2001:db8:1:2:3:4:5:6", 64), "2001:db8:1:2::/64");
  EXPECT_EQ(normalize_ip("2001:db8:1:2:3:4:5:6", 48), "2001:db8:1::/48");
  EXPECT_EQ(normalize_ip("192.0.2.1", 64), "192.0.2.1");  // the prefix is for IPv6 only
  for (const char* bad :
       {"", "  ", "localhost", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.4:x",
        "1.2.3.4:99999", "[::1", "[::1]x", "::g", "1:2:3", "2001:db8::1::2"}) {
    EXPECT_THROW(normalize_ip(bad), pgfast::RateLimitArgumentError) << bad;
  }
  EXPECT_THROW(normalize_ip("::1", 129), pgfast::RateLimitArgumentError);
}

TEST(ClientIdentity, UserIdElseIp) {
  EXPECT_EQ(pgfast::rate_limit_identity(std::string("42"), "192.0.2.1"), "user:42");
  EXPECT_EQ(pgfast::rate_limit_identity(std::nullopt, "::ffff:192.0.2.1"), "ip:192.0.2.1");
  EXPECT_EQ(pgfast::rate_limit_identity(std::string(""), "2001:db8::1"), "ip:2001:db8::1");
  EXPECT_THROW(pgfast::rate_limit_identity(std::nullopt, "nobody"), pgfast::RateLimitArgumentError);
}

TEST(RateLimiterOptions, NamedLimitsFromSettings) {
  pgfast::Settings s;
  EXPECT_EQ(pgfast::RateLimiterOptions::named("general", s).limits, "100/minute");
  EXPECT_EQ(pgfast::RateLimiterOptions::named("search", s).limits, "10/minute");
  EXPECT_EQ(pgfast::RateLimiterOptions::named("scraping", s).limits, "5/minute");
  EXPECT_EQ(pgfast::RateLimiterOptions::named("network", s).limits, "5/hour");
  EXPECT_EQ(pgfast::RateLimiterOptions::named("network", s).scope, "network");
  EXPECT_THROW(pgfast::RateLimiterOptions::named("admin", s), ConfigurationError);
  s = pgfast::Settings::from_env([](const std::string& name) -> std::optional<std::string> {
    if (name == "RATE_LIMIT_PER_MINUTE") return "250";
    if (name == "RATE_LIMIT_ENABLED") return "false";
    return std::nullopt;
  });
  const auto general = pgfast::RateLimiterOptions::from_settings(s);
  EXPECT_EQ(general.limits, "250/minute");
  EXPECT_EQ(general.scope, "general");
  EXPECT_FALSE(general.enabled);
  EXPECT_EQ(pgfast::parse_failure_mode("closed"), pgfast::FailureMode::closed);
  EXPECT_THROW(pgfast::parse_failure_mode("sometimes"), ConfigurationError);
}

TEST(RateLimiter, BadOptionsAndArgumentsWithoutAServer) {
  pgfast::RedisOptions ro;
  ro.url = "redis://127.0.0.1:1";  // never contacted below
  pgfast::Redis redis(ro);
  pgfast::RateLimiterOptions o;
  o.limits = "10/fortnight";
  EXPECT_THROW(pgfast::RateLimiter(redis, o), ConfigurationError);
  o.limits = "5/second;10/minute burst 3";
  o.scope = "";
  EXPECT_THROW(pgfast::RateLimiter(redis, o), ConfigurationError);
  o.scope = "api";
  o.enabled = false;
  pgfast::RateLimiter limiter(redis, o);
  EXPECT_EQ(limiter.key("user:7"), "rl:api:user:7");
  EXPECT_THROW(limiter.check("user:7", 0), pgfast::RateLimitArgumentError);
  EXPECT_THROW(limiter.check("user:7", 4), pgfast::RateLimitArgumentError);  // > burst 3
  EXPECT_THROW(limiter.check(""), pgfast::RateLimitArgumentError);
  // Disabled: allowed, without Redis.
  for (int i = 0; i < 20; ++i) {
    const auto d = limiter.check("user:7", 3);
    EXPECT_TRUE(d.allowed);
    EXPECT_EQ(d.source, pgfast::DecisionSource::disabled);
  }
  EXPECT_EQ(limiter.stats().disabled, 20u);
  EXPECT_EQ(redis.stats().connections_created + redis.stats().connect_failures, 0u);
}
