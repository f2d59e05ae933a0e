#include "pg/guard.hpp"

#include <cstring>
#include <new>
#include <string>

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

// Builds the C++ exception from PostgreSQL's error data, then frees the data and throws.
[[noreturn]] static void throw_error_data(ErrorData* edata) {
  std::string code = unpack_sql_state(edata->sqlerrcode);
  std::string message = edata->message ? edata->message : "unknown PostgreSQL error";
  std::string detail = edata->detail ? edata->detail : "";
  std::string hint = edata->hint ? edata->hint : "";
  FreeErrorData(edata);
  throw Error(std::move(code), message, std::move(detail), std::move(hint));
}

void invoke_pg(void (*fn)(void*), void* ctx) {
  MemoryContext caller_context = CurrentMemoryContext;
  ErrorData* volatile edata = nullptr;
  PG_TRY();
  { fn(ctx); }
  PG_CATCH();
  {
    MemoryContextSwitchTo(caller_context);
    edata = CopyErrorData();
    FlushErrorState();
  }
  PG_END_TRY();
  if (edata != nullptr) throw_error_data(edata);
}

}  // namespace detail

void check_for_interrupts() {
  call([] { CHECK_FOR_INTERRUPTS(); });
}

}  // namespace pgfast::pg
