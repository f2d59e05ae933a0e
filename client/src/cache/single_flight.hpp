// pgfast::SingleFlight<T>: at most one call per key in flight in this process. The first caller
// for a key (the leader) runs the function; callers arriving while it runs wait and receive the
// same result, or the same exception. Once the leader finishes, the next call starts a new flight.
#pragma once

#include <exception>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

namespace pgfast {

template <class T>
class SingleFlight {
 public:
  struct Outcome {
    T value;
    bool leader;  // this caller ran the function
  };

  template <class Fn>
  Outcome run(const std::string& key, Fn&& fn) {
    std::shared_future<T> waiting;
    std::promise<T> promise;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = flights_.find(key);
      if (it != flights_.end()) {
        waiting = it->second.result;
        ++it->second.waiters;
      } else {
        flights_.emplace(key, Flight{promise.get_future().share(), 0});
      }
    }
    if (waiting.valid()) return Outcome{waiting.get(), false};

    // Leader. The flight leaves the map before the result is published, so a caller that misses
    // the published result starts a fresh flight instead of waiting on a finished one.
    try {
      T value = fn();
      finish(key);
      promise.set_value(value);
      return Outcome{std::move(value), true};
    } catch (...) {
      finish(key);
      promise.set_exception(std::current_exception());
      throw;
    }
  }

  // Flights running now.
  std::size_t in_flight() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return flights_.size();
  }

  // Callers waiting on the flight for `key` (0 when none is running).
  std::size_t waiting(const std::string& key) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = flights_.find(key);
    return it == flights_.end() ? 0 : it->second.waiters;
  }

 private:
  void finish(const std::string& key) {
    std::lock_guard<std::mutex> lock(mutex_);
    flights_.erase(key);
  }

  struct Flight {
    std::shared_future<T> result;
    std::size_t waiters;
  };

  mutable std::mutex mutex_;
  std::unordered_map<std::string, Flight> flights_;
};

}  // namespace pgfast
