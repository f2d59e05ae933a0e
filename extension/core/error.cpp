#include "core/error.hpp"

#include <utility>

namespace pgfast {

bool is_valid_sqlstate(const std::string& code) noexcept {
  if (code.size() != 5) return false;
  for (char c : code) {
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'))) return false;
  }
  return true;
}

Error::Error(std::string sqlstate, const std::string& message, std::string detail, std::string hint)
    : std::runtime_error(message),
      sqlstate_(is_valid_sqlstate(sqlstate) ? std::move(sqlstate) : sqlstate::kInternalError),
      detail_(std::move(detail)),
      hint_(std::move(hint)) {}

std::string message_and_detail(const Error& e) {
  std::string text = e.what();
  if (!e.detail().empty()) text += " (" + e.detail() + ")";
  return text;
}

}  // namespace pgfast
