// Read-replica configuration of a Database (no server: the constructor connects to nothing), the
// classification of a read's failure on a replica, and server names without credentials.
#include <gtest/gtest.h>

#include <string>

#include "db/replica_set.hpp"
#include "pgfast/db/database.hpp"
#include "pgfast/errors.hpp"

namespace {

using namespace std::chrono_literals;
using pgfast::ConfigurationError;
using pgfast::Database;
using pgfast::DatabaseOptions;
using pgfast::detail::classify_replica_failure;
using pgfast::detail::ReplicaFailure;

std::string error_for(const DatabaseOptions& o) {
  try {
    Database db(o);
  } catch (const ConfigurationError& e) {
    return e.what();
  }
  return "";
}

TEST(ReplicaOptions, NoReplicasIsOnlyThePrimary) {
  Database db(DatabaseOptions{});
  const auto servers = db.server_stats();
  ASSERT_EQ(servers.size(), 1u);
  EXPECT_EQ(servers[0].role, pgfast::ServerRole::primary);
  EXPECT_EQ(servers[0].name, "localhost:5432");
}

TEST(ReplicaOptions, EachReplicaIsAServerWithoutCredentials) {
  DatabaseOptions o;
  o.url = "postgresql://app:secret@db-primary:5433/app";
  o.replica_urls = {"postgresql://app:secret@db-r1/app", "host=db-r2 port=6543 password=secret"};
  Database db(o);
  const auto servers = db.server_stats();
  ASSERT_EQ(servers.size(), 3u);
  EXPECT_EQ(servers[0].name, "db-primary:5433");
  EXPECT_EQ(servers[1].name, "db-r1:5432");
  EXPECT_EQ(servers[1].role, pgfast::ServerRole::replica);
  EXPECT_EQ(servers[1].state, pgfast::ServerState::unchecked);
  EXPECT_FALSE(servers[1].lag.has_value());
  EXPECT_EQ(servers[2].name, "db-r2:6543");
  EXPECT_EQ(servers[2].pool.pool_size, 20u);  // the primary's pool settings
}

TEST(ReplicaOptions, BadReplicaSettingsAreConfigurationErrors) {
  DatabaseOptions o;
  o.replica_urls = {"postgresql://r1/db", ""};
  EXPECT_EQ(error_for(o), "pgfast::Database: replica_urls[1] must not be empty");
  o.replica_urls = {"postgresql://r1/db?nonsense=1"};
  EXPECT_NE(error_for(o).find("replica_urls[0] is not a libpq connection string: "),
            std::string::npos)
      << error_for(o);
  EXPECT_NE(error_for(o).find("nonsense"), std::string::npos) << error_for(o);
  o.replica_urls = {"postgresql://r1/db"};
  o.max_replica_lag = -1ms;
  EXPECT_EQ(error_for(o), "pgfast::Database: max_replica_lag must be >= 0 ms, got -1");
  o.max_replica_lag = 0ms;
  o.replica_check_interval = -5ms;
  EXPECT_EQ(error_for(o), "pgfast::Database: replica_check_interval must be >= 0 ms, got -5");
  o.replica_check_interval = 0ms;
  o.replica_retry_after = -1ms;
  EXPECT_EQ(error_for(o), "pgfast::Database: replica_retry_after must be >= 0 ms, got -1");
  o.replica_retry_after = 0ms;
  EXPECT_EQ(error_for(o), "");
}

TEST(ReplicaOptions, FromSettings) {
  pgfast::Settings s;
  s.database_replica_urls = {"postgresql://r1/db", "postgresql://r2/db"};
  s.database_replica_max_lag = 250ms;
  s.database_replica_check_interval = 50ms;
  s.database_replica_retry_after = 2s;
  const DatabaseOptions o = DatabaseOptions::from_settings(s);
  EXPECT_EQ(o.replica_urls, s.database_replica_urls);
  EXPECT_EQ(o.max_replica_lag, 250ms);
  EXPECT_EQ(o.replica_check_interval, 50ms);
  EXPECT_EQ(o.replica_retry_after, 2s);
}

TEST(ReplicaFailureClass, LostConnectionsAndShutdownsMarkDownConflictsGoToThePrimary) {
  EXPECT_EQ(classify_replica_failure("42P01", true), ReplicaFailure::down);
  EXPECT_EQ(classify_replica_failure("08006", false), ReplicaFailure::down);
  EXPECT_EQ(classify_replica_failure("08001", false), ReplicaFailure::down);
  EXPECT_EQ(classify_replica_failure("57P01", false), ReplicaFailure::down);
  EXPECT_EQ(classify_replica_failure("57P03", false), ReplicaFailure::down);
  EXPECT_EQ(classify_replica_failure("40001", false), ReplicaFailure::conflict);
  EXPECT_EQ(classify_replica_failure("40P01", false), ReplicaFailure::conflict);
  // The caller's own errors, and a write on a standby (25006), are not the replica's failure.
  EXPECT_EQ(classify_replica_failure("42P01", false), ReplicaFailure::none);
  EXPECT_EQ(classify_replica_failure("25006", false), ReplicaFailure::none);
  EXPECT_EQ(classify_replica_failure("57014", false), ReplicaFailure::none);
}

}  // namespace
