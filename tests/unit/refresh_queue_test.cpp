// detail::RefreshQueue (client/src/cache/refresh_queue.hpp), the Cache's background refresh thread:
// order, one task per key, stop, failing tasks. No server.
#include "cache/refresh_queue.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <future>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using pgfast::detail::RefreshQueue;

namespace {

// Records the keys of the tasks that ran, in order.
struct Log {
  std::mutex mutex;
  std::vector<std::string> ran;
  RefreshQueue::Task task(const std::string& key) {
    return [this, key] {
      std::lock_guard<std::mutex> lock(mutex);
      ran.push_back(key);
    };
  }
  std::vector<std::string> get() {
    std::lock_guard<std::mutex> lock(mutex);
    return ran;
  }
};

// A task that tells it started, blocks until opened, then runs `after` (if any).
struct Gate {
  std::promise<void> started, open;
  std::shared_future<void> opened = open.get_future().share();
  // Queues the gate's task for `key` and waits until it runs: what is queued next waits behind it.
  void occupy(RefreshQueue& queue, const std::string& key, std::function<void()> after = {}) {
    ASSERT_TRUE(queue.schedule(key, [this, after] {
      started.set_value();
      opened.wait();
      if (after) after();
    }));
    started.get_future().wait();
  }
};

}  // namespace

TEST(RefreshQueue, RunsTasksInTheOrderQueued) {
  RefreshQueue queue;
  Log log;
  Gate gate;
  gate.occupy(queue, "gate");  // the rest queue up behind it
  for (const char* key : {"c", "a", "b"}) ASSERT_TRUE(queue.schedule(key, log.task(key)));
  gate.open.set_value();
  queue.wait_idle();
  EXPECT_EQ(log.get(), (std::vector<std::string>{"c", "a", "b"}));
  EXPECT_EQ(queue.failures(), 0u);
}

TEST(RefreshQueue, AKeyIsQueuedOnceUntilItsTaskHasRun) {
  RefreshQueue queue;
  Log log;
  Gate gate;
  gate.occupy(queue, "k");
  EXPECT_FALSE(queue.schedule("k", log.task("k running")));  // running
  ASSERT_TRUE(queue.schedule("other", log.task("other")));
  EXPECT_FALSE(queue.schedule("other", log.task("other again")));  // queued
  gate.open.set_value();
  queue.wait_idle();
  EXPECT_EQ(log.get(), (std::vector<std::string>{"other"}));
  // Done: the key can be queued again.
  ASSERT_TRUE(queue.schedule("k", log.task("k")));
  queue.wait_idle();
  EXPECT_EQ(log.get(), (std::vector<std::string>{"other", "k"}));
}

TEST(RefreshQueue, StopDropsQueuedTasksAndWaitsForTheRunningOne) {
  RefreshQueue queue;
  Log log;
  Gate gate;
  std::atomic<bool> running_finished{false};
  gate.occupy(queue, "running", [&] { running_finished = true; });
  ASSERT_TRUE(queue.schedule("queued", log.task("queued")));
  auto stopped = std::async(std::launch::async, [&] { queue.stop(); });
  // Once stop() has begun, nothing is accepted (and the queue was emptied at the same moment).
  int probe = 0;
  while (queue.schedule("probe" + std::to_string(probe), log.task("probe"))) ++probe;
  EXPECT_EQ(stopped.wait_for(std::chrono::seconds(0)), std::future_status::timeout)
      << "stop() returned while a task was running";
  gate.open.set_value();
  stopped.get();
  EXPECT_TRUE(running_finished);
  EXPECT_TRUE(log.get().empty());  // neither "queued" nor a probe ran
  EXPECT_FALSE(queue.schedule("after", log.task("after")));
  queue.wait_idle();  // returns: nothing queued or running
  queue.stop();       // again: nothing to do
  EXPECT_TRUE(log.get().empty());
}

TEST(RefreshQueue, ATaskThatThrowsIsCountedAndTheNextOneRuns) {
  RefreshQueue queue;
  Log log;
  Gate gate;
  gate.occupy(queue, "gate");
  ASSERT_TRUE(queue.schedule("fails", [] { throw std::runtime_error("refresh failed"); }));
  ASSERT_TRUE(queue.schedule("also fails", [] { throw 42; }));
  ASSERT_TRUE(queue.schedule("next", log.task("next")));
  gate.open.set_value();
  queue.wait_idle();
  EXPECT_EQ(queue.failures(), 2u);
  EXPECT_EQ(log.get(), (std::vector<std::string>{"next"}));
  ASSERT_TRUE(queue.schedule("fails", log.task("fails")));  // a failed key is free again
  queue.wait_idle();
  EXPECT_EQ(log.get(), (std::vector<std::string>{"next", "fails"}));
}

TEST(RefreshQueue, TheDestructorWaitsForTheRunningTask) {
  Gate gate;
  std::atomic<bool> running_finished{false};
  {
    RefreshQueue queue;
    gate.occupy(queue, "running", [&] { running_finished = true; });
    gate.open.set_value();
  }  // joins the thread
  EXPECT_TRUE(running_finished);
}

TEST(RefreshQueue, WaitIdleWithNothingQueuedReturnsAtOnce) {
  RefreshQueue queue;
  queue.wait_idle();
  EXPECT_EQ(queue.failures(), 0u);
}
