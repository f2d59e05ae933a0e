// Rate limits without a server: limit strings, the GCRA arithmetic, multi-limit decisions, the
// in-process limiter, HTTP headers, client identities, limiter options.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "ratelimit/gcra.hpp"
#include "ratelimit/ip_address.hpp"
#include "ratelimit/local_rate_limiter.hpp"
#include "pgfast/errors.hpp"
#include "pgfast/ratelimit/rate_limiter.hpp"
#include "pgfast/settings.hpp"

using namespace std::chrono_literals;
using pgfast::ConfigurationError;
using pgfast::Decision;
using pgfast::RateLimit;
using pgfast::gcra::Mode;

namespace {

std::string parse_error(const std::string& text) {
  try {
    pgfast::parse_limits(text);
  } catch (const ConfigurationError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error for \"" << text << "\"";
  return {};
}

std::shared_ptr<const std::vector<RateLimit>> limits(const std::string& text) {
  return std::make_shared<const std::vector<RateLimit>>(pgfast::parse_limits(text));
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
  const auto one = RateLimit::parse("10/minute");
  EXPECT_EQ(one.count, 10);
  EXPECT_EQ(one.period, 60s);
  EXPECT_EQ(one.burst, 10);  // filled in
  EXPECT_EQ(one.to_string(), "10/minute");
  EXPECT_EQ(one.emission_interval(), 6s);
  EXPECT_EQ(one, (RateLimit{10, 1min}));

  EXPECT_EQ(RateLimit::parse("5/hour").period, 1h);
  EXPECT_EQ(RateLimit::parse("3/second").emission_interval().count(), 333334);  // rounded up
  EXPECT_EQ(RateLimit::parse("  7 PER Day ").to_string(), "7/day");
  EXPECT_EQ(RateLimit::parse("5 per 10 seconds").period, 10s);
  EXPECT_EQ(RateLimit::parse("5 per 10 seconds").to_string(), "5/10 seconds");
  EXPECT_EQ(RateLimit::parse("5 per 60 seconds").to_string(), "5/minute");
  EXPECT_EQ(RateLimit::parse("1/s").to_string(), "1/second");
  EXPECT_EQ(RateLimit::parse("2/min").to_string(), "2/minute");
  EXPECT_EQ(RateLimit::parse("2/2h").period, 2h);

  const auto burst = RateLimit::parse("10/minute burst 20");
  EXPECT_EQ(burst.count, 10);
  EXPECT_EQ(burst.burst, 20);
  EXPECT_EQ(burst.to_string(), "10/minute burst 20");
  EXPECT_EQ(burst, (RateLimit{10, 1min, 20}));
  EXPECT_NE(burst, (RateLimit{10, 1min}));
  EXPECT_EQ(RateLimit::parse("10/minute burst 10").to_string(), "10/minute");

  const auto several = pgfast::parse_limits("100/minute;1000/day");
  ASSERT_EQ(several.size(), 2u);
  EXPECT_EQ(several[0].to_string(), "100/minute");
  EXPECT_EQ(several[1].to_string(), "1000/day");
  EXPECT_EQ(several[1].emission_interval().count(), 86400000);
  EXPECT_EQ(pgfast::parse_limits("3/second, 5/minute").size(), 2u);
  EXPECT_EQ(pgfast::parse_limits("10/second;1000/hour"),
            (std::vector<RateLimit>{{10, 1s, 10}, {1000, 1h, 1000}}));
}

TEST(RateLimitParse, SubSecondPeriods) {
  const auto l = RateLimit::parse("5/100ms");
  EXPECT_EQ(l, (RateLimit{5, 100ms}));
  EXPECT_EQ(l.period, 100ms);
  EXPECT_EQ(l.emission_interval().count(), 20000);  // 20 ms
  EXPECT_EQ(l.to_string(), "5/100ms");
  EXPECT_EQ(RateLimit::parse("5 per 100 milliseconds"), l);
  EXPECT_EQ(RateLimit::parse("5/100 MS burst 7").to_string(), "5/100ms burst 7");
  EXPECT_EQ(RateLimit::parse("1/ms").period, 1ms);
  EXPECT_EQ(RateLimit::parse("3/1500ms").to_string(), "3/1500ms");
  EXPECT_EQ(RateLimit::parse("3/2000ms").to_string(), "3/2 seconds");
  EXPECT_EQ(RateLimit::parse("7/100ms").emission_interval().count(), 14286);  // rounded up
  // The text form round-trips.
  for (const char* text : {"5/100ms", "3/1500ms burst 9", "10/minute burst 20", "7/3 days"}) {
    EXPECT_EQ(RateLimit::parse(RateLimit::parse(text).to_string()), RateLimit::parse(text)) << text;
  }
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
  EXPECT_NE(parse_error("10/0ms").find("at least 1"), std::string::npos);
  EXPECT_NE(parse_error("10/us").find("unknown time unit \"us\""), std::string::npos);
  EXPECT_NE(parse_error("1/999999 days").find("period must be"), std::string::npos);
  EXPECT_NE(parse_error("1/300 days burst 100").find("must not exceed"), std::string::npos);
  EXPECT_NE(parse_error("10/").find("missing time unit"), std::string::npos);
  EXPECT_NE(parse_error("10/minute burst").find("burst size"), std::string::npos);
  EXPECT_NE(parse_error("10/minute burst 0").find("at least 1"), std::string::npos);
  EXPECT_NE(parse_error("10/minute extra").find("unexpected text \"extra\""), std::string::npos);
  EXPECT_NE(parse_error("1.5/minute").find("'/' or 'per'"), std::string::npos);
  EXPECT_NE(parse_error("99999999999/minute").find("too large"), std::string::npos);
  EXPECT_NE(parse_error("10/minutely").find("unknown time unit"), std::string::npos);
  try {
    pgfast::parse_limits("x", "RATE_LIMITS");
    ADD_FAILURE() << "no error";
  } catch (const ConfigurationError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("RATE_LIMITS: ", 0), 0u) << e.what();
  }
}

TEST(RateLimitParse, LimitValuesAreCheckedWhenALimiterIsBuilt) {
  EXPECT_EQ(pgfast::gcra::checked(RateLimit{5, 100ms}, "x").burst, 5);
  EXPECT_THROW(pgfast::gcra::checked(RateLimit{0, 1s}, "x"), ConfigurationError);
  EXPECT_THROW(pgfast::gcra::checked(RateLimit{5, 0ms}, "x"), ConfigurationError);
  EXPECT_THROW(pgfast::gcra::checked(RateLimit{5, 1s, -1}, "x"), ConfigurationError);
  EXPECT_THROW(pgfast::gcra::checked(RateLimit{1, 24h * 365 * 40}, "x"), ConfigurationError);
  EXPECT_THROW(pgfast::gcra::checked(RateLimit{1, 24h * 365, 100}, "x"), ConfigurationError);
}

TEST(Gcra, FiveOfABurstOfEightThenOneMorePerInterval) {
  const auto l = limits("5/second");
  std::vector<std::int64_t> tats;
  std::vector<Decision> ds;
  for (int i = 0; i < 8; ++i)
    ds.push_back(pgfast::gcra::decide(l, tats, kT0, 1, Mode::all_or_nothing));
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
  auto early = pgfast::gcra::decide(l, tats, kT0 + 199999, 1, Mode::all_or_nothing);
  EXPECT_FALSE(early.allowed);
  EXPECT_EQ(early.retry_after.count(), 1);
  auto on_time = pgfast::gcra::decide(l, tats, kT0 + 200000, 1, Mode::all_or_nothing);
  EXPECT_TRUE(on_time.allowed);
  EXPECT_EQ(on_time.remaining, 0);
  EXPECT_EQ(on_time.reset_after.count(), 1000000);
  // After a full quiet period the whole burst is back.
  auto later = pgfast::gcra::decide(l, tats, kT0 + 200000 + 1000000, 1, Mode::peek);
  EXPECT_EQ(later.remaining, 5);
  EXPECT_EQ(later.reset_after.count(), 0);
}

TEST(Gcra, CostAndPeek) {
  const auto l = limits("10/second");
  std::vector<std::int64_t> tats;
  auto d = pgfast::gcra::decide(l, tats, kT0, 4, Mode::all_or_nothing);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.remaining, 6);
  EXPECT_EQ(d.reset_after.count(), 400000);
  auto peek = pgfast::gcra::decide(l, tats, kT0, 7, Mode::peek);
  EXPECT_FALSE(peek.allowed);
  EXPECT_EQ(peek.remaining, 6);
  EXPECT_EQ(peek.retry_after.count(), 100000);
  auto peek_ok = pgfast::gcra::decide(l, tats, kT0, 6, Mode::peek);
  EXPECT_TRUE(peek_ok.allowed);
  EXPECT_EQ(peek_ok.remaining, 6);  // peek reports what is there, takes nothing
  EXPECT_EQ(tats[0], kT0 + 400000);
  EXPECT_TRUE(pgfast::gcra::decide(l, tats, kT0, 6, Mode::all_or_nothing).allowed);
  EXPECT_FALSE(pgfast::gcra::decide(l, tats, kT0, 1, Mode::all_or_nothing).allowed);
}

