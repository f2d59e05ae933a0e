// A jsonb value built token by token (PostgreSQL's pushJsonbValue), for results assembled from
// parts: nothing is written as JSON text and parsed again. Every step runs through the call guard.
// The tokens and the result live in the current memory context.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "pg/postgres.hpp"

extern "C" {
#include "utils/jsonb.h"
}

namespace pgfast::pg {

class JsonbBuilder {
 public:
  void begin_object();
  void end_object();
  void begin_array();
  void end_array();
  // The key of the next object member.
  void key(std::string_view name);
  // Values: an object member's (after key) or an array element.
  void string(std::string_view value);
  void null();
  void boolean(bool value);
  void number(int64_t value);
  // A jsonb Datum (its container or scalar), copied in.
  void jsonb(Datum value);
  // The finished value (after the outermost end_object/end_array).
  Datum finish();

 private:
  void push(JsonbIteratorToken token, JsonbValue* value);
  void push_value(JsonbValue* value);

  JsonbParseState* state_ = nullptr;
  JsonbValue* result_ = nullptr;
  std::vector<bool> in_array_;  // per open container: elements (WJB_ELEM) or members (WJB_VALUE)
};

}  // namespace pgfast::pg
