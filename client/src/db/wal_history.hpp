// detail::WalHistory: when the primary's write-ahead log was where, sampled at the replica checks,
// and a replica's lag derived from it (pure logic, no server).
//
// A replica that replayed up to R has everything the primary had written by the last sample at or
// below R (time t), and lacks something written after it: the primary's oldest write it is missing
// is younger than now - t, which is the lag reported (an upper bound, with the resolution of the
// sampling). A replica at or past the newest sample has nothing missing that any sample saw: lag 0,
// so an idle primary (no new WAL) never looks like lag. A replica behind every sample has a lag not
// known yet (it is at least now - the oldest sample).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>

namespace pgfast::detail {

class WalHistory {
 public:
  using Clock = std::chrono::steady_clock;

  explicit WalHistory(std::size_t capacity = 1024) : capacity_(capacity < 2 ? 2 : capacity) {}

  // The primary's WAL position `lsn` at `at` (both non-decreasing from call to call; a smaller lsn
  // — another primary after a failover — starts the history afresh).
  void record(Clock::time_point at, std::uint64_t lsn);

  // The lag of a replica that replayed up to `replayed`, at `now`; std::nullopt when unknown (no
  // sample yet, or the replica is behind every sample).
  std::optional<std::chrono::milliseconds> lag(std::uint64_t replayed, Clock::time_point now) const;

  std::size_t size() const noexcept { return samples_.size(); }

 private:
  struct Sample {
    Clock::time_point at;
    std::uint64_t lsn;
  };
  std::size_t capacity_;
  std::deque<Sample> samples_;  // lsn strictly increasing; at the latest time seen at that lsn
};

}  // namespace pgfast::detail
