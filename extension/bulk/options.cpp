#include "bulk/options.hpp"

#include <string>

#include "core/error.hpp"

extern "C" {
#include "catalog/pg_type.h"
}

namespace pgfast::bulk {

Options parse_options(pg::SpiSession& spi, FunctionCallInfo fcinfo, int n) {
  Options out;
  if (PG_ARGISNULL(n)) return out;
  Datum options = PG_GETARG_DATUM(n);
  pg::SpiArgs args;
  args.add(JSONBOID, options);
  spi.execute("SELECT pg_catalog.jsonb_typeof($1)", args, true);
  if (spi.text(0, 0) != std::optional<std::string>("object")) {
    throw Error(sqlstate::kInvalidParameterValue, "options must be a JSON object");
  }
  spi.execute(
      "SELECT key, pg_catalog.jsonb_typeof(value), value #>> '{}' FROM "
      "pg_catalog.jsonb_each($1) ORDER BY key",
      args, true);
  for (uint64_t r = 0; r < spi.rows(); ++r) {
    std::string key = spi.text_not_null(r, 0);
    std::string type = spi.text_not_null(r, 1);
    std::string value = spi.text(r, 2).value_or("null");
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
