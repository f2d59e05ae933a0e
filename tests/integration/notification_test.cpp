// Connection::listen / unlisten / wait_for_notification against the real server, with a second
// connection sending NOTIFY.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include "pgfast/db/connection.hpp"
#include "pgfast/db/database.hpp"
#include "pgfast/errors.hpp"
#include "pgfast/db/transaction.hpp"
#include "test_env.hpp"

namespace {

using namespace std::chrono_literals;
using pgfast::Notification;

class NotificationTest : public ::testing::Test {
 protected:
  NotificationTest()
      : listener_(pgfast_test::database_url()), sender_(pgfast_test::database_url()) {}

  void notify(const std::string& channel, const std::string& payload) {
    sender_.execute("SELECT pg_notify($1, $2)", pgfast::params(channel, payload));
  }

  pgfast::Connection listener_;
  pgfast::Connection sender_;
};

TEST_F(NotificationTest, ReceivesChannelPayloadAndSenderPid) {
  const std::string channel = pgfast_test::unique_name("chan");
  listener_.listen(channel);
  const std::string payload = "exact: 'quotes' \"double\" \\ back, ünïcode, trailing space ";
  notify(channel, payload);
  const std::optional<Notification> n = listener_.wait_for_notification(30s);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->channel, channel);
  EXPECT_EQ(n->payload, payload);
  EXPECT_EQ(n->backend_pid, sender_.backend_pid());
  // Nothing else is pending.
  EXPECT_EQ(listener_.wait_for_notification(0ms), std::nullopt);
}

TEST_F(NotificationTest, ChannelIsAQuotedIdentifier) {
  // Mixed case, spaces and a quote: sent exactly, not folded to lower case or injected.
  const std::string channel = "Mixed Case \"quoted\"; DROP TABLE x";
  listener_.listen(channel);
  notify("mixed case \"quoted\"; drop table x", "folded");  // another channel
  notify(channel, "exact");
  const std::optional<Notification> n = listener_.wait_for_notification(30s);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->channel, channel);
  EXPECT_EQ(n->payload, "exact");
  EXPECT_THROW(listener_.listen(""), pgfast::UsageError);
}

TEST_F(NotificationTest, WakesWhenANotificationArrivesDuringTheWait) {
  const std::string channel = pgfast_test::unique_name("chan");
  listener_.listen(channel);
  // The sender notifies once the listener's backend is idle (the listener is in, or about to
  // enter, the wait); the wait returns with it whichever comes first.
  std::thread sender([&] {
    pgfast::Connection observer(pgfast_test::database_url());
    pgfast_test::eventually([&] {
      return observer
          .execute("SELECT state = 'idle' FROM pg_stat_activity WHERE pid = $1",
                   pgfast::params(listener_.backend_pid()))
          .as<bool>(0, 0);
    });
    notify(channel, "late");
  });
  const std::optional<Notification> n = listener_.wait_for_notification(60s);
  sender.join();
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->payload, "late");
}

TEST_F(NotificationTest, NotificationsReceivedDuringOtherStatementsAreKept) {
  const std::string channel = pgfast_test::unique_name("chan");
  listener_.listen(channel);
  notify(channel, "one");
  notify(channel, "two");
  // The listener runs a statement of its own; libpq buffers the notifications that arrive.
  listener_.execute("SELECT pg_sleep(0)");
  std::optional<Notification> n = listener_.wait_for_notification(30s);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->payload, "one");
  n = listener_.wait_for_notification(30s);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->payload, "two");
}

TEST_F(NotificationTest, TimeoutReturnsNulloptAfterTheTimeout) {
  const std::string channel = pgfast_test::unique_name("chan");
  listener_.listen(channel);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(listener_.wait_for_notification(50ms), std::nullopt);
  // Never early (steady clock, monotonic); the upper side is only a hang guard.
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, 50ms);
  EXPECT_LT(waited, 30s);
}

TEST_F(NotificationTest, UnlistenStopsDeliveryAndListenInATransactionStartsAtCommit) {
  const std::string channel = pgfast_test::unique_name("chan");
  listener_.listen(channel);
  listener_.unlisten(channel);
  notify(channel, "after unlisten");
  {
    pgfast::Transaction tx(listener_);
    listener_.listen(channel);
    tx.commit();
  }
  notify(channel, "after listen");
  std::optional<Notification> n = listener_.wait_for_notification(30s);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->payload, "after listen");
  listener_.unlisten_all();
  notify(channel, "after unlisten all");
  // Delivery is asynchronous, so "not delivered" is shown with a marker the same sender sends on a
  // channel listened to afterwards: it would arrive after the unlistened one, never before.
  const std::string marker = pgfast_test::unique_name("marker");
  listener_.listen(marker);
  notify(marker, "marker");
  n = listener_.wait_for_notification(30s);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->channel, marker);
}

TEST_F(NotificationTest, PooledConnectionGivenBackStopsListening) {
  pgfast::Database db(pgfast_test::pool_options(pgfast_test::unique_name("listen"), 1, 0));
  const std::string channel = pgfast_test::unique_name("chan");
  int pid = 0;
  {
    pgfast::PooledConnection c = db.acquire();
    pid = c->backend_pid();
    c->listen(channel);
    EXPECT_TRUE(c->listening());
  }
  pgfast::PooledConnection c = db.acquire();
  ASSERT_EQ(c->backend_pid(), pid);  // the same session came back
  EXPECT_FALSE(c->listening());
  EXPECT_EQ(c->execute("SELECT count(*) FROM pg_listening_channels()").as<int>(0, 0), 0);
  // A marker sent after the old channel arrives first: nothing of the old channel was queued.
  const std::string marker = pgfast_test::unique_name("marker");
  c->listen(marker);
  notify(channel, "stale");
  notify(marker, "marker");
  const std::optional<Notification> n = c->wait_for_notification(30s);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->channel, marker);
}

TEST_F(NotificationTest, PooledConnectionListeningInsideATransactionIsClosed) {
  pgfast::Database db(pgfast_test::pool_options(pgfast_test::unique_name("listen"), 1, 0));
  int pid = 0;
  {
    pgfast::PooledConnection c = db.acquire();
    pid = c->backend_pid();
    c->execute("BEGIN");
    c->listen(pgfast_test::unique_name("chan"));
  }
  EXPECT_NE(db.acquire()->backend_pid(), pid);
}

}  // namespace
