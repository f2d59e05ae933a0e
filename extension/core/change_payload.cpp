#include "core/change_payload.hpp"

#include "core/sql_text.hpp"

namespace pgfast {

bool is_json_number(std::string_view s) {
  std::size_t i = 0;
  const std::size_t n = s.size();
  auto digit = [&](std::size_t k) { return k < n && s[k] >= '0' && s[k] <= '9'; };
  if (i < n && s[i] == '-') ++i;
  if (!digit(i)) return false;
  if (s[i] == '0') {
    ++i;
  } else {
    while (digit(i)) ++i;
  }
  if (i < n && s[i] == '.') {
    ++i;
    if (!digit(i)) return false;
    while (digit(i)) ++i;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digit(i)) return false;
    while (digit(i)) ++i;
  }
  return i == n;
}

void append_key_json(std::string& out, const std::vector<std::string>& names,
                     const std::vector<JsonKind>& kinds, const std::vector<std::string>& texts) {
  out += '{';
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ", ";
    out += json_quote(names[i]);
    out += ": ";
    const std::string& text = texts[i];
    if (kinds[i] == JsonKind::number && is_json_number(text)) {
      out += text;
    } else if (kinds[i] == JsonKind::boolean && (text == "t" || text == "f")) {
      out += text == "t" ? "true" : "false";
    } else {
      out += json_quote(text);
    }
  }
  out += '}';
}

ChangePayloads::ChangePayloads(std::string_view table, std::string_view op)
    : head_("{\"table\":" + json_quote(table) + ",\"op\":" + json_quote(op)) {}

std::string ChangePayloads::all() const {
  return head_ + ",\"all\":true}";
}

std::vector<std::string> ChangePayloads::batches(const std::vector<std::string>& keys) const {
  std::vector<std::string> out;
  const std::string open = head_ + ",\"keys\":[";
  const std::string close = "]}";
  // Room for the keys and their separating commas in one payload.
  const std::size_t fixed = open.size() + close.size();
  if (fixed >= kPayloadLimit) return {all()};
  const std::size_t room = kPayloadLimit - 1 - fixed;
  std::string current;
  for (const auto& key : keys) {
    if (key.size() > room) return {all()};
    if (!current.empty() && current.size() + 1 + key.size() > room) {
      out.push_back(open + current + close);
      current.clear();
    }
    if (!current.empty()) current += ',';
    current += key;
  }
  if (!current.empty()) out.push_back(open + current + close);
  return out;
}

}  // namespace pgfast