TEST(Gcra, BurstAboveCount) {
  const auto l = limits("10/minute burst 20");
  std::vector<std::int64_t> tats;
  int allowed = 0;
  for (int i = 0; i < 25; ++i)
    allowed += pgfast::gcra::decide(l, tats, kT0, 1, Mode::all_or_nothing).allowed;
  EXPECT_EQ(allowed, 20);
  const auto d = pgfast::gcra::decide(l, tats, kT0, 1, Mode::all_or_nothing);
  EXPECT_EQ(d.retry_after, 6s);
  EXPECT_EQ(d.reset_after, 120s);
}

TEST(Gcra, SeveralLimitsAllOrNothingAndTheStricterDecides) {
  const auto l = limits("3/second;5/minute");
  std::vector<std::int64_t> tats;
  for (int i = 0; i < 3; ++i)
    EXPECT_TRUE(pgfast::gcra::decide(l, tats, kT0, 1, Mode::all_or_nothing).allowed);
  const auto denied = pgfast::gcra::decide(l, tats, kT0, 1, Mode::all_or_nothing);
  EXPECT_FALSE(denied.allowed);
  EXPECT_EQ(denied.deciding, 0u);  // the per-second limit
  EXPECT_EQ(denied.limit, 3);
  EXPECT_EQ(denied.retry_after.count(), 333334);
  EXPECT_EQ(denied.states[1].remaining, 2);  // the minute limit lost nothing to the denial
  EXPECT_EQ(tats[1], kT0 + 3 * 12000000);
  // After a second, the per-second limit allows but the minute one has 2 left.
  auto d = pgfast::gcra::decide(l, tats, kT0 + 1000002, 1, Mode::all_or_nothing);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.deciding, 1u);
  EXPECT_EQ(d.remaining, 1);
  EXPECT_TRUE(pgfast::gcra::decide(l, tats, kT0 + 1000002, 1, Mode::all_or_nothing).allowed);
  const auto minute = pgfast::gcra::decide(l, tats, kT0 + 1000002, 1, Mode::all_or_nothing);
  EXPECT_FALSE(minute.allowed);
  EXPECT_EQ(minute.deciding, 1u);
  EXPECT_EQ(minute.limit, 5);
  EXPECT_EQ(minute.retry_after.count(), kT0 + 5 * 12000000 - 60000000 + 12000000 - 1000002 - kT0);
}

