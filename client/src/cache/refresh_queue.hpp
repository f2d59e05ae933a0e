// pgfast::detail::RefreshQueue: the Cache's background refreshes. One worker thread, started on
// the first task, runs tasks in the order queued; a key is queued at most once until its task has
// run (a second schedule for a key queued or running is ignored). Nothing here knows Redis.
// Thread safety: every member is thread-safe; a task must not call stop() or wait_idle().
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>

namespace pgfast::detail {

class RefreshQueue {
 public:
  using Task = std::function<void()>;

  RefreshQueue() = default;
  ~RefreshQueue() { stop(); }
  RefreshQueue(const RefreshQueue&) = delete;
  RefreshQueue& operator=(const RefreshQueue&) = delete;

  // Queues `task` for `key`. False (and `task` dropped) when the key is already queued or running,
  // the queue is stopped, or no thread could be started (the refresh is skipped rather than left
  // pending for wait_idle()).
  bool schedule(const std::string& key, Task task);

  // Waits until no task is queued or running.
  void wait_idle();

  // Drops the queued tasks, waits for the running one and ends the thread; later schedule() calls
  // are ignored. Idempotent.
  void stop();

  // Tasks that ended with an exception (the worker carries on with the next one).
  std::uint64_t failures() const;

 private:
  struct Entry {
    std::string key;
    Task task;
  };

  void worker_loop();

  mutable std::mutex mutex_;
  std::condition_variable work_cv_, idle_cv_;
  std::deque<Entry> queue_;
  std::unordered_set<std::string> pending_;  // keys queued or running
  std::thread worker_;
  bool stopping_ = false;
  bool busy_ = false;
  std::uint64_t failures_ = 0;
};

}  // namespace pgfast::detail
