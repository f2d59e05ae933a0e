// pgfast::Settings::from_env: defaults, every variable, strict parsing and the error messages.
#include "pgfast/settings.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "pgfast/errors.hpp"
#include "pgfast/redis/redis_options.hpp"

namespace {

using pgfast::ConfigurationError;
using pgfast::Settings;
using Env = std::map<std::string, std::string>;

Settings load(const Env& env) {
  return Settings::from_env([&env](const std::string& name) -> std::optional<std::string> {
    const auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  });
}

// The ConfigurationError message for `env`, or "" if none was thrown.
std::string error_for(const Env& env) {
  try {
    load(env);
  } catch (const ConfigurationError& e) {
    return e.what();
  }
  return "";
}

TEST(Settings, DefaultsWhenNothingIsSet) {
  const Settings s = load({});
  EXPECT_EQ(s.database_url, "postgresql://localhost/postgres");
  EXPECT_EQ(s.database_pool_size, 20);
  EXPECT_EQ(s.database_max_overflow, 10);
  EXPECT_EQ(s.database_pool_recycle, std::chrono::seconds(3600));
  EXPECT_TRUE(s.database_pool_pre_ping);
  EXPECT_EQ(s.database_acquire_timeout, std::chrono::seconds(30));
  EXPECT_EQ(s.database_statement_cache, pgfast::StatementCacheMode::automatic);
  EXPECT_EQ(s.redis_url, "redis://localhost:6379/0");
  EXPECT_EQ(s.redis_max_connections, 50);
  EXPECT_TRUE(s.cache_enabled);
  EXPECT_EQ(s.cache_default_ttl, std::chrono::seconds(3600));
  EXPECT_TRUE(s.rate_limit_enabled);
  EXPECT_EQ(s.rate_limit_per_minute, 100);
  EXPECT_EQ(s.bulk_insert_chunk_size, 1000);
  EXPECT_EQ(s.pagination_default_per_page, 50);
  EXPECT_EQ(s.pagination_max_per_page, 500);
  EXPECT_TRUE(s.database_replica_urls.empty());
  EXPECT_EQ(s.database_replica_max_lag, std::chrono::milliseconds(1000));
  EXPECT_EQ(s.database_replica_check_interval, std::chrono::milliseconds(250));
  EXPECT_EQ(s.database_replica_retry_after, std::chrono::milliseconds(5000));
}

TEST(Settings, ReplicaUrlsAreSplitBeforeEachScheme) {
  using V = std::vector<std::string>;
  EXPECT_EQ(load({{"DATABASE_REPLICA_URLS", "postgresql://r1/db"}}).database_replica_urls,
            V{"postgresql://r1/db"});
  EXPECT_EQ(load({{"DATABASE_REPLICA_URLS", "postgresql://r1/db,postgres://u:p@r2:5433/db"}})
                .database_replica_urls,
            (V{"postgresql://r1/db", "postgres://u:p@r2:5433/db"}));
  // A multi-host URI keeps its commas; spaces around the items are dropped.
  EXPECT_EQ(load({{"DATABASE_REPLICA_URLS",
                   "postgresql://a:5432,b:5432/db?target_session_attrs=any , postgresql://c/db"}})
                .database_replica_urls,
            (V{"postgresql://a:5432,b:5432/db?target_session_attrs=any", "postgresql://c/db"}));
}

TEST(Settings, ReplicaSettingsAreStrict) {
  const std::string expected = "DATABASE_REPLICA_URLS: expected comma-separated postgresql:// URIs";
  for (const char* bad : {"", ",", "postgresql://r1/db,", ",postgresql://r1/db", "host=r1",
                          "postgresql://r1/db,,postgresql://r2/db", "http://r1"}) {
    EXPECT_EQ(error_for({{"DATABASE_REPLICA_URLS", bad}}).rfind(expected, 0), 0u) << bad;
  }
  EXPECT_EQ(error_for({{"DATABASE_REPLICA_URLS", "host=r1"}}), expected + ", got \"host=r1\"");
  EXPECT_EQ(load({{"DATABASE_REPLICA_MAX_LAG_MS", "0"}}).database_replica_max_lag,
            std::chrono::milliseconds(0));
  EXPECT_EQ(load({{"DATABASE_REPLICA_CHECK_MS", "20"}, {"DATABASE_REPLICA_RETRY_MS", "300"}})
                .database_replica_retry_after,
            std::chrono::milliseconds(300));
  for (const char* name :
       {"DATABASE_REPLICA_MAX_LAG_MS", "DATABASE_REPLICA_CHECK_MS", "DATABASE_REPLICA_RETRY_MS"}) {
    EXPECT_EQ(error_for({{name, "-1"}}), std::string(name) +
                                             ": expected a non-negative integer number of "
                                             "milliseconds, got \"-1\"");
    EXPECT_NE(error_for({{name, "1s"}}), "") << name;
  }
}

TEST(Settings, DefaultConstructedEqualsEmptyEnvironment) {
  const Settings a;
  const Settings b = load({});
  EXPECT_EQ(a.database_url, b.database_url);
  EXPECT_EQ(a.database_pool_size, b.database_pool_size);
  EXPECT_EQ(a.pagination_max_per_page, b.pagination_max_per_page);
}

TEST(Settings, ReadsEveryVariable) {
  const Settings s = load({
      {"DATABASE_URL", "postgresql://app@db.example:5433/research"},
      {"DATABASE_POOL_SIZE", "7"},
      {"DATABASE_MAX_OVERFLOW", "0"},
      {"DATABASE_POOL_RECYCLE", "-1"},
      {"DATABASE_POOL_PRE_PING", "false"},
      {"DATABASE_POOL_TIMEOUT", "5"},
      {"REDIS_URL", "redis://:secret@cache:6380/2"},
      {"REDIS_MAX_CONNECTIONS", "3"},
      {"CACHE_ENABLED", "off"},
      {"CACHE_DEFAULT_TTL", "0"},
      {"RATE_LIMIT_ENABLED", "no"},
      {"RATE_LIMIT_PER_MINUTE", "1"},
      {"BULK_INSERT_CHUNK_SIZE", "5000"},
      {"PAGINATION_DEFAULT_PER_PAGE", "25"},
      {"PAGINATION_MAX_PER_PAGE", "25"},
  });
  EXPECT_EQ(s.database_url, "postgresql://app@db.example:5433/research");
  EXPECT_EQ(s.database_pool_size, 7);
  EXPECT_EQ(s.database_max_overflow, 0);
  EXPECT_EQ(s.database_pool_recycle, std::chrono::seconds(-1));
  EXPECT_FALSE(s.database_pool_pre_ping);
  EXPECT_EQ(s.database_acquire_timeout, std::chrono::seconds(5));
  EXPECT_EQ(s.redis_url, "redis://:secret@cache:6380/2");
  EXPECT_EQ(s.redis_max_connections, 3);
  EXPECT_FALSE(s.cache_enabled);
  EXPECT_EQ(s.cache_default_ttl, std::chrono::seconds(0));
  EXPECT_FALSE(s.rate_limit_enabled);
  EXPECT_EQ(s.rate_limit_per_minute, 1);
  EXPECT_EQ(s.bulk_insert_chunk_size, 5000);
  EXPECT_EQ(s.pagination_default_per_page, 25);
  EXPECT_EQ(s.pagination_max_per_page, 25);
}

TEST(Settings, RejectsNonNumericPoolSizeNamingVariableAndValue) {
  try {
    load({{"DATABASE_POOL_SIZE", "abc"}});
    FAIL() << "DATABASE_POOL_SIZE=abc was accepted";
  } catch (const ConfigurationError& e) {
    EXPECT_STREQ(e.what(), "DATABASE_POOL_SIZE: expected a positive integer, got \"abc\"");
  }
}

TEST(Settings, ConfigurationErrorIsAClientError) {
  EXPECT_THROW(load({{"DATABASE_POOL_SIZE", "abc"}}), pgfast::ClientError);
}

TEST(Settings, IntegersMustBeTheWholeString) {
  for (const char* bad : {"", " 5", "5 ", "5\n", "+5", "5x", "0x10", "1e3", "2.0", "-", "--1"}) {
    const std::string message = error_for({{"BULK_INSERT_CHUNK_SIZE", bad}});
    EXPECT_NE(message.find("BULK_INSERT_CHUNK_SIZE"), std::string::npos) << "value: " << bad;
  }
}

TEST(Settings, QuotesInvisibleCharactersInMessages) {
  EXPECT_EQ(error_for({{"REDIS_MAX_CONNECTIONS", "5\n"}}),
            "REDIS_MAX_CONNECTIONS: expected a positive integer, got \"5\\x0a\"");
  EXPECT_EQ(error_for({{"REDIS_MAX_CONNECTIONS", "a\"b"}}),
            "REDIS_MAX_CONNECTIONS: expected a positive integer, got \"a\\\"b\"");
}

TEST(Settings, EnforcesRanges) {
  EXPECT_NE(error_for({{"DATABASE_POOL_SIZE", "0"}}), "");
  EXPECT_NE(error_for({{"DATABASE_POOL_SIZE", "-3"}}), "");
  EXPECT_EQ(load({{"DATABASE_POOL_SIZE", "1"}}).database_pool_size, 1);
  EXPECT_NE(error_for({{"DATABASE_MAX_OVERFLOW", "-1"}}), "");
  EXPECT_EQ(load({{"DATABASE_MAX_OVERFLOW", "0"}}).database_max_overflow, 0);
  EXPECT_NE(error_for({{"DATABASE_POOL_RECYCLE", "-2"}}), "");
  EXPECT_EQ(load({{"DATABASE_POOL_RECYCLE", "0"}}).database_pool_recycle.count(), 0);
  EXPECT_NE(error_for({{"DATABASE_POOL_TIMEOUT", "-1"}}), "");
  EXPECT_EQ(load({{"DATABASE_POOL_TIMEOUT", "0"}}).database_acquire_timeout.count(), 0);
  EXPECT_NE(error_for({{"CACHE_DEFAULT_TTL", "-1"}}), "");
  EXPECT_NE(error_for({{"REDIS_MAX_CONNECTIONS", "0"}}), "");
  EXPECT_NE(error_for({{"RATE_LIMIT_PER_MINUTE", "0"}}), "");
  EXPECT_NE(error_for({{"BULK_INSERT_CHUNK_SIZE", "0"}}), "");
  EXPECT_NE(error_for({{"PAGINATION_DEFAULT_PER_PAGE", "0"}}), "");
  EXPECT_NE(error_for({{"PAGINATION_MAX_PER_PAGE", "0"}}), "");
}

TEST(Settings, RejectsValuesTooLargeForTheField) {
  const std::string message = error_for({{"RATE_LIMIT_PER_MINUTE", "2147483648"}});
  EXPECT_NE(message.find("RATE_LIMIT_PER_MINUTE"), std::string::npos) << message;
  EXPECT_NE(message.find("2147483647"), std::string::npos) << message;
  EXPECT_NE(error_for({{"DATABASE_POOL_SIZE", "99999999999999999999999"}}), "");
  EXPECT_NE(error_for({{"DATABASE_POOL_SIZE", "1000001"}}), "");
  EXPECT_EQ(load({{"RATE_LIMIT_PER_MINUTE", "2147483647"}}).rate_limit_per_minute, 2147483647);
}

TEST(Settings, MaxPerPageMustNotBeBelowDefaultPerPage) {
  const std::string message =
      error_for({{"PAGINATION_DEFAULT_PER_PAGE", "100"}, {"PAGINATION_MAX_PER_PAGE", "10"}});
  EXPECT_EQ(message,
            "PAGINATION_MAX_PER_PAGE: expected an integer >= PAGINATION_DEFAULT_PER_PAGE (100), "
            "got \"10\"");
  // The default maximum (500) also applies against a raised default.
  EXPECT_NE(error_for({{"PAGINATION_DEFAULT_PER_PAGE", "600"}}), "");
}

TEST(Settings, BooleansAcceptCommonSpellingsInAnyCase) {
  for (const char* yes : {"true", "TRUE", "True", "1", "yes", "YES", "on", "On"}) {
    EXPECT_TRUE(load({{"CACHE_ENABLED", "false"}, {"RATE_LIMIT_ENABLED", yes}}).rate_limit_enabled)
        << yes;
  }
  for (const char* no : {"false", "FALSE", "0", "no", "No", "off", "OFF"}) {
    EXPECT_FALSE(load({{"DATABASE_POOL_PRE_PING", no}}).database_pool_pre_ping) << no;
  }
}

TEST(Settings, RejectsOtherBooleans) {
  for (const char* bad : {"", "2", "t", "y", "enabled", " true", "true "}) {
    const std::string message = error_for({{"CACHE_ENABLED", bad}});
    EXPECT_EQ(message.rfind("CACHE_ENABLED: expected a boolean", 0), 0u)
        << "value \"" << bad << "\" gave: " << message;
  }
}

TEST(Settings, StatementCacheIsAutoOnOrOffInAnyCase) {
  using pgfast::StatementCacheMode;
  for (const char* value : {"auto", "AUTO", "Auto"}) {
    EXPECT_EQ(load({{"DATABASE_STATEMENT_CACHE", value}}).database_statement_cache,
              StatementCacheMode::automatic)
        << value;
  }
  for (const char* value : {"on", "ON"}) {
    EXPECT_EQ(load({{"DATABASE_STATEMENT_CACHE", value}}).database_statement_cache,
              StatementCacheMode::on)
        << value;
  }
  for (const char* value : {"off", "Off"}) {
    EXPECT_EQ(load({{"DATABASE_STATEMENT_CACHE", value}}).database_statement_cache,
              StatementCacheMode::off)
        << value;
  }
}

TEST(Settings, RejectsOtherStatementCacheValues) {
  for (const char* bad : {"automatic", "true", "1", "none", " on", "off "}) {
    EXPECT_EQ(
        error_for({{"DATABASE_STATEMENT_CACHE", bad}}),
        std::string("DATABASE_STATEMENT_CACHE: expected auto, on or off, got \"") + bad + "\"")
        << bad;
  }
}

TEST(Settings, EmptyValuesAreErrorsNotDefaults) {
  for (const char* name :
       {"DATABASE_URL", "DATABASE_POOL_SIZE", "DATABASE_MAX_OVERFLOW", "DATABASE_POOL_RECYCLE",
        "DATABASE_POOL_PRE_PING", "DATABASE_POOL_TIMEOUT", "DATABASE_STATEMENT_CACHE", "REDIS_URL",
        "REDIS_MAX_CONNECTIONS", "CACHE_ENABLED", "CACHE_DEFAULT_TTL", "RATE_LIMIT_ENABLED",
        "RATE_LIMIT_PER_MINUTE", "BULK_INSERT_CHUNK_SIZE", "PAGINATION_DEFAULT_PER_PAGE",
        "PAGINATION_MAX_PER_PAGE"}) {
    const std::string message = error_for({{name, ""}});
    EXPECT_EQ(message.rfind(std::string(name) + ": expected ", 0), 0u) << message;
    EXPECT_NE(message.find("got \"\""), std::string::npos) << message;
  }
}

TEST(Settings, FromProcessEnvironmentUsesGetenv) {
  // A variable this test owns; restored afterwards.
  const char* old = std::getenv("BULK_INSERT_CHUNK_SIZE");
  const std::string saved = old == nullptr ? "" : old;
  ::setenv("BULK_INSERT_CHUNK_SIZE", "1234", 1);
  const Settings s = Settings::from_env();
  if (old == nullptr) {
    ::unsetenv("BULK_INSERT_CHUNK_SIZE");
  } else {
    ::setenv("BULK_INSERT_CHUNK_SIZE", saved.c_str(), 1);
  }
  EXPECT_EQ(s.bulk_insert_chunk_size, 1234);
}

}  // namespace

