#include "pg/datum.hpp"

#include "pg/guard.hpp"

extern "C" {
#include "utils/builtins.h"
}

namespace pgfast::pg {

std::string text_arg(FunctionCallInfo fcinfo, int n) {
  text* value = call([fcinfo, n] { return PG_GETARG_TEXT_PP(n); });
  return std::string(VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value));
}

Datum text_datum(std::string_view value) {
  const char* data = value.data();
  int size = static_cast<int>(value.size());
  return call([data, size] { return PointerGetDatum(cstring_to_text_with_len(data, size)); });
}

}  // namespace pgfast::pg
