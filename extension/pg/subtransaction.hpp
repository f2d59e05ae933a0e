// An internal subtransaction as RAII: the way C++ code recovers from a PostgreSQL error caught by
// pg::call (what plpgsql's EXCEPTION blocks do). Begin; run guarded calls; commit() on success.
// If the scope is left without commit() — a thrown pgfast::Error — the destructor rolls the
// subtransaction back, which undoes its work and releases its locks and SPI state, and restores
// the caller's memory context and resource owner. After that the transaction is usable again.
// The rollback runs through pg::cleanup_call, so it never throws out of the destructor; a rollback
// that fails twice ends the session (FATAL) rather than leave a subtransaction open.
#pragma once

#include "pg/postgres.hpp"

extern "C" {
#include "utils/resowner.h"
}

namespace pgfast::pg {

class Subtransaction {
 public:
  Subtransaction();
  ~Subtransaction();
  Subtransaction(const Subtransaction&) = delete;
  Subtransaction& operator=(const Subtransaction&) = delete;

  void commit();

 private:
  void close() noexcept;
  void restore() noexcept;

  MemoryContext context_;
  ResourceOwner owner_;
  int parent_level_;
  bool open_;
};

}  // namespace pgfast::pg
