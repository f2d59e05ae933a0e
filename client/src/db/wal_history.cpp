#include "db/wal_history.hpp"

#include <algorithm>

namespace pgfast::detail {

void WalHistory::record(Clock::time_point at, std::uint64_t lsn) {
  if (!samples_.empty() && lsn < samples_.back().lsn) samples_.clear();
  if (!samples_.empty() && lsn == samples_.back().lsn) {
    // No new WAL since: only the latest time at a position matters for the lag.
    samples_.back().at = std::max(samples_.back().at, at);
    return;
  }
  samples_.push_back({at, lsn});
  if (samples_.size() > capacity_) samples_.pop_front();
}

std::optional<std::chrono::milliseconds> WalHistory::lag(std::uint64_t replayed,
                                                         Clock::time_point now) const {
  if (samples_.empty() || replayed < samples_.front().lsn) return std::nullopt;
  if (replayed >= samples_.back().lsn) return std::chrono::milliseconds::zero();
  // The last sample at or below `replayed`: the first above it, minus one.
  const auto above = std::upper_bound(
      samples_.begin(), samples_.end(), replayed,
      [](std::uint64_t value, const Sample& sample) { return value < sample.lsn; });
  const Clock::time_point known = std::prev(above)->at;
  return std::max(std::chrono::milliseconds::zero(),
                  std::chrono::duration_cast<std::chrono::milliseconds>(now - known));
}

}  // namespace pgfast::detail
