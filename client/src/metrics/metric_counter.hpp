// detail::Counter: a component's stats counter (the interface of std::atomic<std::uint64_t> its
// increment sites use) that also increments a Prometheus counter when one is bound, so binding
// metrics changes a counter's declaration, not the places that count.
#pragma once

#include <atomic>
#include <cstdint>

#include <prometheus/counter.h>

namespace pgfast::detail {

class Counter {
 public:
  Counter() noexcept = default;
  Counter(const Counter&) = delete;
  Counter& operator=(const Counter&) = delete;

  // Before any concurrent use (in the component's constructor). The mirror starts from the
  // counter's current value; null unbinds.
  void mirror_to(prometheus::Counter* mirror) {
    mirror_ = mirror;
    if (mirror_ != nullptr) mirror_->Increment(static_cast<double>(value_.load()));
  }

  std::uint64_t fetch_add(std::uint64_t n,
                          std::memory_order order = std::memory_order_seq_cst) noexcept {
    if (mirror_ != nullptr) mirror_->Increment(static_cast<double>(n));
    return value_.fetch_add(n, order);
  }
  std::uint64_t load(std::memory_order order = std::memory_order_seq_cst) const noexcept {
    return value_.load(order);
  }
  operator std::uint64_t() const noexcept { return load(); }
  std::uint64_t operator++() noexcept { return fetch_add(1) + 1; }
  std::uint64_t operator+=(std::uint64_t n) noexcept { return fetch_add(n) + n; }

 private:
  std::atomic<std::uint64_t> value_{0};
  prometheus::Counter* mirror_ = nullptr;
};

}  // namespace pgfast::detail
