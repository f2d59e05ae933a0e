// DatabaseOptions::statement_cache: its default, DATABASE_STATEMENT_CACHE through from_settings,
// and an out-of-range value refused before any connection is opened.
#include <gtest/gtest.h>

#include <string>

#include "pgfast/db/database.hpp"
#include "pgfast/errors.hpp"
#include "pgfast/settings.hpp"

namespace {

using pgfast::DatabaseOptions;
using pgfast::StatementCacheMode;

TEST(StatementCacheMode, DefaultIsAutomaticEverywhere) {
  EXPECT_EQ(DatabaseOptions{}.statement_cache, StatementCacheMode::automatic);
  EXPECT_EQ(pgfast::ConnectionOptions{}.statement_cache, StatementCacheMode::automatic);
  EXPECT_EQ(DatabaseOptions::from_settings(pgfast::Settings{}).statement_cache,
            StatementCacheMode::automatic);
}

TEST(StatementCacheMode, FromSettingsCopiesTheSetting) {
  for (StatementCacheMode mode :
       {StatementCacheMode::automatic, StatementCacheMode::on, StatementCacheMode::off}) {
    pgfast::Settings settings;
    settings.database_statement_cache = mode;
    EXPECT_EQ(DatabaseOptions::from_settings(settings).statement_cache, mode);
  }
}

TEST(StatementCacheMode, AnOutOfRangeValueIsAConfigurationError) {
  DatabaseOptions o;
  o.statement_cache = static_cast<StatementCacheMode>(7);
  try {
    pgfast::Database db(o);
    FAIL() << "no exception";
  } catch (const pgfast::ConfigurationError& e) {
    EXPECT_EQ(std::string(e.what()),
              "pgfast::Database: statement_cache must be automatic, on or off, got 7");
  }
}

}  // namespace
