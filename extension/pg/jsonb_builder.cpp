#include "pg/jsonb_builder.hpp"

#include <cstring>

#include "core/error.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "utils/numeric.h"
}

namespace pgfast::pg {

namespace {

// A jbvString over a palloc'd copy of `text` (pushJsonbValue keeps the pointer).
JsonbValue string_value(std::string_view text) {
  const char* data = text.data();
  const size_t size = text.size();
  JsonbValue v;
  v.type = jbvString;
  v.val.string.len = static_cast<int>(size);
  v.val.string.val = call([data, size] {
    char* copy = static_cast<char*>(palloc(size + 1));
    memcpy(copy, data, size);
    copy[size] = '\0';
    return copy;
  });
  return v;
}

}  // namespace

void JsonbBuilder::push(JsonbIteratorToken token, JsonbValue* value) {
  JsonbParseState** state = &state_;
  result_ = call([state, token, value] { return pushJsonbValue(state, token, value); });
}

void JsonbBuilder::push_value(JsonbValue* value) {
  if (in_array_.empty()) throw Error(sqlstate::kInternalError, "jsonb value outside a container");
  push(in_array_.back() ? WJB_ELEM : WJB_VALUE, value);
}

void JsonbBuilder::begin_object() {
  push(WJB_BEGIN_OBJECT, nullptr);
  in_array_.push_back(false);
}

void JsonbBuilder::end_object() {
  push(WJB_END_OBJECT, nullptr);
  in_array_.pop_back();
}

void JsonbBuilder::begin_array() {
  push(WJB_BEGIN_ARRAY, nullptr);
  in_array_.push_back(true);
}

void JsonbBuilder::end_array() {
  push(WJB_END_ARRAY, nullptr);
  in_array_.pop_back();
}

void JsonbBuilder::key(std::string_view name) {
  JsonbValue v = string_value(name);
  push(WJB_KEY, &v);
}

void JsonbBuilder::string(std::string_view value) {
  JsonbValue v = string_value(value);
  push_value(&v);
}

void JsonbBuilder::null() {
  JsonbValue v;
  v.type = jbvNull;
  push_value(&v);
}

void JsonbBuilder::boolean(bool value) {
  JsonbValue v;
  v.type = jbvBool;
  v.val.boolean = value;
  push_value(&v);
}

void JsonbBuilder::number(int64_t value) {
  JsonbValue v;
  v.type = jbvNumeric;
  v.val.numeric = call([value] { return int64_to_numeric(value); });
  push_value(&v);
}

void JsonbBuilder::jsonb(Datum value) {
  Jsonb* jsonb = call([value] { return DatumGetJsonbP(value); });
  JsonbValue v;
  v.type = jbvBinary;
  v.val.binary.data = &jsonb->root;
  v.val.binary.len = static_cast<int>(VARSIZE(jsonb) - VARHDRSZ);
  push_value(&v);
}

Datum JsonbBuilder::finish() {
  if (result_ == nullptr || !in_array_.empty()) {
    throw Error(sqlstate::kInternalError, "jsonb value not finished");
  }
  JsonbValue* result = result_;
  return call([result] { return JsonbPGetDatum(JsonbValueToJsonb(result)); });
}

}  // namespace pgfast::pg
