// Test-only SQL functions that prove the C++/PostgreSQL boundary (sql/boundary.sql), in the test
// module pgfast_testing.so. They are not part of the extension's SQL script: the regression test
// creates them in its own schema (pgfast_test), which only a superuser can do.
#include <chrono>
#include <new>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "pg/datum.hpp"
#include "pg/guard.hpp"
#include "pg/memory.hpp"
#include "pg/spi.hpp"
#include "testing/probe_state.hpp"

namespace pgfast::testing {

ProbeState g_probe_state;

void raise_kind(const std::string& kind, const char* where) {
  if (kind == "none") return;
  if (kind == "error")
    throw Error(sqlstate::kInvalidParameterValue, std::string("probe: thrown ") + where);
  if (kind == "bad_alloc") throw std::bad_alloc();
  if (kind == "int") throw 42;
  if (kind == "pg_error") {
    pg::call([where] {
      ereport(ERROR, (errcode(ERRCODE_DIVISION_BY_ZERO), errmsg("probe: ERROR raised %s", where)));
    });
  }
  throw Error(sqlstate::kInvalidParameterValue, "unknown kind \"" + kind + "\"");
}

}  // namespace pgfast::testing

namespace {

using pgfast::testing::DestructorWitness;
using pgfast::testing::g_probe_state;
using pgfast::testing::ProbeState;

// pgfast_test.throw_cpp(kind, sqlstate, message): throws a C++ exception of `kind`
// (pgfast | std | bad_alloc | int) from inside an SQL function.
Datum throw_cpp(FunctionCallInfo fcinfo) {
  std::string kind = pgfast::pg::text_arg(fcinfo, 0);
  std::string code = pgfast::pg::text_arg(fcinfo, 1);
  std::string message = pgfast::pg::text_arg(fcinfo, 2);
  if (kind == "pgfast") throw pgfast::Error(code, message, "thrown as pgfast::Error", "a hint");
  if (kind == "std") throw std::runtime_error(message);
  if (kind == "bad_alloc") throw std::bad_alloc();
  if (kind == "int") throw 42;
  throw pgfast::Error(pgfast::sqlstate::kInvalidParameterValue, "unknown kind \"" + kind + "\"");
}

// pgfast_test.spi_error(sql): runs `sql` through SPI inside the call guard, with a C++ object that
// has a destructor and a scoped memory context alive. A PostgreSQL error must come back as a C++
// exception (recorded in the probe state) with the memory context of the call site restored, unwind
// the C++ frames (destructors run, contexts put back) and then reach the client with its SQLSTATE.
Datum spi_error(FunctionCallInfo fcinfo) {
  g_probe_state = ProbeState{};
  std::string sql = pgfast::pg::text_arg(fcinfo, 0);
  MemoryContext outer = CurrentMemoryContext;
  bool restored_at_guard = false;
  bool restored_after_spi = false;
  try {
    DestructorWitness witness;
    pgfast::pg::ScopedMemoryContext scratch("pgfast probe");
    MemoryContext inner = CurrentMemoryContext;
    try {
      pgfast::pg::SpiSession spi;
      MemoryContext at_call = CurrentMemoryContext;
      try {
        spi.execute(sql, false);
        restored_at_guard = CurrentMemoryContext == at_call;
      } catch (const pgfast::Error& e) {
        restored_at_guard = CurrentMemoryContext == at_call;
        g_probe_state.caught_sqlstate = e.sqlstate();
        throw;
      }
    } catch (const pgfast::Error&) {
      restored_after_spi = CurrentMemoryContext == inner;
      throw;
    }
    restored_after_spi = CurrentMemoryContext == inner;
  } catch (const pgfast::Error&) {
    g_probe_state.context_restored =
        restored_at_guard && restored_after_spi && CurrentMemoryContext == outer;
    throw;
  }
  g_probe_state.context_restored =
      restored_at_guard && restored_after_spi && CurrentMemoryContext == outer;
  return pgfast::pg::text_datum("no error");
}

// pgfast_test.spin(ms): a C++ loop that runs for `ms` milliseconds, holding heap memory, checking
// for interrupts on every iteration. Returns the number of iterations. A cancel must arrive as a
// C++ exception (SQLSTATE 57014, recorded in the probe state) that unwinds the loop.
Datum spin(FunctionCallInfo fcinfo) {
  g_probe_state = ProbeState{};
  int ms = PG_GETARG_INT32(0);
  MemoryContext outer = CurrentMemoryContext;
  int64 iterations = 0;
  try {
    DestructorWitness witness;
    std::vector<std::string> held(1000, std::string(100, 'x'));
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (std::chrono::steady_clock::now() < deadline) {
      pgfast::pg::check_for_interrupts();
      held[iterations % held.size()][0] = static_cast<char>('a' + iterations % 26);
      ++iterations;
    }
  } catch (const pgfast::Error& e) {
    g_probe_state.caught_sqlstate = e.sqlstate();
    g_probe_state.context_restored = CurrentMemoryContext == outer;
    throw;
  }
  g_probe_state.context_restored = CurrentMemoryContext == outer;
  return Int64GetDatum(iterations);
}

// pgfast_test.probe_state(): what the last probe observed.
Datum probe_state() {
  std::string out =
      "destructors_run=" + std::to_string(g_probe_state.destructors_run) +
      " context_restored=" + (g_probe_state.context_restored ? "true" : "false") +
      " caught_sqlstate=" +
      (g_probe_state.caught_sqlstate.empty() ? "none" : g_probe_state.caught_sqlstate);
  return pgfast::pg::text_datum(out);
}

}  // namespace

extern "C" {
PG_FUNCTION_INFO_V1(pgfast_test_throw_cpp);
Datum pgfast_test_throw_cpp(PG_FUNCTION_ARGS) {
  return pgfast::pg::sql_entry([&] { return throw_cpp(fcinfo); });
}

PG_FUNCTION_INFO_V1(pgfast_test_spi_error);
Datum pgfast_test_spi_error(PG_FUNCTION_ARGS) {
  return pgfast::pg::sql_entry([&] { return spi_error(fcinfo); });
}

PG_FUNCTION_INFO_V1(pgfast_test_spin);
Datum pgfast_test_spin(PG_FUNCTION_ARGS) {
  return pgfast::pg::sql_entry([&] { return spin(fcinfo); });
}

PG_FUNCTION_INFO_V1(pgfast_test_probe_state);
Datum pgfast_test_probe_state(PG_FUNCTION_ARGS) {
  (void)fcinfo;
  return pgfast::pg::sql_entry([] { return probe_state(); });
}
}
