#include "core/sql_text.hpp"

#include "core/error.hpp"

namespace pgfast {

std::string quote_identifier(std::string_view name) {
  if (name.empty()) {
    throw Error(sqlstate::kInvalidParameterValue, "invalid identifier: it is empty");
  }
  std::string out;
  out.reserve(name.size() + 2);
  out.push_back('"');
  for (char c : name) {
    if (c == '\0') {
      throw Error(sqlstate::kInvalidParameterValue, "invalid identifier: it contains a NUL byte");
    }
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string quote_qualified(std::string_view schema, std::string_view name) {
  return quote_identifier(schema) + "." + quote_identifier(name);
}

std::string json_quote(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('"');
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          // Lower-case hex, as PostgreSQL's escape_json writes it.
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xf]);
        } else {
          out.push_back(ch);  // DEL and bytes >= 0x80 (UTF-8) are copied
        }
    }
  }
  out.push_back('"');
  return out;
}

}  // namespace pgfast
