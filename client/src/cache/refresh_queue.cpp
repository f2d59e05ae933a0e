#include "cache/refresh_queue.hpp"

#include <system_error>
#include <utility>

namespace pgfast::detail {

bool RefreshQueue::schedule(const std::string& key, Task task) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopping_ || !pending_.insert(key).second) return false;
  queue_.push_back(Entry{key, std::move(task)});
  if (!worker_.joinable()) {
    try {
      worker_ = std::thread([this] { worker_loop(); });
    } catch (const std::system_error&) {
      queue_.pop_back();
      pending_.erase(key);
      return false;
    }
  }
  work_cv_.notify_all();
  return true;
}

void RefreshQueue::worker_loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    work_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, nothing left
    Entry entry = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    bool failed = false;
    try {
      entry.task();
    } catch (...) {
      failed = true;
    }
    entry.task = nullptr;  // what the task captured goes before the key counts as done
    lock.lock();
    if (failed) ++failures_;
    busy_ = false;
    pending_.erase(entry.key);
    idle_cv_.notify_all();
  }
}

void RefreshQueue::wait_idle() {
  std::unique_lock<std::mutex> lock(mutex_);
  idle_cv_.wait(lock, [this] { return queue_.empty() && !busy_; });
}

void RefreshQueue::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    queue_.clear();
    work_cv_.notify_all();
    idle_cv_.notify_all();  // a waiter whose tasks were just dropped
  }
  if (worker_.joinable()) worker_.join();
}

std::uint64_t RefreshQueue::failures() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return failures_;
}

}  // namespace pgfast::detail
