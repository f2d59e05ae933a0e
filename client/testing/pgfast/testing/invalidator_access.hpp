// Test-only access to pgfast::Invalidator internals (not installed; tests have client/testing on
// their include path). Defined in client/src/cache/invalidator.cpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "pgfast/cache/invalidator.hpp"

namespace pgfast::testing {

struct InvalidatorAccess {
  // Waits until at least `count` events were published; false on timeout.
  static bool wait_for_events(const Invalidator& invalidator, std::uint64_t count,
                              std::chrono::milliseconds timeout);
  // Waits for an event of `kind` with a sequence number above `after`; the latest such event, or
  // std::nullopt on timeout.
  static std::optional<InvalidationEvent> wait_for(const Invalidator& invalidator,
                                                   InvalidationEvent::Kind kind,
                                                   std::uint64_t after,
                                                   std::chrono::milliseconds timeout);
};

}  // namespace pgfast::testing