TEST(LocalRateLimiter, KeysAreIndependentResetAndPrune) {
  pgfast::LocalRateLimiter local(pgfast::parse_limits("2/second"));
  EXPECT_TRUE(local.check("a", 1, Mode::all_or_nothing, kT0).allowed);
  EXPECT_TRUE(local.check("a", 1, Mode::all_or_nothing, kT0).allowed);
  EXPECT_FALSE(local.check("a", 1, Mode::all_or_nothing, kT0).allowed);
  EXPECT_TRUE(local.check("b", 1, Mode::all_or_nothing, kT0).allowed);
  EXPECT_TRUE(local.check("c", 1, Mode::peek, kT0).allowed);  // peek stores nothing
  EXPECT_EQ(local.size(), 2u);
  local.reset("a");
  EXPECT_TRUE(local.check("a", 1, Mode::all_or_nothing, kT0).allowed);
  // Thousands of keys that have all reset are dropped as the map grows.
  for (int i = 0; i < 5000; ++i)
    local.check("k" + std::to_string(i), 1, Mode::all_or_nothing, kT0 + i * 1000000LL);
  EXPECT_LT(local.size(), 2100u);
}

TEST(LocalRateLimiter, ThreadsNeverExceedTheBurst) {
  pgfast::LocalRateLimiter local(pgfast::parse_limits("100/hour"));
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i)
        allowed += local.check("k", 1, Mode::all_or_nothing, kT0).allowed;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(allowed.load(), 100);
}

