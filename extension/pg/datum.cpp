#include "pg/datum.hpp"

#include "core/error.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
}

namespace pgfast::pg {

std::string text_arg(FunctionCallInfo fcinfo, int n) {
  text* value = call([fcinfo, n] { return PG_GETARG_TEXT_PP(n); });
  return std::string(VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value));
}

std::optional<std::vector<std::string>> text_array_arg(FunctionCallInfo fcinfo, int n,
                                                       const char* argument) {
  if (PG_ARGISNULL(n)) return std::nullopt;
  Datum* elements = nullptr;
  bool* nulls = nullptr;
  int count = 0;
  pg::call([fcinfo, n, &elements, &nulls, &count] {
    ArrayType* array = PG_GETARG_ARRAYTYPE_P(n);
    deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT, &elements, &nulls, &count);
  });
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) {
    if (nulls[i]) {
      throw Error(sqlstate::kNullValueNotAllowed, std::string(argument) + " must not contain NULL");
    }
    text* t = reinterpret_cast<text*>(DatumGetPointer(elements[i]));
    out.emplace_back(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
  }
  return out;
}

Datum text_datum(std::string_view value) {
  const char* data = value.data();
  int size = static_cast<int>(value.size());
  return call([data, size] { return PointerGetDatum(cstring_to_text_with_len(data, size)); });
}

Datum jsonb_datum(const std::string& json) {
  const char* text = json.c_str();
  return call([text] { return DirectFunctionCall1(jsonb_in, CStringGetDatum(text)); });
}

std::string jsonb_text(Datum jsonb) {
  char* text = call([jsonb] { return DatumGetCString(DirectFunctionCall1(jsonb_out, jsonb)); });
  std::string out(text);
  pfree(text);
  return out;
}

std::string send_binary(Oid type, Datum value) {
  bytea* bytes = call([type, value] {
    Oid send_function;
    bool varlena;
    getTypeBinaryOutputInfo(type, &send_function, &varlena);
    return OidSendFunctionCall(send_function, value);
  });
  std::string out(VARDATA(bytes), VARSIZE(bytes) - VARHDRSZ);
  pfree(bytes);
  return out;
}

Datum receive_binary(Oid type, const std::string& bytes) {
  const char* data = bytes.data();
  int size = static_cast<int>(bytes.size());
  return call([type, data, size] {
    Oid receive_function;
    Oid io_param;
    getTypeBinaryInputInfo(type, &receive_function, &io_param);
    StringInfoData buffer;
    initStringInfo(&buffer);
    appendBinaryStringInfo(&buffer, data, size);
    Datum result = OidReceiveFunctionCall(receive_function, &buffer, io_param, -1);
    if (buffer.cursor != buffer.len)
      ereport(ERROR, (errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
                      errmsg("incorrect binary data format in a cursor value")));
    return result;
  });
}

}  // namespace pgfast::pg
