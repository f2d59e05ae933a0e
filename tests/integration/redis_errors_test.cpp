// Which RedisError subclass each real failure raises: RedisTimeoutError (connect, command, pool
// wait), RedisConnectionRefusedError (nothing listening, AUTH/SELECT refused),
// RedisConnectionClosedError (connection killed mid-command), RedisReplyError (error reply). The
// first three are RedisUnavailableErrors; all are RedisErrors.
#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <exception>
#include <stdexcept>
#include <string>
#include <thread>
#include <typeinfo>
#include <vector>

#include "pgfast/errors.hpp"
#include "pgfast/redis/redis.hpp"
#include "redis_server.hpp"
#include "test_env.hpp"

namespace {

using pgfast::Redis;
using pgfast::RedisOptions;
using pgfast_test::redis_options;
using pgfast_test::redis_url;
using pgfast_test::RedisServer;
using std::chrono::milliseconds;

std::string key(const std::string& name) {
  return pgfast_test::unique_name("redis_errors_it") + ":" + name;
}

// Runs call(), which must throw exactly E; checks that E is caught as RedisError (and as
// RedisUnavailableError unless it is a reply error), that what() is one line, and returns it.
template <class E, class F>
std::string expect_redis_error(F&& call) {
  try {
    call();
    ADD_FAILURE() << "no exception; expected " << typeid(E).name();
  } catch (const pgfast::RedisError& e) {
    EXPECT_EQ(typeid(e), typeid(E)) << e.what();
    const bool unavailable = dynamic_cast<const pgfast::RedisUnavailableError*>(&e) != nullptr;
    EXPECT_EQ(unavailable, typeid(E) != typeid(pgfast::RedisReplyError)) << e.what();
    const std::string what = e.what();
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    return what;
  }
  return {};
}

// A loopback listener whose accept queue is full: further connects get no SYN-ACK and time out.
class BlackHoleListener {
 public:
  BlackHoleListener() {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) != 0 ||
        ::listen(listener_, 0) != 0) {
      throw std::runtime_error("BlackHoleListener: cannot listen");
    }
    port_ = ntohs(addr.sin_port);
    // Connect (never accept) until one connect is left hanging: the queue is then full.
    for (int i = 0; i < 16; ++i) {
      const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      ::fcntl(fd, F_SETFL, O_NONBLOCK);
      fillers_.push_back(fd);
      if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) continue;
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, 500) == 0) return;  // no handshake within 500 ms: full
    }
    throw std::runtime_error("BlackHoleListener: the accept queue never filled");
  }
  ~BlackHoleListener() {
    for (int fd : fillers_) ::close(fd);
    ::close(listener_);
  }
  BlackHoleListener(const BlackHoleListener&) = delete;
  BlackHoleListener& operator=(const BlackHoleListener&) = delete;

  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_) + "/0"; }

 private:
  int listener_ = -1;
  int port_ = 0;
  std::vector<int> fillers_;
};

TEST(RedisErrors, ErrorReplyIsAReplyErrorAndTheConnectionStaysUsable) {
  Redis redis(redis_options(redis_url(), 1));
  const std::string what =
      expect_redis_error<pgfast::RedisReplyError>([&] { redis.command({"NO_SUCH_COMMAND_XYZ"}); });
  EXPECT_NE(what.find("NO_SUCH_COMMAND_XYZ"), std::string::npos) << what;
  const std::string k = key("list");
  redis.command({"RPUSH", k, "x"});
  try {
    redis.command({"INCR", k});
    FAIL() << "no exception";
  } catch (const pgfast::RedisReplyError& e) {
    EXPECT_EQ(e.code(), "WRONGTYPE");
  }
  redis.command({"DEL", k});
  EXPECT_EQ(redis.stats().connections_created, 1u);
  EXPECT_EQ(redis.stats().connections_discarded, 0u);
}

TEST(RedisErrors, CommandTimeoutIsATimeout) {
  RedisOptions o = redis_options(redis_url(), 1);
  o.command_timeout = milliseconds(100);
  Redis redis(o);
  // BLPOP with no server-side timeout never answers on an empty list.
  const std::string what = expect_redis_error<pgfast::RedisTimeoutError>([&] {
    redis.command({"BLPOP", key("empty"), "0"});
  });
  EXPECT_NE(what.find("command timeout of 100 ms"), std::string::npos) << what;
  EXPECT_TRUE(redis.ping());  // a fresh connection replaces the discarded one
  EXPECT_EQ(redis.stats().connections_discarded, 1u);
}

TEST(RedisErrors, ServerThatNeverAnswersIsATimeout) {
  RedisServer server;
  RedisOptions o = redis_options(server.url(), 1);
  o.command_timeout = milliseconds(100);
  Redis redis(o);
  ASSERT_TRUE(redis.ping());
  server.freeze();
  expect_redis_error<pgfast::RedisTimeoutError>([&] { redis.command({"PING"}); });
  server.thaw();
  EXPECT_TRUE(redis.ping());
}

TEST(RedisErrors, ConnectTimeoutIsATimeout) {
  BlackHoleListener listener;
  RedisOptions o = redis_options(listener.url(), 1);
  o.connect_timeout = milliseconds(100);
  Redis redis(o);
  const std::string what =
      expect_redis_error<pgfast::RedisTimeoutError>([&] { redis.command({"PING"}); });
  EXPECT_NE(what.find("connect timeout of 100 ms"), std::string::npos) << what;
}

