#include "core/row_error.hpp"

#include <utility>

namespace pgfast {

std::string row_detail(int64_t row, const std::string& column, const std::string& detail) {
  std::string out = kRowDetailKey + std::to_string(row);
  if (!column.empty()) {
    out += kColumnDetailKey;
    out += '"';
    for (char c : column) {
      if (c == '"') out += '"';
      out += c;
    }
    out += '"';
  }
  if (!detail.empty()) out += "\n" + detail;
  return out;
}

Error row_error(std::string sqlstate, const std::string& message, int64_t row,
                const std::string& column, const std::string& detail, std::string hint) {
  return Error(std::move(sqlstate), message, row_detail(row, column, detail), std::move(hint));
}

}  // namespace pgfast
