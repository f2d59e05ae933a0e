// Settings from the environment drive a real Database.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "pgfast/db/database.hpp"
#include "pgfast/errors.hpp"
#include "pgfast/settings.hpp"
#include "test_env.hpp"

namespace {

using pgfast::Database;
using pgfast::Settings;
using pgfast_test::database_url;
using pgfast_test::unique_name;

TEST(SettingsDatabase, PoolSizeFromEnvironmentIsRespected) {
  const std::string app = unique_name("pgfast_settings");
  const std::map<std::string, std::string> env = {
      {"DATABASE_URL", pgfast_test::with_application_name(database_url(), app)},
      {"DATABASE_POOL_SIZE", "2"},
      {"DATABASE_MAX_OVERFLOW", "0"},
      {"DATABASE_POOL_TIMEOUT", "0"},
      {"DATABASE_POOL_PRE_PING", "off"},
  };
  const Settings settings =
      Settings::from_env([&](const std::string& name) -> std::optional<std::string> {
        const auto it = env.find(name);
        if (it == env.end()) return std::nullopt;
        return it->second;
      });
  Database db(settings);
  EXPECT_EQ(db.options().pool_size, 2);
  EXPECT_FALSE(db.options().pre_ping);

  std::vector<pgfast::PooledConnection> leases;
  leases.push_back(db.acquire());
  leases.push_back(db.acquire());
  EXPECT_THROW(db.acquire(), pgfast::PoolTimeoutError);
  EXPECT_EQ(pgfast_test::backends_named(*leases[0], app), 2);
  const pgfast::PoolStats s = db.stats();
  EXPECT_EQ(s.pool_size, 2u);
  EXPECT_EQ(s.max_overflow, 0u);
  EXPECT_EQ(s.open, 2u);
  EXPECT_EQ(s.timeouts, 1u);
}

TEST(SettingsDatabase, ProcessEnvironmentReachesTheServer) {
  const Settings settings = Settings::from_env();
  EXPECT_EQ(settings.database_url, database_url());
  Database db(settings);
  db.query("CREATE EXTENSION IF NOT EXISTS pgfast");
  const pgfast::Result r = db.query("SELECT pgfast.version()");
  EXPECT_EQ(r.get(0, 0).rfind("pgfast ", 0), 0u) << r.get(0, 0);
  EXPECT_EQ(db.stats().created, 1u);
}

}  // namespace