TEST(Settings, RedisClusterNodesAreACommaSeparatedList) {
  EXPECT_TRUE(load({}).redis_cluster_nodes.empty());  // single-node mode by default
  const Settings s = load({{"REDIS_CLUSTER_NODES", "redis://a:7000, redis://b:7001,redis://c:7002"},
                           {"REDIS_CLUSTER_READ_FROM_REPLICAS", "yes"}});
  EXPECT_EQ(s.redis_cluster_nodes,
            (std::vector<std::string>{"redis://a:7000", "redis://b:7001", "redis://c:7002"}));
  EXPECT_TRUE(s.redis_cluster_read_from_replicas);
  EXPECT_EQ(error_for({{"REDIS_CLUSTER_NODES", "redis://a:7000,,redis://b:7001"}}),
            "REDIS_CLUSTER_NODES: expected a comma-separated list of non-empty items, got "
            "\"redis://a:7000,,redis://b:7001\"");
  EXPECT_EQ(error_for({{"REDIS_CLUSTER_NODES", ""}}),
            "REDIS_CLUSTER_NODES: expected a comma-separated list of non-empty items, got \"\"");
  // RedisOptions::from_settings validates every URL and names the one that is wrong.
  Settings bad = load({{"REDIS_CLUSTER_NODES", "redis://a:7000,http://b"}});
  try {
    pgfast::RedisOptions::from_settings(bad);
    FAIL() << "a bad seed URL was accepted";
  } catch (const ConfigurationError& e) {
    EXPECT_NE(std::string(e.what()).find("REDIS_CLUSTER_NODES[1]"), std::string::npos) << e.what();
  }
  EXPECT_EQ(pgfast::RedisOptions::from_settings(s).cluster_nodes, s.redis_cluster_nodes);
}
