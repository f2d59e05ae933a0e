// pgfast_test.inject_fault(point, kind) arms a fault point of pgfast.so (extension/pg/
// fault_points.hpp) by setting pgfast_fault_hook; pgfast_test.capture_failures() reads the
// slow-query capture failure counter. Backend-local, like everything a test session arms.
#include <cstring>
#include <string>

#include "core/error.hpp"
#include "pg/datum.hpp"
#include "pg/fault_points.hpp"
#include "pg/guard.hpp"
#include "slowlog/hooks.hpp"

namespace {

namespace pg = pgfast::pg;

struct ArmedFault {
  char point[64];
  pg::Fault fault;
  bool cancel;  // arm a query cancel before the fault point runs CHECK_FOR_INTERRUPTS
};
constexpr int kMaxArmed = 8;
ArmedFault armed[kMaxArmed];
int armed_count = 0;

// The hook pgfast.so calls at each fault point: no allocation, no PostgreSQL call.
int fault_hook(const char* point) noexcept {
  for (int i = 0; i < armed_count; ++i) {
    if (std::strcmp(armed[i].point, point) != 0) continue;
    if (armed[i].cancel) {
      QueryCancelPending = true;
      InterruptPending = true;
    }
    return static_cast<int>(armed[i].fault);
  }
  return 0;
}

void disarm(const std::string& point) {
  for (int i = 0; i < armed_count; ++i) {
    if (point != armed[i].point) continue;
    armed[i] = armed[armed_count - 1];
    --armed_count;
    break;
  }
  if (armed_count == 0) pgfast_fault_hook = nullptr;
}

// kind: off | error | bad_alloc | pg_error | cancel.
Datum inject_fault(const std::string& point, const std::string& kind) {
  if (point.empty() || point.size() >= sizeof armed[0].point)
    throw pgfast::Error(pgfast::sqlstate::kInvalidParameterValue, "bad fault point name");
  disarm(point);
  if (kind == "off") return pg::text_datum(point + ": off");
  ArmedFault fault{};
  std::memcpy(fault.point, point.c_str(), point.size() + 1);
  if (kind == "error") {
    fault.fault = pg::Fault::kError;
  } else if (kind == "bad_alloc") {
    fault.fault = pg::Fault::kBadAlloc;
  } else if (kind == "pg_error") {
    fault.fault = pg::Fault::kPgError;
  } else if (kind == "cancel") {
    fault.fault = pg::Fault::kInterrupts;
    fault.cancel = true;
  } else {
    throw pgfast::Error(pgfast::sqlstate::kInvalidParameterValue,
                        "unknown fault kind \"" + kind + "\"",
                        "Use off, error, bad_alloc, pg_error or cancel.");
  }
  if (armed_count == kMaxArmed)
    throw pgfast::Error(pgfast::sqlstate::kInvalidParameterValue, "too many armed faults");
  armed[armed_count++] = fault;
  pgfast_fault_hook = fault_hook;
  return pg::text_datum(point + ": " + kind);
}

}  // namespace

extern "C" {
// pgfast_test.inject_fault(point text, kind text)
PG_FUNCTION_INFO_V1(pgfast_test_inject_fault);
Datum pgfast_test_inject_fault(PG_FUNCTION_ARGS) {
  return pg::sql_entry(
      [&] { return inject_fault(pg::text_arg(fcinfo, 0), pg::text_arg(fcinfo, 1)); });
}

// pgfast_test.inject_fault(point text, enabled bool): 'error' or 'off'.
PG_FUNCTION_INFO_V1(pgfast_test_inject_fault_bool);
Datum pgfast_test_inject_fault_bool(PG_FUNCTION_ARGS) {
  return pg::sql_entry(
      [&] { return inject_fault(pg::text_arg(fcinfo, 0), PG_GETARG_BOOL(1) ? "error" : "off"); });
}

// pgfast_test.capture_failures(): captures this backend dropped because capturing failed.
PG_FUNCTION_INFO_V1(pgfast_test_capture_failures);
Datum pgfast_test_capture_failures(PG_FUNCTION_ARGS) {
  (void)fcinfo;
  return pg::sql_entry([] {
    return Int64GetDatum(static_cast<int64>(pgfast::slowlog::backend_capture_failures_count()));
  });
}
}
