#include "pg/guard.hpp"

#include <cstring>
#include <new>
#include <string>

#include "pg/fault_points.hpp"

extern "C" {
#include "utils/elog.h"
}

namespace pgfast::pg {

namespace {

// Copies src into dst[size], truncating; PostgreSQL's port.h redefines snprintf, so no stdio here.
void copy_truncated(char* dst, size_t size, const char* src) noexcept {
  size_t n = 0;
  if (src != nullptr) {
    for (; n + 1 < size && src[n] != '\0'; ++n) dst[n] = src[n];
  }
  dst[n] = '\0';
}

int sqlstate_to_errcode(const char* code) {
  return MAKE_SQLSTATE(code[0], code[1], code[2], code[3], code[4]);
}

}  // namespace

void PendingError::set(const char* code, const char* msg, const char* det,
                       const char* hnt) noexcept {
  copy_truncated(sqlstate, sizeof sqlstate, code);
  copy_truncated(message, sizeof message, msg);
  copy_truncated(detail, sizeof detail, det);
  copy_truncated(hint, sizeof hint, hnt);
}

void capture_current_exception(PendingError& out) noexcept {
  try {
    throw;
  } catch (const Error& e) {
    out.set(e.sqlstate().c_str(), e.what(), e.detail().c_str(), e.hint().c_str());
  } catch (const std::bad_alloc&) {
    out.set(sqlstate::kOutOfMemory, "out of memory in pgfast");
  } catch (const std::exception& e) {
    out.set(sqlstate::kInternalError, e.what(), "", "This is a bug in pgfast: please report it.");
  } catch (...) {
    out.set(sqlstate::kInternalError, "unknown C++ exception in pgfast", "",
            "This is a bug in pgfast: please report it.");
  }
}

void raise_pending(const PendingError& pending) {
  ereport(ERROR, (errcode(sqlstate_to_errcode(pending.sqlstate)), errmsg("%s", pending.message),
                  pending.detail[0] ? errdetail("%s", pending.detail) : 0,
                  pending.hint[0] ? errhint("%s", pending.hint) : 0));
  pg_unreachable();
}

namespace detail {

// Builds the C++ exception from PostgreSQL's error data, then frees the data and throws. Null
// data (copying it failed, out of memory) gives a fixed error that keeps the original SQLSTATE,
// so a cancel stays a cancel.
[[noreturn]] static void throw_error_data(ErrorData* edata, int sqlerrcode) {
  if (edata == nullptr) {
    throw Error(unpack_sql_state(sqlerrcode),
                "out of memory while copying a PostgreSQL error in pgfast",
                "The original error message was lost; its SQLSTATE is kept.");
  }
  std::string code;
  std::string message;
  std::string detail;
  std::string hint;
  try {
    code = unpack_sql_state(edata->sqlerrcode);
    message = edata->message ? edata->message : "unknown PostgreSQL error";
    detail = edata->detail ? edata->detail : "";
    hint = edata->hint ? edata->hint : "";
  } catch (...) {
    FreeErrorData(edata);
    throw;
  }
  FreeErrorData(edata);
  throw Error(std::move(code), message, std::move(detail), std::move(hint));
}

// CopyErrorData into `into`, itself guarded: it allocates, and an error there (out of memory)
// must not longjmp out of the caller's PG_CATCH past C++ frames. Null when copying failed.
static ErrorData* copy_error_data(MemoryContext into) noexcept {
  ErrorData* volatile copy = nullptr;
  PG_TRY();
  {
    if (fault_at("guard_copy_error") != Fault::kNone)
      ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY),
                      errmsg("pgfast: injected fault at guard_copy_error")));
    copy = CopyErrorData();
  }
  PG_CATCH();
  {
    // An ERROR leaves CurrentMemoryContext at ErrorContext; the caller flushes the error state.
    MemoryContextSwitchTo(into);
    copy = nullptr;
  }
  PG_END_TRY();
  return copy;
}

void invoke_pg(Trampoline fn, void* ctx) {
  MemoryContext caller_context = CurrentMemoryContext;
  // An ERROR zeroes the interrupt holdoff counts (the abort that normally follows expects that).
  // The C++ caller goes on instead, possibly inside its own HOLD_INTERRUPTS (an LWLock it holds),
  // so its counts come back; otherwise its later RESUME_INTERRUPTS would underflow them and no
  // cancel would ever be processed again in this backend.
  const uint32 interrupt_holdoff = InterruptHoldoffCount;
  const uint32 cancel_holdoff = QueryCancelHoldoffCount;
  ErrorData* volatile edata = nullptr;
  volatile int sqlerrcode = 0;
  volatile bool failed = false;
  PG_TRY();
  { fn(ctx); }
  PG_CATCH();
  {
    MemoryContextSwitchTo(caller_context);
    InterruptHoldoffCount = interrupt_holdoff;
    QueryCancelHoldoffCount = cancel_holdoff;
    sqlerrcode = geterrcode();
    edata = copy_error_data(caller_context);
    FlushErrorState();
    failed = true;
  }
  PG_END_TRY();
  if (failed) throw_error_data(edata, sqlerrcode);
}

void report_cleanup_failure(const char* what) noexcept {
  PendingError failure;
  capture_current_exception(failure);
  if (std::strcmp(failure.sqlstate, sqlstate::kQueryCanceled) == 0) {
    // Cleanup cannot propagate the cancel: keep it pending for the next CHECK_FOR_INTERRUPTS.
    QueryCancelPending = true;
    InterruptPending = true;
  }
  try {
    call([what, &failure] {
      ereport(WARNING, (errcode(sqlstate_to_errcode(failure.sqlstate)),
                        errmsg("pgfast: %s failed: %s", what, failure.message)));
    });
  } catch (...) {
    // Even the warning failed (out of memory): nothing more can be done from cleanup.
  }
}

}  // namespace detail

void check_for_interrupts() {
  call([] { CHECK_FOR_INTERRUPTS(); });
}

}  // namespace pgfast::pg
