// Row streaming: RowStream and Connection::stream built on it.
#include "pgfast/db/row_stream.hpp"

namespace pgfast {

RowStream::RowStream(Connection& connection, std::string_view sql, const Params& params)
    : conn_(connection) {
  conn_.send_single_row_query(sql, params);
  advance();
}

RowStream::~RowStream() {
  // Left before the end: without the cancel, draining would read every remaining row.
  if (!drained_) conn_.cancel_and_drain();
}

void RowStream::advance() {
  current_ = Result();
  if (drained_) return;
  try {
    current_ = conn_.next_streamed_row();
  } catch (...) {
    drained_ = true;  // next_streamed_row() drains before it throws
    throw;
  }
  if (finished()) {
    drained_ = true;
  } else {
    ++count_;
  }
}

std::uint64_t Connection::stream(std::string_view sql, const Params& params,
                                 const std::function<void(const Row&)>& on_row) {
  RowStream rows(*this, sql, params);
  for (Row row : rows) on_row(row);
  return rows.count();
}

}  // namespace pgfast
