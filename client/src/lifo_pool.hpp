// detail::LifoPool<Conn>: the bookkeeping shared by the database pool (detail::Pool) and the Redis
// pool (detail::RedisImpl): a LIFO stack of idle connections, the open / in-use / waiting counts
// against a capacity, callers waiting for a slot until a deadline, and the wait/timeout counters.
// It never opens, checks or configures a connection: the owning pool does that outside the lock
// (its policy), and tells this class what became of the slot it was lent.
// Thread safety: every member function is thread-safe.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "metrics/metric_counter.hpp"

namespace pgfast::detail {

// A snapshot of a LifoPool's gauges.
struct LifoPoolCounts {
  std::size_t open = 0;  // slots taken: idle + lent + being opened or closed
  std::size_t idle = 0;
  std::size_t in_use = 0;  // lent, or reserved to be opened
  std::size_t waiting = 0;
};

template <class Conn>
class LifoPool {
 public:
  using Clock = std::chrono::steady_clock;

  // What acquire() lends. `conn` set: an idle connection (the caller may check it and give it
  // back, discard it, or replace it in the same slot). `slot` without `conn`: a free slot reserved
  // for the caller, who opens a connection in it or calls cancel_open(). Neither: timed out, or
  // the pool is closed.
  struct Loan {
    enum class Outcome { idle, slot, timed_out, closed };
    Outcome outcome = Outcome::timed_out;
    std::unique_ptr<Conn> conn;
  };

  // `on_change(in_use, idle)` runs under the lock whenever either changes (e.g. to set gauges).
  explicit LifoPool(std::size_t capacity,
                    std::function<void(std::size_t, std::size_t)> on_change = {})
      : capacity_(capacity), on_change_(std::move(on_change)) {
    // Enough that give_back() (noexcept) does not allocate in the common case.
    idle_.reserve(std::min<std::size_t>(capacity_, 1024));
  }
  LifoPool(const LifoPool&) = delete;
  LifoPool& operator=(const LifoPool&) = delete;

  // The most recently given back idle connection, else a free slot, else waits until `deadline`
  // for either. `before_open()` runs under the lock just before a free slot is reserved; it may
  // throw to refuse opening (nothing is changed then).
  template <class BeforeOpen>
  Loan acquire(Clock::time_point deadline, BeforeOpen&& before_open) {
    Loan loan;
    bool waited = false;
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      if (closed_) {
        loan.outcome = Loan::Outcome::closed;
        return loan;
      }
      if (!idle_.empty()) {
        loan.conn = std::move(idle_.back());
        idle_.pop_back();
        loan.outcome = Loan::Outcome::idle;
        break;
      }
      if (open_ < capacity_) {
        before_open();
        ++open_;  // the caller opens the connection outside the lock
        loan.outcome = Loan::Outcome::slot;
        break;
      }
      if (Clock::now() >= deadline) {
        ++timeouts_;
        return loan;
      }
      if (!waited) ++waits_;
      waited = true;
      ++waiting_;
      available_.wait_until(lock, deadline);
      --waiting_;
    }
    ++in_use_;
    changed();
    return loan;
  }
  Loan acquire(Clock::time_point deadline) {
    return acquire(deadline, [] {});
  }

  // Gives back a lent connection. It becomes idle (and wakes one waiter) when `reusable`, the pool
  // is open and fewer than `max_idle` are idle or a caller is waiting; otherwise it is destroyed
  // outside the lock and its slot freed. Returns whether it was kept.
  bool give_back(std::unique_ptr<Conn> conn, bool reusable, std::size_t max_idle) noexcept {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      --in_use_;
      if (reusable && !closed_ && (idle_.size() < max_idle || waiting_ > 0)) {
        try {
          idle_.push_back(std::move(conn));
        } catch (...) {
          // Out of memory: destroy it below instead.
        }
      }
      changed();
    }
    if (!conn) {
      available_.notify_one();
      return true;
    }
    conn.reset();
    free_slot();
    return false;
  }

  // Destroys a lent connection (outside the lock) and frees its slot.
  void discard(std::unique_ptr<Conn> conn) noexcept {
    conn.reset();
    std::lock_guard<std::mutex> lock(mutex_);
    --in_use_;
    changed();
    free_slot_locked();
  }

  // Frees the slot reserved by an acquire() whose caller could not open a connection.
  void cancel_open() noexcept { discard(nullptr); }

  // Destroys the idle connections (outside the lock); returns how many.
  std::size_t close_idle() noexcept { return drain(false); }

  // Refuses further loans and destroys the idle connections; connections given back later are
  // destroyed too. Returns how many idle connections it destroyed.
  std::size_t close() noexcept { return drain(true); }

  LifoPoolCounts counts() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return {open_, idle_.size(), in_use_, waiting_};
  }

  std::size_t capacity() const noexcept { return capacity_; }
  // acquire() calls that found no idle connection nor free slot and waited / then timed out.
  // (Mutable so that an owner can mirror them to metrics.)
  Counter& waits() noexcept { return waits_; }
  Counter& timeouts() noexcept { return timeouts_; }
  const Counter& waits() const noexcept { return waits_; }
  const Counter& timeouts() const noexcept { return timeouts_; }

 private:
  void changed() const {
    if (on_change_) on_change_(in_use_, idle_.size());
  }

  void free_slot() noexcept {
    std::lock_guard<std::mutex> lock(mutex_);
    free_slot_locked();
  }
  void free_slot_locked() noexcept {
    --open_;
    available_.notify_one();
  }

  std::size_t drain(bool close) noexcept {
    std::vector<std::unique_ptr<Conn>> doomed;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (close) closed_ = true;
      doomed.swap(idle_);
      open_ -= doomed.size();
      changed();
    }
    available_.notify_all();
    const std::size_t n = doomed.size();
    doomed.clear();
    return n;
  }

  const std::size_t capacity_;
  const std::function<void(std::size_t, std::size_t)> on_change_;

  mutable std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Conn>> idle_;  // a stack: back() is the most recent
  std::size_t open_ = 0;
  std::size_t in_use_ = 0;
  std::size_t waiting_ = 0;
  bool closed_ = false;
  Counter waits_;
  Counter timeouts_;
};

}  // namespace pgfast::detail