TEST(RateLimitHeaders, AllowedDeniedIetfAndDisabled) {
  const auto l = limits("5/second;100/minute");
  std::vector<std::int64_t> tats;
  const auto ok = pgfast::gcra::decide(l, tats, kT0, 2, Mode::all_or_nothing);
  auto h = pgfast::headers(ok);
  EXPECT_EQ(header(h, "X-RateLimit-Limit"), "5");
  EXPECT_EQ(header(h, "X-RateLimit-Remaining"), "3");
  EXPECT_EQ(header(h, "X-RateLimit-Reset"), "1");  // 0.4 s, rounded up
  EXPECT_EQ(header(h, "Retry-After"), "<absent>");
  EXPECT_EQ(header(h, "RateLimit"), "<absent>");
  EXPECT_EQ(h.size(), 3u);

  pgfast::gcra::decide(l, tats, kT0, 3, Mode::all_or_nothing);
  const auto denied = pgfast::gcra::decide(l, tats, kT0, 1, Mode::all_or_nothing);
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
  for (int i = 0; i < 5; ++i) pgfast::gcra::decide(hour, t2, kT0, 1, Mode::all_or_nothing);
  h = pgfast::headers(pgfast::gcra::decide(hour, t2, kT0, 1, Mode::all_or_nothing));
  EXPECT_EQ(header(h, "Retry-After"), "720");
  EXPECT_EQ(header(h, "X-RateLimit-Reset"), "3600");

  Decision off;
  off.source = pgfast::DecisionSource::disabled;
  EXPECT_TRUE(pgfast::headers(off).empty());
}

TEST(ClientIdentity, NormalisesAddresses) {
  using pgfast::normalize_ip;  // internal (ip_address.hpp)
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
    EXPECT_THROW(normalize_ip(bad), pgfast::UsageError) << bad;
  }
  EXPECT_THROW(normalize_ip("::1", 129), pgfast::UsageError);
}

TEST(ClientIdentity, UserIdElseIp) {
  EXPECT_EQ(pgfast::rate_limit_identity(std::string("42"), "192.0.2.1"), "user:42");
  EXPECT_EQ(pgfast::rate_limit_identity(std::nullopt, "::ffff:192.0.2.1"), "ip:192.0.2.1");
  EXPECT_EQ(pgfast::rate_limit_identity(std::string(""), "2001:db8::1"), "ip:2001:db8::1");
  EXPECT_THROW(pgfast::rate_limit_identity(std::nullopt, "nobody"), pgfast::UsageError);
}

TEST(RateLimiterOptions, NamedLimitsFromSettings) {
  using pgfast::parse_limits;
  pgfast::Settings s;
  EXPECT_EQ(pgfast::RateLimiterOptions::named("general", s).limits, parse_limits("100/minute"));
  EXPECT_EQ(pgfast::RateLimiterOptions::named("search", s).limits, parse_limits("10/minute"));
  EXPECT_EQ(pgfast::RateLimiterOptions::named("scraping", s).limits, parse_limits("5/minute"));
  EXPECT_EQ(pgfast::RateLimiterOptions::named("network", s).limits, parse_limits("5/hour"));
  EXPECT_EQ(pgfast::RateLimiterOptions::named("network", s).scope, "network");
  EXPECT_EQ(pgfast::RateLimiterOptions{}.limits, parse_limits("100/minute"));
  EXPECT_THROW(pgfast::RateLimiterOptions::named("admin", s), ConfigurationError);
  s = pgfast::Settings::from_env([](const std::string& name) -> std::optional<std::string> {
    if (name == "RATE_LIMIT_PER_MINUTE") return "250";
    if (name == "RATE_LIMIT_ENABLED") return "false";
    return std::nullopt;
  });
  const auto general = pgfast::RateLimiterOptions::from_settings(s);
  EXPECT_EQ(general.limits, parse_limits("250/minute"));
  EXPECT_EQ(general.scope, "general");
  EXPECT_FALSE(general.enabled);
  EXPECT_EQ(pgfast::parse_failure_mode("closed"), pgfast::FailureMode::closed);
  EXPECT_THROW(pgfast::parse_failure_mode("sometimes"), ConfigurationError);
}

namespace {

// A Redis nobody listens on: every call finds it unavailable at once (connection refused).
pgfast::Redis refused_redis() {
  pgfast::RedisOptions ro;
  ro.url = "redis://127.0.0.1:1";
  return pgfast::Redis(ro);
}

}  // namespace

