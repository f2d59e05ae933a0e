#include "pg/json_options.hpp"

#include "core/error.hpp"
#include "pg/jsonb_walk.hpp"

namespace pgfast::pg {

std::vector<JsonOption> read_options(FunctionCallInfo fcinfo, int n) {
  std::vector<JsonOption> out;
  if (PG_ARGISNULL(n)) return out;
  Jsonb* options = jsonb_arg(fcinfo, n);
  if (!JB_ROOT_IS_OBJECT(options)) {
    throw Error(sqlstate::kInvalidParameterValue, "options must be a JSON object");
  }
  for (const JsonbField& field : jsonb_fields(&options->root)) {
    JsonOption o;
    o.key = field.key;
    o.type = jsonb_type_name(field.value);
    o.text = jsonb_value_text(field.value);
    if (o.type == "array") {
      for (const JsonbValue& element : jsonb_elements(field.value.val.binary.data)) {
        o.all_strings = o.all_strings && element.type == jbvString;
        o.values.push_back(jsonb_value_text(element));
      }
    }
    out.push_back(std::move(o));
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
