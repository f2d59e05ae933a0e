#include "pg/json_options.hpp"

#include "core/error.hpp"

extern "C" {
#include "catalog/pg_type.h"
}

namespace pgfast::pg {

std::vector<JsonOption> read_options(SpiSession& spi, FunctionCallInfo fcinfo, int n) {
  std::vector<JsonOption> out;
  if (PG_ARGISNULL(n)) return out;
  SpiArgs args;
  args.add(JSONBOID, PG_GETARG_DATUM(n));
  spi.execute("SELECT pg_catalog.jsonb_typeof($1)", args, true);
  if (spi.text(0, 0) != std::optional<std::string>("object")) {
    throw Error(sqlstate::kInvalidParameterValue, "options must be a JSON object");
  }
  spi.execute(
      "SELECT key, pg_catalog.jsonb_typeof(value), value #>> '{}' FROM "
      "pg_catalog.jsonb_each($1) ORDER BY key",
      args, true);
  for (uint64_t r = 0; r < spi.rows(); ++r) {
    JsonOption o;
    o.key = spi.text_not_null(r, 0);
    o.type = spi.text_not_null(r, 1);
    o.text = spi.text(r, 2).value_or("null");
    out.push_back(std::move(o));
  }
  for (JsonOption& o : out) {
    if (o.type != "array") continue;
    SpiArgs element_args = args;
    element_args.add_text(o.key);
    spi.execute(
        "SELECT pg_catalog.jsonb_typeof(e), e #>> '{}' FROM "
        "pg_catalog.jsonb_array_elements($1 -> $2) e",
        element_args, true);
    for (uint64_t r = 0; r < spi.rows(); ++r) {
      o.all_strings = o.all_strings && spi.text_not_null(r, 0) == "string";
      o.values.push_back(spi.text(r, 1).value_or("null"));
    }
  }
  return out;
}

bool option_bool(const JsonOption& option) {
  if (option.type != "boolean") {
    throw Error(sqlstate::kInvalidParameterValue,
                "option \"" + option.key + "\" must be true or false, got " + option.text);
  }
  return option.text == "true";
}

std::string option_string(const JsonOption& option) {
  if (option.type != "string" || option.text.empty()) {
    throw Error(sqlstate::kInvalidParameterValue,
                "option \"" + option.key + "\" must be a non-empty string, got " + option.text);
  }
  return option.text;
}

std::vector<std::string> option_strings(const JsonOption& option) {
  if (option.type != "array" || !option.all_strings) {
    throw Error(sqlstate::kInvalidParameterValue,
                "option \"" + option.key + "\" must be an array of strings, got " + option.text);
  }
  return option.values;
}

void unknown_option(const JsonOption& option, const char* known) {
  throw Error(sqlstate::kInvalidParameterValue, "unknown option \"" + option.key + "\"", "",
              std::string("Options are ") + known + ".");
}

}  // namespace pgfast::pg
