#include "bulk/failed_row.hpp"

namespace pgfast {

namespace {

// The decimal number at the start of `text` (consumed), if any and if it fits.
std::optional<std::uint64_t> take_number(std::string_view& text) {
  std::size_t n = 0;
  std::uint64_t value = 0;
  while (n < text.size() && text[n] >= '0' && text[n] <= '9') {
    const std::uint64_t digit = static_cast<std::uint64_t>(text[n] - '0');
    if (value > (UINT64_MAX - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
    ++n;
  }
  if (n == 0) return std::nullopt;
  text.remove_prefix(n);
  return value;
}

bool take_prefix(std::string_view& text, std::string_view prefix) {
  if (text.substr(0, prefix.size()) != prefix) return false;
  text.remove_prefix(prefix.size());
  return true;
}

// A double-quoted name with "" for each quote inside, at the start of `text`.
std::optional<std::string> take_quoted(std::string_view& text) {
  if (!take_prefix(text, "\"")) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '"') {
      out += text[i];
    } else if (i + 1 < text.size() && text[i + 1] == '"') {
      out += '"';
      ++i;
    } else {
      text.remove_prefix(i + 1);
      return out;
    }
  }
  return std::nullopt;  // unterminated
}

}  // namespace

FailedRow failed_row_from_detail(std::string_view detail) {
  FailedRow out;
  if (!take_prefix(detail, "pgfast.row=")) return out;
  std::optional<std::uint64_t> row = take_number(detail);
  if (!row || *row == 0) return out;
  if (take_prefix(detail, " pgfast.column=")) {
    std::optional<std::string> column = take_quoted(detail);
    if (!column) return out;
    out.column = std::move(column);
  }
  if (!detail.empty() && detail.front() != '\n') return FailedRow{};
  out.row = row;
  return out;
}

FailedRow failed_row_from_copy_context(std::string_view context, std::string_view relname) {
  while (!context.empty()) {
    const std::size_t end = context.find('\n');
    std::string_view line = context.substr(0, end);
    context = end == std::string_view::npos ? std::string_view() : context.substr(end + 1);
    if (!take_prefix(line, "COPY ") || !take_prefix(line, relname) ||
        !take_prefix(line, ", line ")) {
      continue;
    }
    std::optional<std::uint64_t> row = take_number(line);
    if (!row || *row == 0) continue;
    FailedRow out;
    out.row = row;
    if (take_prefix(line, ", column ") && !line.empty()) out.column = std::string(line);
    return out;
  }
  return FailedRow{};
}

}  // namespace pgfast
