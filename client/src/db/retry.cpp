#include "pgfast/db/retry.hpp"

#include <random>
#include <string>
#include <thread>

#include "pgfast/errors.hpp"
#include "thread_rng.hpp"

namespace pgfast {

void RetryOptions::validate() const {
  if (max_attempts < 1) {
    throw ConfigurationError("pgfast::RetryOptions: max_attempts must be >= 1, got " +
                             std::to_string(max_attempts));
  }
  if (base_backoff.count() < 0 || max_backoff.count() < 0) {
    throw ConfigurationError(
        "pgfast::RetryOptions: base_backoff and max_backoff must not be "
        "negative");
  }
  if (base_backoff > max_backoff) {
    throw ConfigurationError("pgfast::RetryOptions: base_backoff (" +
                             std::to_string(base_backoff.count()) + " ms) exceeds max_backoff (" +
                             std::to_string(max_backoff.count()) + " ms)");
  }
}

std::chrono::milliseconds RetryOptions::backoff_ceiling(int failed_attempts) const {
  std::chrono::milliseconds ceiling = base_backoff;
  // Doubling stops at max_backoff, so it cannot overflow however many attempts failed.
  for (int i = 1; i < failed_attempts && ceiling < max_backoff; ++i) ceiling *= 2;
  return ceiling < max_backoff ? ceiling : max_backoff;
}

namespace detail {

void sleep_before_retry(const RetryOptions& options, int failed_attempts) {
  const std::chrono::milliseconds ceiling = options.backoff_ceiling(failed_attempts);
  std::uniform_int_distribution<long long> wait(0, ceiling.count());
  std::this_thread::sleep_for(std::chrono::milliseconds(wait(thread_rng())));
}

}  // namespace detail

}  // namespace pgfast