TEST(RateLimiter, BadOptionsAndArgumentsWithoutAServer) {
  pgfast::Redis redis = refused_redis();
  pgfast::RateLimiterOptions o;
  o.limits = {RateLimit{0, 1s}};
  EXPECT_THROW(pgfast::RateLimiter(redis, o), ConfigurationError);
  o.limits = {};
  EXPECT_THROW(pgfast::RateLimiter(redis, o), ConfigurationError);
  o.limits = pgfast::parse_limits("5/second;10/minute burst 3");
  o.scope = "";
  EXPECT_THROW(pgfast::RateLimiter(redis, o), ConfigurationError);
  o.scope = "api";
  o.enabled = false;
  pgfast::RateLimiter limiter(redis, o);
  EXPECT_EQ(limiter.key("user:7"), "rl:api:user:7");
  EXPECT_THROW(limiter.check("user:7", 0), pgfast::UsageError);
  EXPECT_THROW(limiter.allow_at_most("user:7", 0), pgfast::UsageError);
  EXPECT_THROW(limiter.peek("user:7", -1), pgfast::UsageError);
  EXPECT_THROW(limiter.check(""), pgfast::UsageError);
  EXPECT_THROW(limiter.allow_at_most("", 3), pgfast::UsageError);
  // Disabled: allowed, without Redis (a cost above the burst too).
  for (int i = 0; i < 20; ++i) {
    const auto d = limiter.check("user:7", 4);
    EXPECT_TRUE(d.allowed);
    EXPECT_EQ(d.allowed_count, 4);
    EXPECT_EQ(d.source, pgfast::DecisionSource::disabled);
  }
  EXPECT_EQ(limiter.stats().disabled, 20u);
  EXPECT_EQ(redis.stats().connections_created + redis.stats().connect_failures, 0u);
}

TEST(RateLimiter, CopiesShareOneLimiter) {
  pgfast::RateLimiterOptions o;
  o.limits = {RateLimit{3, 1h}};
  pgfast::RateLimiter first(refused_redis(), o);  // failure mode local: the in-process GCRA
  pgfast::RateLimiter copy = first;
  EXPECT_TRUE(first.check("u", 2).allowed);
  const Decision d = copy.check("u", 2);  // the copy sees what the first took
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.source, pgfast::DecisionSource::local);
  EXPECT_EQ(d.remaining, 1);
  EXPECT_EQ(first.stats().local, 2u);
  EXPECT_EQ(copy.stats().denied, 1u);
  EXPECT_EQ(copy.limits(), first.limits());
  EXPECT_EQ(copy.limits().front().burst, 3);  // filled in
}

TEST(RateLimiter, CostAboveTheBurstIsADenialThatNeverPasses) {
  pgfast::RateLimiterOptions o;
  o.limits = pgfast::parse_limits("10/second;5/minute");
  pgfast::RateLimiter limiter(refused_redis(), o);
  for (const Decision& d : {limiter.check("u", 6), limiter.peek("u", 6)}) {
    EXPECT_FALSE(d.allowed);
    EXPECT_EQ(d.allowed_count, 0);
    EXPECT_EQ(d.retry_after, Decision::never);
    EXPECT_EQ(d.deciding, 1u);  // the minute limit, whose burst is 5
    EXPECT_EQ(d.remaining, 5);  // nothing was taken
    EXPECT_EQ(d.source, pgfast::DecisionSource::local);
  }
  EXPECT_TRUE(limiter.check("u", 5).allowed);
}

TEST(RateLimiter, AllowAtMostInTheLocalFailureMode) {
  pgfast::RateLimiterOptions o;
  o.limits = pgfast::parse_limits("5/hour;3/10 seconds");
  pgfast::RateLimiter limiter(refused_redis(), o);
  Decision d = limiter.allow_at_most("u", 10);
  EXPECT_EQ(d.source, pgfast::DecisionSource::local);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.allowed_count, 3);  // the 10 s limit's burst
  EXPECT_EQ(d.remaining, 0);
  d = limiter.allow_at_most("u", 10);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.allowed_count, 0);
  EXPECT_GT(d.retry_after.count(), 0);
  EXPECT_LE(d.retry_after.count(), 3333334);  // one interval (10 s / 3) at most
  EXPECT_EQ(d.states[0].remaining, 2);        // the hour limit lost only the 3
  EXPECT_EQ(limiter.stats().local, 2u);
  EXPECT_EQ(limiter.stats().redis_failures, 2u);
}

