// The C++/PostgreSQL boundary (DESIGN section 3).
//
// PostgreSQL reports errors by longjmp (ereport); C++ by exceptions. Neither may cross the other:
//
//  * sql_entry(body) wraps the body of every function PostgreSQL calls (SQL functions, hooks,
//    callbacks, background-worker mains). It catches every C++ exception and raises it as
//    ereport(ERROR) only after the body's C++ frames are gone: what it keeps of the exception sits
//    in a plain struct, so the longjmp skips no destructor.
//
//  * call(fn) wraps each call from C++ into PostgreSQL code that can ereport. It runs fn under
//    PG_TRY; on error it restores the caller's CurrentMemoryContext, copies and flushes the error
//    and throws pgfast::Error with the original SQLSTATE, message, detail and hint, so C++
//    destructors run as the exception unwinds. fn must only call PostgreSQL: no object with a
//    non-trivial destructor may live in its frame, because a longjmp out of it would skip that
//    destructor. The trampoline that runs fn under PG_TRY is noexcept (its type says so): a C++
//    exception fn throws anyway is caught inside it and rethrown by call() after PG_END_TRY, so
//    no exception ever unwinds through PG_TRY's frame (that would leave PG_exception_stack
//    pointing at a dead frame).
//
//  * cleanup_call(what, fn) is call() for destructors and other cleanup that must not throw: a
//    failure becomes a WARNING and a false result.
//
// A PostgreSQL error caught by call() leaves the transaction in a state where only cleanup is safe:
// rethrow it (sql_entry re-raises it and the transaction aborts) or run the call inside a
// Subtransaction (extension/pg/subtransaction.hpp) and roll that back.
#pragma once

#include <exception>
#include <type_traits>
#include <utility>

#include "core/error.hpp"
#include "pg/postgres.hpp"

namespace pgfast::pg {

// What sql_entry keeps of an exception between catching it and raising it: no destructor, so
// the longjmp from ereport leaks nothing. Longer texts are truncated.
struct PendingError {
  char sqlstate[6];
  char message[2048];
  char detail[1024];
  char hint[512];

  void set(const char* code, const char* msg, const char* det = "", const char* hnt = "") noexcept;
};

// Fills `out` from the exception currently being handled (call only inside a catch block).
void capture_current_exception(PendingError& out) noexcept;

// ereport(ERROR) with the pending error. Never returns.
[[noreturn]] void raise_pending(const PendingError& pending);

// Runs body(), catching every C++ exception into `pending`; false when one was caught. For code
// that must go on after a failure (the slow-query hooks); SQL functions use sql_entry.
template <typename Body>
bool run_guarded(Body& body, PendingError& pending) noexcept {
  try {
    body();
    return true;
  } catch (...) {
    capture_current_exception(pending);
    return false;
  }
}

namespace detail {
template <typename Body>
bool run_catching(Body& body, Datum& result, PendingError& pending) noexcept {
  try {
    result = body();
    return true;
  } catch (...) {
    capture_current_exception(pending);
    return false;
  }
}

// What runs under PG_TRY: noexcept, so an escaping C++ exception calls std::terminate instead of
// unwinding through sigsetjmp's frame. call() builds one that catches everything itself.
using Trampoline = void (*)(void*) noexcept;

// Runs fn(ctx) under PG_TRY; turns a PostgreSQL error into a thrown pgfast::Error.
void invoke_pg(Trampoline fn, void* ctx);

// Reports the exception being handled as a WARNING naming `what` (inside a catch block only). A
// query cancel (57014) cannot be propagated from cleanup, so it is re-armed: the next
// CHECK_FOR_INTERRUPTS raises it again.
void report_cleanup_failure(const char* what) noexcept;
}  // namespace detail

// Rule 1: the one guard around the C++ body of every function PostgreSQL calls.
// `body` returns the Datum to hand back (use a void-returning overload for hooks).
template <typename Body>
Datum sql_entry(Body&& body) {
  // The body object outlives the catch and is skipped by raise_pending's longjmp.
  static_assert(std::is_trivially_destructible_v<std::remove_reference_t<Body>>,
                "sql_entry bodies must capture by reference");
  PendingError pending;
  Datum result = 0;
  if (detail::run_catching(body, result, pending)) return result;
  raise_pending(pending);
}

// Rule 1 for callbacks that return nothing (hooks, bgworker mains).
template <typename Body>
void sql_entry_void(Body&& body) {
  auto as_datum = [&body]() -> Datum {
    body();
    return 0;
  };
  sql_entry(as_datum);
}

// Rule 2: the guard around one call into PostgreSQL. Returns what fn returns; that must be a
// trivially destructible type (pointers, Datum, integers). A C++ exception thrown by fn is caught
// inside the PG_TRY, kept in this frame (outside it) and rethrown after PG_END_TRY.
template <typename Fn>
auto call(Fn&& fn) -> decltype(fn()) {
  using Result = decltype(fn());
  using FnRef = std::remove_reference_t<Fn>;
  constexpr bool kVoid = std::is_void_v<Result>;
  using Stored = std::conditional_t<kVoid, char, Result>;
  static_assert(std::is_trivially_destructible_v<Stored>,
                "pg::call may only return trivially destructible values");
  struct Context {
    FnRef* fn;
    Stored result;
    std::exception_ptr thrown;
  } context{&fn, Stored{}, nullptr};
  detail::invoke_pg(
      [](void* ctx) noexcept {
        auto* c = static_cast<Context*>(ctx);
        try {
          if constexpr (kVoid) {
            (*c->fn)();
          } else {
            c->result = (*c->fn)();
          }
        } catch (...) {
          // Nothing here calls PostgreSQL, so no longjmp can leave this handler.
          c->thrown = std::current_exception();
        }
      },
      &context);
  if (context.thrown) std::rethrow_exception(context.thrown);
  if constexpr (kVoid) {
    return;
  } else {
    return context.result;
  }
}

// call() for cleanup (destructors, restore paths) that must not throw: true when fn ran; on any
// failure (a PostgreSQL error or a C++ exception) it warns, naming `what`, and returns false.
template <typename Fn>
bool cleanup_call(const char* what, Fn&& fn) noexcept {
  try {
    call(fn);
    return true;
  } catch (...) {
    detail::report_cleanup_failure(what);
    return false;
  }
}

// CHECK_FOR_INTERRUPTS() through the guard: a pending cancel or timeout becomes a thrown
// pgfast::Error (SQLSTATE 57014), which unwinds the C++ loop that called it.
void check_for_interrupts();

}  // namespace pgfast::pg
