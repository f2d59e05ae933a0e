// Walking a jsonb value directly (no query): an object's fields, an array's elements, and what
// jsonb_typeof and `#>> '{}'` say about a value. Shared by the options and filter parsers.
#pragma once

#include <string>
#include <vector>

#include "pg/postgres.hpp"

extern "C" {
#include "utils/jsonb.h"
}

namespace pgfast::pg {

// One field of a jsonb object. `value` points into the jsonb: valid while the jsonb is. A nested
// array or object is a jbvBinary container.
struct JsonbField {
  std::string key;
  JsonbValue value;
};

// The jsonb argument (detoasted) or jsonb Datum.
Jsonb* jsonb_arg(FunctionCallInfo fcinfo, int n);
Jsonb* jsonb_of(Datum jsonb);

// jsonb_typeof of the whole document (a scalar document is its scalar's type).
const char* jsonb_root_type(Jsonb* jsonb);
// jsonb_typeof's name for a value: null, string, number, boolean, array or object.
const char* jsonb_type_name(const JsonbValue& value);
// What `value #>> '{}'` gives: a string's text, the JSON text of anything else, "null" for null.
std::string jsonb_value_text(const JsonbValue& value);
// An array's or object's element count (0 for a scalar).
uint32 jsonb_size(const JsonbValue& value);

// The fields of an object container, sorted by key in the database's default collation (the
// order `ORDER BY key` over jsonb_each gives).
std::vector<JsonbField> jsonb_fields(JsonbContainer* object);
// The elements of an array container, in order.
std::vector<JsonbValue> jsonb_elements(JsonbContainer* array);

}  // namespace pgfast::pg
