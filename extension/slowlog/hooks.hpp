// Executor and utility hooks of slow-query capture.
#pragma once

#include <cstdint>

namespace pgfast::slowlog {

// Captures this backend dropped because capturing them failed. The server-wide count is part of
// the store's `dropped` (pgfast.slow_queries_info()).
uint64_t backend_capture_failures_count() noexcept;

// Installs the hooks and shared-memory callbacks, chaining to the previous ones. Called from
// _PG_init only when pgfast is being preloaded.
void install_hooks();

}  // namespace pgfast::slowlog
