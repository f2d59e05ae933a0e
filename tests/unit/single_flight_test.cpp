// pgfast::SingleFlight: one call per key in flight; waiters share the result or the exception.
#include "cache/single_flight.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <string>
#include <stdexcept>
#include <thread>
#include <vector>

namespace {

using pgfast::SingleFlight;

// Blocks the leader until every other thread has joined the flight.
class Gate {
 public:
  void open() {
    std::lock_guard<std::mutex> lock(m_);
    open_ = true;
    cv_.notify_all();
  }
  void wait() {
    std::unique_lock<std::mutex> lock(m_);
    cv_.wait(lock, [this] { return open_; });
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  bool open_ = false;
};

TEST(SingleFlight, ConcurrentCallersShareOneCall) {
  SingleFlight<int> flight;
  std::atomic<int> calls{0};
  Gate started, release;
  std::atomic<int> leaders{0};
  std::vector<int> results(32, 0);
  auto load = [&] {
    ++calls;
    started.open();
    release.wait();
    return 7;
  };
  std::vector<std::thread> threads;
  threads.emplace_back([&] {
    auto outcome = flight.run("k", load);
    results[0] = outcome.value;
    if (outcome.leader) ++leaders;
  });
  started.wait();
  for (int i = 1; i < 32; ++i) {
    threads.emplace_back([&, i] {
      auto outcome = flight.run("k", load);
      results[i] = outcome.value;
      if (outcome.leader) ++leaders;
    });
  }
  // Release the leader only once all 31 others wait on its flight.
  while (flight.waiting("k") < 31) std::this_thread::yield();
  release.open();
  for (auto& t : threads) t.join();
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(leaders.load(), 1);
  for (int r : results) EXPECT_EQ(r, 7);
  EXPECT_EQ(flight.in_flight(), 0u);
  EXPECT_EQ(flight.waiting("k"), 0u);
}

TEST(SingleFlight, WaitersGetTheLeadersValueWhileItRuns) {
  SingleFlight<std::string> flight;
  Gate started, release;
  std::string leader_value, waiter_value;
  bool waiter_led = true;
  std::thread leader([&] {
    leader_value = flight
                       .run("k",
                            [&] {
                              started.open();
                              release.wait();
                              return std::string("loaded");
                            })
                       .value;
  });
  started.wait();
  ASSERT_EQ(flight.in_flight(), 1u);
  std::thread waiter([&] {
    auto outcome = flight.run("k", [] { return std::string("second call"); });
    waiter_value = outcome.value;
    waiter_led = outcome.leader;
  });
  while (flight.waiting("k") < 1) std::this_thread::yield();
  release.open();
  leader.join();
  waiter.join();
  EXPECT_EQ(leader_value, "loaded");
  EXPECT_FALSE(waiter_led);
  EXPECT_EQ(waiter_value, "loaded");
}

TEST(SingleFlight, ExceptionsReachEveryWaiterAndTheNextCallRunsAgain) {
  SingleFlight<int> flight;
  Gate started, release;
  std::atomic<int> failures{0};
  std::thread leader([&] {
    try {
      flight.run("k", [&]() -> int {
        started.open();
        release.wait();
        throw std::runtime_error("loader failed");
      });
    } catch (const std::runtime_error&) {
      ++failures;
    }
  });
  started.wait();
  std::string waiter_message;
  std::thread waiter([&] {
    try {
      flight.run("k", []() -> int { throw std::runtime_error("own call"); });
    } catch (const std::runtime_error& e) {
      waiter_message = e.what();
      ++failures;
    }
  });
  while (flight.waiting("k") < 1) std::this_thread::yield();
  release.open();
  leader.join();
  waiter.join();
  EXPECT_EQ(failures.load(), 2);
  EXPECT_EQ(waiter_message, "loader failed");
  EXPECT_EQ(flight.run("k", [] { return 3; }).value, 3);
}

TEST(SingleFlight, DifferentKeysRunIndependently) {
  SingleFlight<int> flight;
  EXPECT_EQ(flight.run("a", [] { return 1; }).value, 1);
  EXPECT_EQ(flight.run("b", [] { return 2; }).value, 2);
  EXPECT_TRUE(flight.run("a", [] { return 1; }).leader);
}

}  // namespace
