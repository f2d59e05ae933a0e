// The payloads of pgfast.notify_changes (DESIGN 4.5), built in pure C++:
//   {"table":"public.t","op":"UPDATE","keys":[{"id": 1},{"id": 2}]}
//   {"table":"public.t","op":"TRUNCATE","all":true}
// Each payload stays within the NOTIFY limit (shorter than 8000 bytes).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace pgfast {

// How a key column's text output is written in JSON.
enum class JsonKind {
  number,   // written bare when the text is a JSON number (NaN, Infinity: as strings)
  boolean,  // PostgreSQL's t/f as true/false
  string,
};

// True when `text` is a JSON number (RFC 8259 grammar).
bool is_json_number(std::string_view text);

// Appends `"name": value` pairs as a JSON object: {"a": 1, "b": "x"}.
void append_key_json(std::string& out, const std::vector<std::string>& names,
                     const std::vector<JsonKind>& kinds, const std::vector<std::string>& texts);

class ChangePayloads {
 public:
  // Strictly shorter than this many bytes: PostgreSQL refuses payloads of 8000 bytes or more.
  static constexpr std::size_t kPayloadLimit = 8000;

  // `table` is the display name ("public.t", quoted where needed); `op` INSERT/UPDATE/...
  ChangePayloads(std::string_view table, std::string_view op);

  // {"table":..,"op":..,"all":true}
  std::string all() const;

  // The keys (each a JSON object) split into as few payloads as fit in order; {all()} when a
  // single key does not fit in a payload of its own.
  std::vector<std::string> batches(const std::vector<std::string>& keys) const;

 private:
  std::string head_;  // {"table":..,"op":..
};

}  // namespace pgfast
