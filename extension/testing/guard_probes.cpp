// Probes that fail inside each guard path of extension/pg (sql/boundary.sql): in and after a
// pg::call, while a pg::Subtransaction rolls back, while pg::LocalSettings restores. Each one
// leaves a C++ object with a destructor alive across the failure, so the test sees unwinding ran.
#include <new>
#include <string>

#include "core/error.hpp"
#include "pg/datum.hpp"
#include "pg/guard.hpp"
#include "pg/local_settings.hpp"
#include "pg/memory.hpp"
#include "pg/spi.hpp"
#include "pg/subtransaction.hpp"
#include "testing/probe_state.hpp"

extern "C" {
#include "utils/guc.h"
}

namespace {

using pgfast::Error;
using pgfast::testing::DestructorWitness;
using pgfast::testing::g_probe_state;
using pgfast::testing::ProbeState;
using pgfast::testing::raise_kind;
namespace pg = pgfast::pg;

// The failure `kind` raised inside a pg::call lambda: pg_error ereports right there (the guard's
// PG_CATCH path); the others throw through the call's noexcept trampoline.
void fail_inside_call(const std::string& kind) {
  bool pg_error = kind == "pg_error";
  pg::call([pg_error, &kind] {
    if (pg_error)
      ereport(ERROR, (errcode(ERRCODE_DIVISION_BY_ZERO), errmsg("probe: ERROR inside pg::call")));
    raise_kind(kind, "inside pg::call");
  });
}

// pgfast_test.call_fault(place, kind): fails with `kind` inside a pg::call lambda (place
// 'in_call') or in C++ right after a pg::call caught a PostgreSQL error (place 'after_call').
// The failure is recorded in the probe state and reaches the client.
Datum call_fault(FunctionCallInfo fcinfo) {
  g_probe_state = ProbeState{};
  std::string place = pg::text_arg(fcinfo, 0);
  std::string kind = pg::text_arg(fcinfo, 1);
  MemoryContext outer = CurrentMemoryContext;
  try {
    DestructorWitness witness;
    pg::ScopedMemoryContext scratch("pgfast probe");
    if (place == "in_call") {
      fail_inside_call(kind);
    } else if (place == "after_call") {
      try {
        fail_inside_call("pg_error");
      } catch (const Error&) {
        raise_kind(kind, "after pg::call caught an ERROR");
      }
    } else {
      throw Error(pgfast::sqlstate::kInvalidParameterValue, "unknown place \"" + place + "\"");
    }
  } catch (...) {
    g_probe_state.context_restored = CurrentMemoryContext == outer;
    try {
      throw;
    } catch (const Error& e) {
      g_probe_state.caught_sqlstate = e.sqlstate();
    } catch (const std::bad_alloc&) {
      g_probe_state.caught_sqlstate = "bad_alloc";
    } catch (...) {
      g_probe_state.caught_sqlstate = "other";
    }
    throw;
  }
  return pg::text_datum("no error");
}

// pgfast_test.subtransaction_fault(kind, recover): in a pg::Subtransaction, inserts a row into
// pgfast_test.sub_t and then fails with `kind` ('none': commits). The destructor rolls the
// subtransaction back (with the fault point subtransaction_rollback on its first attempt). With
// `recover` the probe handles the error, as the bulk functions' bad-row search does, and goes on
// using the transaction: it returns the rows of sub_t it sees.
Datum subtransaction_fault(FunctionCallInfo fcinfo) {
  g_probe_state = ProbeState{};
  std::string kind = pg::text_arg(fcinfo, 0);
  bool recover = PG_GETARG_BOOL(1);
  pg::SpiSession spi;
  MemoryContext outer = CurrentMemoryContext;
  try {
    DestructorWitness witness;
    pg::Subtransaction sub;
    spi.execute("INSERT INTO pgfast_test.sub_t VALUES (1)", false);
    raise_kind(kind, "inside a subtransaction");
    sub.commit();
  } catch (...) {
    g_probe_state.context_restored = CurrentMemoryContext == outer;
    if (!recover) throw;
    g_probe_state.caught_sqlstate = "recovered";
  }
  // Not read-only: a read-only SPI statement would not see this command's own insert.
  spi.execute("SELECT count(*) FROM pgfast_test.sub_t", false);
  return pg::text_datum("rows=" + spi.text_not_null(0, 0));
}

// pgfast_test.holdoff_after_error(): holds interrupts (as code holding an LWLock does), lets a
// pg::call catch an ERROR (which zeroes the holdoff count), resumes. True when the count is back
// where it was; otherwise the backend would never process a cancel again (the count is put back
// before returning either way, so a failing run does not hang the rest of the test).
Datum holdoff_after_error() {
  const uint32 before = InterruptHoldoffCount;
  HOLD_INTERRUPTS();
  try {
    fail_inside_call("pg_error");
  } catch (const Error&) {
  }
  RESUME_INTERRUPTS();
  bool balanced = InterruptHoldoffCount == before;
  InterruptHoldoffCount = before;
  return BoolGetDatum(balanced);
}

std::string work_mem() {
  return pg::call([] { return GetConfigOptionByName("work_mem", nullptr, false); });
}

// pgfast_test.local_settings_fault(kind, recover): sets work_mem to 1234kB in a pg::LocalSettings
// scope, then fails with `kind` ('none': leaves the scope normally). The scope restores the
// setting (with the fault point local_settings_restore). Returns work_mem as seen after the scope
// (with `recover`, after handling the error).
Datum local_settings_fault(FunctionCallInfo fcinfo) {
  g_probe_state = ProbeState{};
  std::string kind = pg::text_arg(fcinfo, 0);
  bool recover = PG_GETARG_BOOL(1);
  try {
    DestructorWitness witness;
    pg::LocalSettings settings;
    settings.set("work_mem", "1234kB");
    raise_kind(kind, "inside a settings scope");
  } catch (...) {
    if (!recover) throw;
    g_probe_state.caught_sqlstate = "recovered";
  }
  return pg::text_datum("work_mem=" + work_mem());
}

}  // namespace

extern "C" {
PG_FUNCTION_INFO_V1(pgfast_test_call_fault);
Datum pgfast_test_call_fault(PG_FUNCTION_ARGS) {
  return pg::sql_entry([&] { return call_fault(fcinfo); });
}

PG_FUNCTION_INFO_V1(pgfast_test_holdoff_after_error);
Datum pgfast_test_holdoff_after_error(PG_FUNCTION_ARGS) {
  (void)fcinfo;
  return pg::sql_entry([] { return holdoff_after_error(); });
}

PG_FUNCTION_INFO_V1(pgfast_test_subtransaction_fault);
Datum pgfast_test_subtransaction_fault(PG_FUNCTION_ARGS) {
  return pg::sql_entry([&] { return subtransaction_fault(fcinfo); });
}

PG_FUNCTION_INFO_V1(pgfast_test_local_settings_fault);
Datum pgfast_test_local_settings_fault(PG_FUNCTION_ARGS) {
  return pg::sql_entry([&] { return local_settings_fault(fcinfo); });
}
}
