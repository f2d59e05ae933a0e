// SPI through the call guard: connect/finish as RAII, statements as guarded calls.
#pragma once

#include <cstdint>
#include <string>

#include "pg/postgres.hpp"

extern "C" {
#include "executor/spi.h"
}

namespace pgfast::pg {

class SpiSession {
 public:
  SpiSession();
  // Finishes SPI on the normal path. While an exception unwinds, SPI is left to the transaction
  // abort that follows (AtEOXact_SPI), as calling into it is unsafe then; only the caller's memory
  // context is put back (SPI_connect had switched to SPI's own).
  ~SpiSession();
  SpiSession(const SpiSession&) = delete;
  SpiSession& operator=(const SpiSession&) = delete;

  // Runs `sql`; returns the number of rows processed. Results stay in SPI_tuptable until the next
  // statement or the end of the session.
  uint64_t execute(const std::string& sql, bool read_only, long max_rows = 0);

 private:
  int uncaught_at_start_;
  MemoryContext caller_context_;
};

}  // namespace pgfast::pg
