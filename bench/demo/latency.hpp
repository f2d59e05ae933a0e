// Latency samples (milliseconds) and their percentiles; one recorder per thread, merged after.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <vector>

namespace pgfast_demo {

class LatencyRecorder {
 public:
  void add(double ms) { samples_.push_back(ms); }
  void merge(const LatencyRecorder& other) {
    samples_.insert(samples_.end(), other.samples_.begin(), other.samples_.end());
  }
  std::size_t count() const { return samples_.size(); }

  // Nearest-rank percentile, p in (0, 100]; 0 when empty.
  double percentile(double p) {
    if (samples_.empty()) return 0;
    std::sort(samples_.begin(), samples_.end());
    auto rank =
        static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(samples_.size())));
    return samples_[std::min(samples_.size(), std::max<std::size_t>(rank, 1)) - 1];
  }

  // Times `f` and records it; returns what f returns.
  template <class F>
  auto time(F&& f) {
    auto start = std::chrono::steady_clock::now();
    struct Record {
      LatencyRecorder* self;
      std::chrono::steady_clock::time_point start;
      ~Record() {
        self->add(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                .count());
      }
    } record{this, start};
    return f();
  }

 private:
  std::vector<double> samples_;
};

inline double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace pgfast_demo
