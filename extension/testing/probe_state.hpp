// What the last probe observed, read back by pgfast_test.probe_state() in the next statement.
#pragma once

#include <string>

namespace pgfast::testing {

struct ProbeState {
  int destructors_run = 0;
  bool context_restored = false;
  std::string caught_sqlstate;
};
extern ProbeState g_probe_state;

// Counts its destruction, so a test can see that C++ unwinding ran after an error.
struct DestructorWitness {
  ~DestructorWitness() { ++g_probe_state.destructors_run; }
};

// Throws (or, inside a pg::call lambda, ereports) the failure named by `kind`: error (pgfast::Error
// 22023), bad_alloc, int, pg_error (ereport ERROR 22012); "none" does nothing.
void raise_kind(const std::string& kind, const char* where);

}  // namespace pgfast::testing
