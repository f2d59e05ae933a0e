// Executor and utility hooks of slow-query capture.
#pragma once

namespace pgfast::slowlog {

// Installs the hooks and shared-memory callbacks, chaining to the previous ones. Called from
// _PG_init only when pgfast is being preloaded.
void install_hooks();

}  // namespace pgfast::slowlog
