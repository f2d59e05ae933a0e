// RedisEndpoint::parse / RedisOptions: redis:// URLs, strictly.
#include <gtest/gtest.h>

#include <string>

#include "pgfast/errors.hpp"
#include "pgfast/redis/redis.hpp"
#include "pgfast/settings.hpp"

using pgfast::ConfigurationError;
using pgfast::RedisEndpoint;

namespace {

std::string error_of(const std::string& url) {
  try {
    RedisEndpoint::parse(url);
  } catch (const ConfigurationError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error for " << url;
  return {};
}

}  // namespace

TEST(RedisUrl, HostOnlyTakesDefaults) {
  const auto e = RedisEndpoint::parse("redis://cache.internal");
  EXPECT_EQ(e.host, "cache.internal");
  EXPECT_EQ(e.port, 6379);
  EXPECT_EQ(e.db, 0);
  EXPECT_TRUE(e.username.empty());
  EXPECT_TRUE(e.password.empty());
}

TEST(RedisUrl, HostPortDb) {
  const auto e = RedisEndpoint::parse("redis://127.0.0.1:16379/3");
  EXPECT_EQ(e.host, "127.0.0.1");
  EXPECT_EQ(e.port, 16379);
  EXPECT_EQ(e.db, 3);
}

TEST(RedisUrl, TrailingSlashIsDbZero) {
  EXPECT_EQ(RedisEndpoint::parse("redis://h:1/").db, 0);
}

TEST(RedisUrl, PasswordOnly) {
  const auto e = RedisEndpoint::parse("redis://:s3cret@localhost:6380/1");
  EXPECT_EQ(e.username, "");
  EXPECT_EQ(e.password, "s3cret");
  EXPECT_EQ(e.port, 6380);
  EXPECT_EQ(e.db, 1);
}

TEST(RedisUrl, UserAndPercentEncodedPassword) {
  const auto e = RedisEndpoint::parse("redis://app%2Dro:p%40ss%3Aw0rd@host");
  EXPECT_EQ(e.username, "app-ro");
  EXPECT_EQ(e.password, "p@ss:w0rd");
  EXPECT_EQ(e.host, "host");
}

TEST(RedisUrl, PasswordMayContainAt) {
  // The last '@' ends the user information.
  const auto e = RedisEndpoint::parse("redis://:a@b@host:7/2");
  EXPECT_EQ(e.password, "a@b");
  EXPECT_EQ(e.host, "host");
}

TEST(RedisUrl, Ipv6Host) {
  const auto e = RedisEndpoint::parse("redis://[::1]:6390/5");
  EXPECT_EQ(e.host, "::1");
  EXPECT_EQ(e.port, 6390);
  EXPECT_EQ(e.db, 5);
  EXPECT_EQ(RedisEndpoint::parse("redis://[fe80::1:2]").port, 6379);
}

TEST(RedisUrl, Errors) {
  EXPECT_NE(error_of("http://localhost").find("scheme"), std::string::npos);
  EXPECT_NE(error_of("rediss://localhost").find("TLS"), std::string::npos);
  EXPECT_NE(error_of("redis://").find("missing host"), std::string::npos);
  EXPECT_NE(error_of("redis://:6379").find("missing host"), std::string::npos);
  EXPECT_NE(error_of("redis://h:0").find("port"), std::string::npos);
  EXPECT_NE(error_of("redis://h:65536").find("port"), std::string::npos);
  EXPECT_NE(error_of("redis://h:12x").find("port"), std::string::npos);
  EXPECT_NE(error_of("redis://h:").find("port"), std::string::npos);
  EXPECT_NE(error_of("redis://h/x").find("database"), std::string::npos);
  EXPECT_NE(error_of("redis://h/-1").find("database"), std::string::npos);
  EXPECT_NE(error_of("redis://h/1/2").find("database"), std::string::npos);
  EXPECT_NE(error_of("redis://::1:6379").find("brackets"), std::string::npos);
  EXPECT_NE(error_of("redis://[::1").find("unterminated"), std::string::npos);
  EXPECT_NE(error_of("redis://[::1]x").find("IPv6"), std::string::npos);
  EXPECT_NE(error_of("redis://h?db=1").find("query"), std::string::npos);
  EXPECT_NE(error_of("redis://pw@h").find("without ':'"), std::string::npos);
  EXPECT_NE(error_of("redis://:%zz@h").find("%-escape"), std::string::npos);
  EXPECT_NE(error_of("redis://:%4@h").find("%-escape"), std::string::npos);
  EXPECT_NE(error_of("redis://ho st").find("invalid character"), std::string::npos);
}

TEST(RedisUrl, ErrorNeverShowsThePassword) {
  const std::string message = error_of("redis://user:hunter2@h:99999");
  EXPECT_EQ(message.find("hunter2"), std::string::npos) << message;
  EXPECT_NE(message.find("***"), std::string::npos) << message;
}

TEST(RedisOptions, FromSettings) {
  pgfast::Settings s;
  s.redis_url = "redis://:pw@10.0.0.5:6400/2";
  s.redis_max_connections = 7;
  const auto o = pgfast::RedisOptions::from_settings(s);
  EXPECT_EQ(o.url, s.redis_url);
  EXPECT_EQ(o.max_connections, 7);
  EXPECT_EQ(o.endpoint().host, "10.0.0.5");
  EXPECT_EQ(o.endpoint().db, 2);
}

TEST(RedisOptions, FromSettingsNamesTheVariable) {
  pgfast::Settings s;
  s.redis_url = "redis://h:bad";
  try {
    pgfast::RedisOptions::from_settings(s);
    FAIL() << "no error";
  } catch (const ConfigurationError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("REDIS_URL:", 0), 0u) << e.what();
  }
}

