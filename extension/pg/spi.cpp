#include "pg/spi.hpp"

#include <exception>

#include "pg/guard.hpp"

namespace pgfast::pg {

SpiSession::SpiSession()
    : uncaught_at_start_(std::uncaught_exceptions()), caller_context_(CurrentMemoryContext) {
  int rc = call([] { return SPI_connect(); });
  if (rc != SPI_OK_CONNECT) {
    throw Error(sqlstate::kInternalError,
                "SPI_connect failed: " + std::string(SPI_result_code_string(rc)));
  }
}

SpiSession::~SpiSession() {
  if (std::uncaught_exceptions() > uncaught_at_start_) {
    MemoryContextSwitchTo(caller_context_);
    return;
  }
  SPI_finish();
}

uint64_t SpiSession::execute(const std::string& sql, bool read_only, long max_rows) {
  const char* text = sql.c_str();
  int rc = call([text, read_only, max_rows] { return SPI_execute(text, read_only, max_rows); });
  if (rc < 0) {
    throw Error(sqlstate::kInternalError,
                "SPI_execute failed: " + std::string(SPI_result_code_string(rc)));
  }
  return SPI_processed;
}

}  // namespace pgfast::pg
