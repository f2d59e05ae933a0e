// Executor and utility hooks of slow-query capture.
#pragma once

#include <cstdint>

namespace pgfast::slowlog {

// Captures dropped because capturing them failed: by this backend, and by the whole server since
// it started (0 when pgfast is not preloaded).
struct CaptureFailures {
  uint64_t backend = 0;
  uint64_t server = 0;
};
CaptureFailures capture_failures() noexcept;

// Installs the hooks and shared-memory callbacks, chaining to the previous ones. Called from
// _PG_init only when pgfast is being preloaded.
void install_hooks();

}  // namespace pgfast::slowlog
