// pgfast::PoolStats: a snapshot of a Database's connection pool (a plain value).
#pragma once

#include <cstddef>
#include <cstdint>

namespace pgfast {

struct PoolStats {
  // Configuration.
  std::size_t pool_size = 0;
  std::size_t max_overflow = 0;
  // Gauges. `open` counts every connection slot taken: idle, leased, and being opened or closed.
  std::size_t open = 0;
  std::size_t idle = 0;
  std::size_t in_use = 0;
  std::size_t waiting = 0;  // threads blocked in acquire()
  // Counters since the pool was created.
  std::uint64_t created = 0;          // connections opened
  std::uint64_t closed = 0;           // connections closed, for any reason
  std::uint64_t recycled = 0;         // closed on borrow for being older than the recycle age
  std::uint64_t broken_replaced = 0;  // found broken (pre-ping, on borrow or on return), closed
  std::uint64_t timeouts = 0;         // acquire() calls that threw PoolTimeoutError
  std::uint64_t acquired_total = 0;   // successful acquire() calls
  std::uint64_t waits = 0;            // acquire() calls that found the pool exhausted and waited
};

}  // namespace pgfast
