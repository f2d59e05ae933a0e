#include "pg/json_options.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "catalog/pg_collation.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/varlena.h"
}

namespace pgfast::pg {

namespace {

// jsonb_typeof's name for a value (a nested container is an array or an object).
const char* type_name(const JsonbValue& value) {
  switch (value.type) {
    case jbvNull:
      return "null";
    case jbvString:
      return "string";
    case jbvNumeric:
      return "number";
    case jbvBool:
      return "boolean";
    case jbvBinary:
      return JsonContainerIsArray(value.val.binary.data) ? "array" : "object";
    default:
      return "unknown";
  }
}

// What `value #>> '{}'` gives: a string's text, the JSON text of anything else, "null" for null.
std::string value_text(const JsonbValue& value) {
  switch (value.type) {
    case jbvNull:
      return "null";
    case jbvString:
      return std::string(value.val.string.val, static_cast<size_t>(value.val.string.len));
    case jbvBool:
      return value.val.boolean ? "true" : "false";
    default:
      break;
  }
  const JsonbValue* v = &value;
  char* text = call([v] {
    if (v->type == jbvNumeric) {
      return DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v->val.numeric)));
    }
    return JsonbToCString(nullptr, v->val.binary.data, v->val.binary.len);
  });
  std::string out(text);
  call([text] { pfree(text); });
  return out;
}

// The next token of `it` (one level: nested containers come back whole, as jbvBinary).
JsonbIteratorToken next(JsonbIterator** it, JsonbValue* value) {
  return call([it, value] { return JsonbIteratorNext(it, value, true); });
}

// ORDER BY key: the database's default collation, as the SQL this replaced sorted.
bool collated_less(const std::string& a, const std::string& b) {
  const std::string* x = &a;
  const std::string* y = &b;
  return call([x, y] {
    return varstr_cmp(x->data(), static_cast<int>(x->size()), y->data(),
                      static_cast<int>(y->size()), DEFAULT_COLLATION_OID) < 0;
  });
}

void read_elements(JsonOption& option, JsonbContainer* array) {
  JsonbIterator* it = call([array] { return JsonbIteratorInit(array); });
  JsonbValue value;
  JsonbIteratorToken token;
  while ((token = next(&it, &value)) != WJB_DONE) {
    if (token != WJB_ELEM) continue;
    option.all_strings = option.all_strings && value.type == jbvString;
    option.values.push_back(value_text(value));
  }
}

}  // namespace

std::vector<JsonOption> read_options(FunctionCallInfo fcinfo, int n) {
  std::vector<JsonOption> out;
  if (PG_ARGISNULL(n)) return out;
  Jsonb* options = call([fcinfo, n] { return PG_GETARG_JSONB_P(n); });
  if (!JB_ROOT_IS_OBJECT(options)) {
    throw Error(sqlstate::kInvalidParameterValue, "options must be a JSON object");
  }
  JsonbIterator* it = call([options] { return JsonbIteratorInit(&options->root); });
  JsonbValue value;
  JsonbIteratorToken token;
  std::string key;
  while ((token = next(&it, &value)) != WJB_DONE) {
    if (token == WJB_KEY) {
      key.assign(value.val.string.val, static_cast<size_t>(value.val.string.len));
    } else if (token == WJB_VALUE) {
      JsonOption o;
      o.key = key;
      o.type = type_name(value);
      o.text = value_text(value);
      if (o.type == "array") read_elements(o, value.val.binary.data);
      out.push_back(std::move(o));
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const JsonOption& a, const JsonOption& b) {
    return collated_less(a.key, b.key);
  });
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
