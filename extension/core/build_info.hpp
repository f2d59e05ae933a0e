// The extension's version (from extension/pgfast.control) and build description, for
// pgfast.version().
#pragma once

#include <string>

#ifndef PGFAST_VERSION
#error "PGFAST_VERSION must be defined by the build (from extension/pgfast.control)"
#endif

namespace pgfast {

inline constexpr char kVersion[] = PGFAST_VERSION;

// "pgfast 0.1.0 (PostgreSQL 15.18, g++ 12.2.0, C++17)"; `server_version` is the
// PostgreSQL version the caller was built against.
std::string build_description(const std::string& server_version);

}  // namespace pgfast
