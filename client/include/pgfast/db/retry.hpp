// pgfast::RetryOptions: how Database::transaction_with_retry runs a transaction again after a
// serialization failure or a deadlock — how many attempts, and the jittered exponential backoff
// between them. A plain value; thread-safe to share once built.
#pragma once

#include <chrono>

namespace pgfast {

struct RetryOptions {
  // Attempts in all (the first one included), >= 1. After the last, its error is rethrown.
  int max_attempts = 5;
  // The wait after the n-th failed attempt is random in [0, min(max_backoff, base_backoff *
  // 2^(n-1))] ("full jitter": competing transactions spread out instead of colliding again).
  std::chrono::milliseconds base_backoff{10};
  std::chrono::milliseconds max_backoff{1000};

  // Throws ConfigurationError naming the field: max_attempts < 1, a negative backoff, or
  // base_backoff > max_backoff.
  void validate() const;

  // The upper bound of the wait after `failed_attempts` (>= 1) failed attempts.
  std::chrono::milliseconds backoff_ceiling(int failed_attempts) const;
};

namespace detail {
// Sleeps the jittered wait after `failed_attempts` failed attempts.
void sleep_before_retry(const RetryOptions& options, int failed_attempts);
}  // namespace detail

}  // namespace pgfast
