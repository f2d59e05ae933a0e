#include "bulk/options.hpp"

#include <string>

#include "core/error.hpp"
#include "pg/json_options.hpp"

extern "C" {
#include "catalog/pg_type.h"
}

namespace pgfast::bulk {

Options parse_options(FunctionCallInfo fcinfo, int n) {
  Options out;
  for (const pg::JsonOption& option : pg::read_options(fcinfo, n)) {
    const std::string& key = option.key;
    const std::string& type = option.type;
    const std::string& value = option.text;
    auto bad = [&](const std::string& expected) {
      return Error(sqlstate::kInvalidParameterValue,
                   "option \"" + key + "\" must be " + expected + ", got " + value);
    };
    if (key == "on_duplicate") {
      if (value == "last") {
        out.on_duplicate = OnDuplicate::kLast;
      } else if (value == "first") {
        out.on_duplicate = OnDuplicate::kFirst;
      } else if (value == "error") {
        out.on_duplicate = OnDuplicate::kError;
      } else {
        throw bad("\"last\", \"first\" or \"error\"");
      }
    } else if (key == "update_when") {
      if (value == "changed") {
        out.only_changed = true;
      } else if (value == "always") {
        out.only_changed = false;
      } else {
        throw bad("\"changed\" or \"always\"");
      }
    } else if (key == "chunk_size") {
      long n = 0;
      try {
        n = type == "number" ? std::stol(value) : 0;
      } catch (const std::exception&) {
        n = 0;
      }
      if (n < 1 || n > 1000000 || value.find_first_not_of("0123456789") != std::string::npos) {
        throw bad("an integer from 1 to 1000000");
      }
      out.chunk_size = static_cast<int>(n);
    } else {
      throw Error(sqlstate::kInvalidParameterValue, "unknown option \"" + key + "\"", "",
                  "Options are on_duplicate, update_when and chunk_size.");
    }
  }
  return out;
}

}  // namespace pgfast::bulk
