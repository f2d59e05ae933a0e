#include "pg/spi.hpp"

#include <exception>
#include <unordered_map>

#include "pg/datum.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
}

namespace pgfast::pg {

int SpiArgs::add(Oid type, Datum value, bool is_null) {
  types_.push_back(type);
  values_.push_back(is_null ? static_cast<Datum>(0) : value);
  nulls_.push_back(is_null ? 'n' : ' ');
  return count();
}

int SpiArgs::add_text(const std::string& value) {
  const char* data = value.data();
  int size = static_cast<int>(value.size());
  Datum d = call([data, size] { return PointerGetDatum(cstring_to_text_with_len(data, size)); });
  return add(TEXTOID, d);
}

SpiSession::SpiSession() : SpiSession(false) {}

SpiSession::SpiSession(bool nonatomic)
    : uncaught_at_start_(std::uncaught_exceptions()), caller_context_(CurrentMemoryContext) {
  int rc = call([nonatomic] { return SPI_connect_ext(nonatomic ? SPI_OPT_NONATOMIC : 0); });
  if (rc != SPI_OK_CONNECT) {
    throw Error(sqlstate::kInternalError,
                "SPI_connect failed: " + std::string(SPI_result_code_string(rc)));
  }
}

SpiSession::~SpiSession() {
  if (std::uncaught_exceptions() > uncaught_at_start_) {
    MemoryContextSwitchTo(caller_context_);
    return;
  }
  // A destructor must not throw, and an ereport must not longjmp out of it: guarded. Should it
  // fail, the transaction's end reports and closes the connection; the caller's context comes back.
  if (!cleanup_call("SPI_finish", [] { SPI_finish(); })) MemoryContextSwitchTo(caller_context_);
}

namespace {
uint64_t check_result(int rc) {
  if (rc < 0) {
    throw Error(sqlstate::kInternalError,
                "SPI_execute failed: " + std::string(SPI_result_code_string(rc)));
  }
  return SPI_processed;
}
}  // namespace

uint64_t SpiSession::execute(const std::string& sql, bool read_only, long max_rows) {
  const char* text = sql.c_str();
  return check_result(
      call([text, read_only, max_rows] { return SPI_execute(text, read_only, max_rows); }));
}

uint64_t SpiSession::execute(const std::string& sql, SpiArgs& args, bool read_only, long max_rows) {
  const char* text = sql.c_str();
  int nargs = args.count();
  Oid* types = args.types();
  Datum* values = args.values();
  const char* nulls = args.nulls();
  return check_result(call([text, nargs, types, values, nulls, read_only, max_rows] {
    return SPI_execute_with_args(text, nargs, types, values, nulls, read_only, max_rows);
  }));
}

uint64_t SpiSession::execute_cached(const std::string& sql, SpiArgs& args, bool read_only) {
  static std::unordered_map<std::string, SPIPlanPtr> plans;
  auto found = plans.find(sql);
  SPIPlanPtr plan;
  if (found != plans.end()) {
    plan = found->second;
  } else {
    const char* text = sql.c_str();
    int nargs = args.count();
    Oid* types = args.types();
    plan = call([text, nargs, types] { return SPI_prepare(text, nargs, types); });
    if (plan == nullptr) {
      throw Error(sqlstate::kInternalError,
                  "SPI_prepare failed: " + std::string(SPI_result_code_string(SPI_result)));
    }
    call([plan] { SPI_keepplan(plan); });
    plans.emplace(sql, plan);
  }
  Datum* values = args.values();
  const char* nulls = args.nulls();
  return check_result(call([plan, values, nulls, read_only] {
    return SPI_execute_plan(plan, values, nulls, read_only, 0);
  }));
}

uint64_t SpiSession::rows() const noexcept {
  return SPI_tuptable ? SPI_processed : 0;
}

std::optional<std::string> SpiSession::text(uint64_t row, int column) const {
  HeapTuple tuple = SPI_tuptable->vals[row];
  TupleDesc desc = SPI_tuptable->tupdesc;
  char* value = call([tuple, desc, column] { return SPI_getvalue(tuple, desc, column + 1); });
  if (value == nullptr) return std::nullopt;
  std::string out(value);
  pfree(value);
  return out;
}

std::string SpiSession::text_not_null(uint64_t row, int column) const {
  std::optional<std::string> value = text(row, column);
  if (!value) {
    throw Error(sqlstate::kInternalError, "unexpected NULL in column " +
                                              std::to_string(column + 1) + " of an internal query");
  }
  return *value;
}

Datum SpiSession::datum(uint64_t row, int column, bool* is_null) const {
  HeapTuple tuple = SPI_tuptable->vals[row];
  TupleDesc desc = SPI_tuptable->tupdesc;
  return call(
      [tuple, desc, column, is_null] { return SPI_getbinval(tuple, desc, column + 1, is_null); });
}

Oid SpiSession::column_type(int column) const {
  TupleDesc desc = SPI_tuptable->tupdesc;
  return call([desc, column] { return SPI_gettypeid(desc, column + 1); });
}

Datum SpiSession::datum_copy(uint64_t row, int column) const {
  bool is_null;
  Datum value = datum(row, column, &is_null);
  if (is_null) {
    throw Error(sqlstate::kInternalError, "unexpected NULL in column " +
                                              std::to_string(column + 1) + " of an internal query");
  }
  Oid type = column_type(column);
  MemoryContext target = caller_context_;
  return call([value, type, target] {
    int16 length;
    bool by_value;
    get_typlenbyval(type, &length, &by_value);
    MemoryContext old = MemoryContextSwitchTo(target);
    Datum copy = datumCopy(value, by_value, length);
    MemoryContextSwitchTo(old);
    return copy;
  });
}

std::vector<std::optional<std::string>> SpiSession::binary_values(uint64_t row, int columns) const {
  std::vector<std::optional<std::string>> values;
  for (int c = 0; c < columns; ++c) {
    bool is_null;
    Datum value = datum(row, c, &is_null);
    values.push_back(is_null ? std::nullopt
                             : std::optional<std::string>(send_binary(column_type(c), value)));
  }
  return values;
}

}  // namespace pgfast::pg
