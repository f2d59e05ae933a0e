// Memory-context helpers (DESIGN 3, rule 4): per-call data lives in a context that is reset or
// deleted on exit, on the normal path and when a C++ exception unwinds.
#pragma once

#include "pg/postgres.hpp"

namespace pgfast::pg {

// Switches CurrentMemoryContext to `target` for the scope; restores the previous one on exit.
class MemoryContextSwitch {
 public:
  explicit MemoryContextSwitch(MemoryContext target) noexcept
      : previous_(MemoryContextSwitchTo(target)) {}
  ~MemoryContextSwitch() { MemoryContextSwitchTo(previous_); }
  MemoryContextSwitch(const MemoryContextSwitch&) = delete;
  MemoryContextSwitch& operator=(const MemoryContextSwitch&) = delete;

 private:
  MemoryContext previous_;
};

// A child memory context of the current one, made current for the scope and deleted on exit.
// Use it for per-call or per-batch allocations; reset() frees them between batches.
class ScopedMemoryContext {
 public:
  // `name` must outlive the context: pass a string literal.
  explicit ScopedMemoryContext(const char* name);
  ~ScopedMemoryContext();
  ScopedMemoryContext(const ScopedMemoryContext&) = delete;
  ScopedMemoryContext& operator=(const ScopedMemoryContext&) = delete;

  MemoryContext get() const noexcept { return context_; }
  // Frees everything allocated in the context so far.
  void reset() noexcept { MemoryContextReset(context_); }

 private:
  MemoryContext context_;
  MemoryContext previous_;
};

}  // namespace pgfast::pg
