// Fault injection for the boundary tests (sql/boundary.sql). Production code marks the places
// where an unlucky failure must be survivable (cleanup in destructors, slow-query capture, the
// guard's own error copying) with a named fault point. Only the test module (pgfast_testing.so,
// built and staged for the tests, never installed by `make install`) sets pgfast_fault_hook; in
// production it is null and a fault point costs a load and a branch.
//
// Fault points (docs/boundary.md lists them with what each proves):
//   slowlog_capture         slow-query capture of a finished statement (hooks.cpp)
//   subtransaction_rollback the first rollback attempt of a pg::Subtransaction destructor
//   local_settings_restore  pg::LocalSettings rolling its GUC level back
//   guard_copy_error        CopyErrorData in pg::call's PG_CATCH (always a PostgreSQL ERROR)
#pragma once

extern "C" {
// Returns the fault to raise at `point` (a pgfast::pg::Fault value; 0 for none). Must not throw
// and must not call into PostgreSQL. Null unless the test module is loaded.
extern int (*pgfast_fault_hook)(const char* point);
}

namespace pgfast::pg {

enum class Fault : int {
  kNone = 0,
  kError = 1,       // throws pgfast::Error (XX000)
  kBadAlloc = 2,    // throws std::bad_alloc
  kPgError = 3,     // ereport(ERROR) (XX000)
  kInterrupts = 4,  // CHECK_FOR_INTERRUPTS() (the test module arms a query cancel first)
};

// The fault the test module asks for at `point`; kNone in production.
Fault fault_at(const char* point) noexcept;
inline bool fault_injected(const char* point) noexcept {
  return fault_at(point) != Fault::kNone;
}

// Raises the fault injected at `point`, if any, as C++ code sees it (a PostgreSQL error arrives
// through pg::call as pgfast::Error). Use it in C++ code, outside pg::call lambdas.
void fault_point(const char* point);

// The same inside a pg::call lambda (PostgreSQL context): kPgError ereports from here, so the
// guard's PG_CATCH path runs; kError and kBadAlloc throw through the call's trampoline.
void fault_point_in_pg(const char* point);

}  // namespace pgfast::pg