// The TCP connect succeeds (the kernel accepts for a stopped server) but AUTH gets no answer.
TEST(RedisErrors, AuthWithoutAnswerIsATimeoutNotARefusal) {
  RedisServer server({"--requirepass", "pw"});
  RedisOptions o =
      redis_options("redis://:pw@127.0.0.1:" + std::to_string(server.port()) + "/0", 1);
  o.connect_timeout = milliseconds(100);
  Redis redis(o);
  server.freeze();
  const std::string what =
      expect_redis_error<pgfast::RedisTimeoutError>([&] { redis.command({"PING"}); });
  server.thaw();
  EXPECT_NE(what.find("AUTH failed"), std::string::npos) << what;
  EXPECT_NE(what.find("connect timeout of 100 ms"), std::string::npos) << what;
  EXPECT_TRUE(redis.ping());
}

TEST(RedisErrors, PoolWaitTimeoutIsATimeout) {
  RedisOptions o = redis_options(redis_url(), 1);
  o.command_timeout = milliseconds(30000);
  o.pool_timeout = milliseconds(50);
  Redis redis(o);
  const std::string list = key("list");
  std::thread holder([&] { redis.command({"BLPOP", list, "30"}); });
  ASSERT_TRUE(pgfast_test::eventually([&] { return redis.stats().in_use == 1; }));
  const std::string what =
      expect_redis_error<pgfast::RedisTimeoutError>([&] { redis.command({"PING"}); });
  EXPECT_NE(what.find("pool timeout of 50 ms"), std::string::npos) << what;
  Redis other(redis_options(redis_url(), 1));
  other.command({"RPUSH", list, "release"});  // ends the holder's BLPOP
  holder.join();
  other.command({"DEL", list});
  EXPECT_EQ(redis.stats().pool_timeouts, 1u);
}

TEST(RedisErrors, NothingListeningIsConnectionRefused) {
  RedisOptions o =
      redis_options("redis://127.0.0.1:" + std::to_string(pgfast_test::free_tcp_port()) + "/0", 1);
  o.down_backoff = milliseconds(60000);
  Redis redis(o);
  expect_redis_error<pgfast::RedisConnectionRefusedError>([&] { redis.command({"PING"}); });
  // Within down_backoff the fast failure (no connect attempt) keeps the type.
  const std::string what =
      expect_redis_error<pgfast::RedisConnectionRefusedError>([&] { redis.command({"PING"}); });
  EXPECT_NE(what.find("down_backoff"), std::string::npos) << what;
  EXPECT_EQ(redis.stats().connect_failures, 1u);
}

TEST(RedisErrors, AuthAndSelectFailuresAreConnectionRefused) {
  RedisServer server({"--requirepass", "right-password"});
  const std::string base = "127.0.0.1:" + std::to_string(server.port());
  Redis wrong(redis_options("redis://:guessed-password@" + base + "/0", 1));
  const std::string what =
      expect_redis_error<pgfast::RedisConnectionRefusedError>([&] { wrong.command({"PING"}); });
  EXPECT_NE(what.find("AUTH failed"), std::string::npos) << what;
  EXPECT_EQ(what.find("guessed-password"), std::string::npos) << what;

  Redis bad_db(redis_options("redis://:right-password@" + base + "/99999", 1));
  const std::string select =
      expect_redis_error<pgfast::RedisConnectionRefusedError>([&] { bad_db.command({"PING"}); });
  EXPECT_NE(select.find("SELECT failed"), std::string::npos) << select;
}

// CLIENT KILL from another connection while this one waits in BLPOP.
TEST(RedisErrors, ConnectionKilledMidCommandIsConnectionClosed) {
  RedisOptions o = redis_options(redis_url(), 1);
  o.command_timeout = milliseconds(30000);
  Redis victim(o);
  const std::string id = std::to_string(victim.command({"CLIENT", "ID"}).integer());
  std::string what;
  std::thread blocked([&] {
    what = expect_redis_error<pgfast::RedisConnectionClosedError>([&] {
      victim.command({"BLPOP", key("never"), "0"});
    });
  });
  Redis killer(redis_options(redis_url(), 1));
  ASSERT_TRUE(pgfast_test::eventually([&] {
    return killer.command({"CLIENT", "LIST", "ID", id}).str().find("cmd=blpop") !=
           std::string::npos;
  }));
  EXPECT_EQ(killer.command({"CLIENT", "KILL", "ID", id}).integer(), 1);
  blocked.join();
  EXPECT_NE(what.find("Server closed the connection"), std::string::npos) << what;
  EXPECT_TRUE(victim.ping());  // a new connection replaces it
}

TEST(RedisErrors, ServerGoneMidCommandIsConnectionClosed) {
  RedisServer server;
  RedisOptions o = redis_options(server.url(), 1);
  o.command_timeout = milliseconds(30000);
  Redis redis(o);
  ASSERT_TRUE(redis.ping());
  std::thread blocked([&] {
    expect_redis_error<pgfast::RedisConnectionClosedError>([&] {
      redis.command({"BLPOP", key("never"), "0"});
    });
  });
  Redis observer(redis_options(server.url(), 1));
  ASSERT_TRUE(pgfast_test::eventually([&] {
    return observer.command({"INFO", "clients"}).str().find("blocked_clients:1") !=
           std::string::npos;
  }));
  server.kill();
  blocked.join();
}

}  // namespace