TEST(Gcra, SubSecondPeriodFivePer100Ms) {
  const auto l = limits("5/100ms");
  std::vector<std::int64_t> tats;
  for (int i = 0; i < 5; ++i) {
    const auto d = pgfast::gcra::decide(l, tats, kT0, 1, Mode::all_or_nothing);
    EXPECT_TRUE(d.allowed) << i;
    EXPECT_EQ(d.remaining, 4 - i);
    EXPECT_EQ(d.reset_after.count(), 20000 * (i + 1));
  }
  const auto denied = pgfast::gcra::decide(l, tats, kT0 + 5000, 1, Mode::all_or_nothing);
  EXPECT_FALSE(denied.allowed);
  EXPECT_EQ(denied.retry_after.count(), 15000);  // the first slot frees 20 ms after kT0
  EXPECT_EQ(denied.reset_after.count(), 95000);
  EXPECT_TRUE(pgfast::gcra::decide(l, tats, kT0 + 20000, 1, Mode::all_or_nothing).allowed);
  // Over 100 ms of steady requests: at most the burst plus one per 20 ms.
  int allowed = 0;
  for (std::int64_t t = kT0 + 20000; t <= kT0 + 120000; t += 1000) {
    allowed += pgfast::gcra::decide(l, tats, t, 1, Mode::all_or_nothing).allowed;
  }
  EXPECT_EQ(allowed, 5);  // at 40, 60, 80, 100, 120 ms
}

TEST(Gcra, AtMostTakesWhatEveryLimitAllows) {
  const auto l = limits("10/second;4/minute");
  std::vector<std::int64_t> tats;
  auto d = pgfast::gcra::decide(l, tats, kT0, 3, Mode::at_most);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.allowed_count, 3);
  EXPECT_EQ(d.states[0].remaining, 7);
  EXPECT_EQ(d.states[1].remaining, 1);
  d = pgfast::gcra::decide(l, tats, kT0, 5, Mode::at_most);  // only 1 left in the minute
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.allowed_count, 1);
  EXPECT_EQ(d.remaining, 0);
  EXPECT_EQ(d.states[0].remaining, 6);  // the second limit took the same 1
  d = pgfast::gcra::decide(l, tats, kT0, 5, Mode::at_most);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.allowed_count, 0);
  EXPECT_EQ(d.retry_after, 15s);  // one request, the minute limit's interval
  EXPECT_EQ(d.deciding, 1u);
  EXPECT_EQ(tats[1], kT0 + 4 * 15000000);  // the denial took nothing
  // n above every burst is fine: it takes what there is.
  std::vector<std::int64_t> fresh;
  EXPECT_EQ(pgfast::gcra::decide(l, fresh, kT0, 1000, Mode::at_most).allowed_count, 4);
  // All-or-nothing with the same cost would have taken nothing.
  std::vector<std::int64_t> other;
  EXPECT_EQ(pgfast::gcra::decide(l, other, kT0, 5, Mode::all_or_nothing).retry_after,
            Decision::never);
  EXPECT_EQ(other[1], 0);
}

TEST(RateLimitHeaders, SubSecondLimitsAndNeverPassing) {
  const auto l = limits("5/100ms;3/1500ms");
  std::vector<std::int64_t> tats;
  for (int i = 0; i < 3; ++i) pgfast::gcra::decide(l, tats, kT0, 1, Mode::all_or_nothing);
  const auto denied = pgfast::gcra::decide(l, tats, kT0, 1, Mode::all_or_nothing);
  ASSERT_FALSE(denied.allowed);
  EXPECT_EQ(denied.retry_after.count(), 500000);
  pgfast::RateLimitHeaderOptions o;
  o.ietf = true;
  auto h = pgfast::headers(denied, o);
  EXPECT_EQ(header(h, "Retry-After"), "1");  // 0.5 s, rounded up
  EXPECT_EQ(header(h, "RateLimit-Policy"), "\"5/100ms\";q=50;w=1, \"3/1500ms\";q=4;w=2");
  EXPECT_EQ(header(h, "RateLimit"), "\"3/1500ms\";r=0;t=2");

  std::vector<std::int64_t> fresh;
  const auto never = pgfast::gcra::decide(l, fresh, kT0, 4, Mode::all_or_nothing);
  ASSERT_EQ(never.retry_after, Decision::never);
  h = pgfast::headers(never, o);
  EXPECT_EQ(header(h, "Retry-After"), "<absent>");  // retrying cannot help
  EXPECT_EQ(header(h, "X-RateLimit-Limit"), "3");
  EXPECT_EQ(header(h, "X-RateLimit-Remaining"), "3");
  EXPECT_EQ(header(h, "X-RateLimit-Reset"), "0");
}
