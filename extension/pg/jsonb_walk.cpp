#include "pg/jsonb_walk.hpp"

#include <algorithm>

#include "pg/guard.hpp"

extern "C" {
#include "catalog/pg_collation.h"
#include "utils/builtins.h"
#include "utils/numeric.h"
#include "utils/varlena.h"
}

namespace pgfast::pg {

namespace {

// The next token of `it` (one level: nested containers come back whole, as jbvBinary).
JsonbIteratorToken next(JsonbIterator** it, JsonbValue* value) {
  return call([it, value] { return JsonbIteratorNext(it, value, true); });
}

bool collated_less(const std::string& a, const std::string& b) {
  const std::string* x = &a;
  const std::string* y = &b;
  return call([x, y] {
    return varstr_cmp(x->data(), static_cast<int>(x->size()), y->data(),
                      static_cast<int>(y->size()), DEFAULT_COLLATION_OID) < 0;
  });
}

}  // namespace

Jsonb* jsonb_arg(FunctionCallInfo fcinfo, int n) {
  return call([fcinfo, n] { return PG_GETARG_JSONB_P(n); });
}

Jsonb* jsonb_of(Datum jsonb) {
  return call([jsonb] { return DatumGetJsonbP(jsonb); });
}

const char* jsonb_root_type(Jsonb* jsonb) {
  if (!JB_ROOT_IS_SCALAR(jsonb)) return JB_ROOT_IS_OBJECT(jsonb) ? "object" : "array";
  JsonbValue scalar;
  call([jsonb, &scalar] { JsonbExtractScalar(&jsonb->root, &scalar); });
  return jsonb_type_name(scalar);
}

const char* jsonb_type_name(const JsonbValue& value) {
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

std::string jsonb_value_text(const JsonbValue& value) {
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

uint32 jsonb_size(const JsonbValue& value) {
  return value.type == jbvBinary ? JsonContainerSize(value.val.binary.data) : 0;
}

std::vector<JsonbField> jsonb_fields(JsonbContainer* object) {
  std::vector<JsonbField> out;
  JsonbIterator* it = call([object] { return JsonbIteratorInit(object); });
  JsonbValue value;
  JsonbIteratorToken token;
  std::string key;
  while ((token = next(&it, &value)) != WJB_DONE) {
    if (token == WJB_KEY) {
      key.assign(value.val.string.val, static_cast<size_t>(value.val.string.len));
    } else if (token == WJB_VALUE) {
      out.push_back({key, value});
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const JsonbField& a, const JsonbField& b) {
    return collated_less(a.key, b.key);
  });
  return out;
}

std::vector<JsonbValue> jsonb_elements(JsonbContainer* array) {
  std::vector<JsonbValue> out;
  out.reserve(JsonContainerSize(array));
  JsonbIterator* it = call([array] { return JsonbIteratorInit(array); });
  JsonbValue value;
  JsonbIteratorToken token;
  while ((token = next(&it, &value)) != WJB_DONE) {
    if (token == WJB_ELEM) out.push_back(value);
  }
  return out;
}

}  // namespace pgfast::pg
