// Reading a jsonb `options` argument (every pgfast function takes one): its keys with their JSON
// type and value, read by walking the jsonb itself (no query).
#pragma once

#include <string>
#include <vector>

#include "pg/postgres.hpp"

namespace pgfast::pg {

struct JsonOption {
  std::string key;
  std::string type;                 // jsonb_typeof: string, number, boolean, array, object, null
  std::string text;                 // value #>> '{}' ("null" for JSON null)
  std::vector<std::string> values;  // an array's elements as text
  bool all_strings = true;          // every element of the array is a JSON string
};

// The options object's entries, sorted by key. NULL: none. Errors 22023 unless a JSON object.
std::vector<JsonOption> read_options(FunctionCallInfo fcinfo, int n);

// Helpers that check one entry's type (22023 naming the option otherwise).
bool option_bool(const JsonOption& option);
std::string option_string(const JsonOption& option);
std::vector<std::string> option_strings(const JsonOption& option);  // array of strings
[[noreturn]] void unknown_option(const JsonOption& option, const char* known);

}  // namespace pgfast::pg
