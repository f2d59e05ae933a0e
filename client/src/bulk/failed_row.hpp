// Which input row (and column) the server blamed for an error, read only from structured places,
// never from the message: the DETAIL of a pgfast bulk function's error (its first line,
// `pgfast.row=<n>[ pgfast.column="<name>"]`, written by extension/core/row_error.hpp; the contract
// is in docs/bulk.md) and COPY's error context (PG_DIAG_CONTEXT, `COPY <relname>, line <n>[, column
// <name>]`, binary format).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pgfast {

struct FailedRow {
  std::optional<std::uint64_t> row;   // 1-based, within what the call was given
  std::optional<std::string> column;  // when one column of it is to blame
};

// From a bulk function's DETAIL; empty when its first line does not name a row.
FailedRow failed_row_from_detail(std::string_view detail);

// From COPY's error context into `relname` (unqualified, as COPY names it): the line number
// counts the tuples of that COPY from 1. Empty when no context line is COPY's for `relname`.
FailedRow failed_row_from_copy_context(std::string_view context, std::string_view relname);

}  // namespace pgfast
