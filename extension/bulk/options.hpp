// The `options` argument of the bulk functions (DESIGN 4.1).
#pragma once

#include "pg/postgres.hpp"

namespace pgfast::bulk {

enum class OnDuplicate { kLast, kFirst, kError };

struct Options {
  OnDuplicate on_duplicate = OnDuplicate::kLast;  // same conflict key twice in one call
  bool only_changed = true;                       // update_when: changed (true) | always
  int chunk_size = 1000;  // accepted and checked; the set-based path applies a call at once
};

// The jsonb argument `n` of the current call (NULL: the defaults). Errors 22023 naming an unknown
// option or a bad value.
Options parse_options(FunctionCallInfo fcinfo, int n);

}  // namespace pgfast::bulk