TEST(RedisOptions, PoolRejectsBadOptionsWithoutConnecting) {
  pgfast::RedisOptions o;
  o.max_connections = 0;
  EXPECT_THROW(pgfast::Redis{o}, ConfigurationError);
  o.max_connections = 1;
  o.url = "redis://h:0";
  EXPECT_THROW(pgfast::Redis{o}, ConfigurationError);
  o.url = "redis://h";
  o.command_timeout = std::chrono::milliseconds(-1);
  EXPECT_THROW(pgfast::Redis{o}, ConfigurationError);
}

TEST(RedisReply, AccessorsAndTypeErrors) {
  using pgfast::RedisReply;
  const auto arr = RedisReply::make_array({RedisReply::make_integer(3),
                                           RedisReply::make_string(std::string("a\0b", 3)),
                                           RedisReply::make_nil(), RedisReply::make_status("OK")});
  ASSERT_TRUE(arr.is_array());
  EXPECT_EQ(arr.size(), 4u);
  EXPECT_EQ(arr[0].integer(), 3);
  EXPECT_EQ(arr[1].str(), std::string("a\0b", 3));
  EXPECT_TRUE(arr[2].is_nil());
  EXPECT_EQ(arr[3].str(), "OK");
  EXPECT_THROW(arr[0].str(), pgfast::RedisError);
  EXPECT_THROW(arr[1].integer(), pgfast::RedisError);
  EXPECT_THROW(arr[2].elements(), pgfast::RedisError);
  EXPECT_THROW(arr[9], pgfast::OutOfRangeError);  // a ClientError, not std::out_of_range
  EXPECT_EQ(arr.debug_string(), "[(integer) 3, \"a" + std::string(1, '\0') + "b\", (nil), OK]");
}

TEST(RedisReply, ErrorReplyCarriesItsCode) {
  const auto err = pgfast::RedisReply::make_error("NOSCRIPT No matching script. Use EVAL.");
  try {
    err.throw_if_error();
    FAIL() << "no throw";
  } catch (const pgfast::RedisReplyError& e) {
    EXPECT_EQ(e.code(), "NOSCRIPT");
    EXPECT_EQ(std::string(e.what()), "NOSCRIPT No matching script. Use EVAL.");
  }
  const auto ok = pgfast::RedisReply::make_integer(1);
  EXPECT_NO_THROW(ok.throw_if_error());
}
