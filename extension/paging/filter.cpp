#include "paging/filter.hpp"

#include "core/error.hpp"
#include "core/sql_text.hpp"
#include "paging/settings.hpp"
#include "pg/datum.hpp"
#include "pg/guard.hpp"
#include "pg/jsonb_walk.hpp"

extern "C" {
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "nodes/makefuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parse_coerce.h"
#include "parser/parse_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
}

namespace pgfast::paging {

namespace {

bool is_scalar(const std::string& json_type) {
  return json_type == "string" || json_type == "number" || json_type == "boolean";
}

// The elements' texts (jsonb_array_elements_text) as one text[] Datum.
Datum text_array(const std::vector<JsonbValue>& elements) {
  std::vector<std::string> texts;
  texts.reserve(elements.size());
  for (const JsonbValue& e : elements) texts.push_back(pg::jsonb_value_text(e));
  std::vector<Datum> datums(texts.size());
  const std::vector<std::string>* in = &texts;
  Datum* out = datums.data();
  return pg::call([in, out] {
    for (size_t i = 0; i < in->size(); ++i) {
      out[i] = PointerGetDatum(cstring_to_text_with_len((*in)[i].data(), (*in)[i].size()));
    }
    return PointerGetDatum(
        construct_array(out, static_cast<int>(in->size()), TEXTOID, -1, false, TYPALIGN_INT));
  });
}

// The array's elements as one Datum of the column's array type, cast exactly as
// `text[]::<column type>[]` casts (input functions, domain checks, length coercion). Returns the
// array's type. A column that is itself an array (or has no array type) gets a text[] and
// *typed = false: its elements are cast one by one in the query.
Oid array_parameter(const pg::ColumnInfo& column, const std::vector<JsonbValue>& elements,
                    Datum* out, bool* typed_out) {
  bool typed = pg::call(
      [&column] { return !type_is_array(column.type) && OidIsValid(get_array_type(column.type)); });
  *typed_out = typed;
  *out = text_array(elements);
  if (!typed) return TEXTARRAYOID;
  std::string array_type = column.type_name + "[]";
  const char* type_text = array_type.c_str();
  Datum texts = *out;
  Oid type = InvalidOid;
  Oid* type_out = &type;
  *out = pg::call([type_text, texts, type_out] {
    int32 typmod;
    parseTypeString(type_text, type_out, &typmod, false);
    Node* source = reinterpret_cast<Node*>(
        makeConst(TEXTARRAYOID, -1, DEFAULT_COLLATION_OID, -1, texts, false, false));
    Node* cast = coerce_to_target_type(nullptr, source, TEXTARRAYOID, *type_out, typmod,
                                       COERCION_EXPLICIT, COERCE_EXPLICIT_CAST, -1);
    if (cast == nullptr) {
      ereport(ERROR, (errcode(ERRCODE_CANNOT_COERCE),
                      errmsg("cannot cast type text[] to %s", format_type_be(*type_out))));
    }
    Expr* value = evaluate_expr(reinterpret_cast<Expr*>(cast), *type_out, typmod,
                                get_typcollation(*type_out));
    return reinterpret_cast<Const*>(value)->constvalue;
  });
  return type;
}

[[noreturn]] void not_an_object(Jsonb* filter) {
  throw Error(sqlstate::kInvalidParameterValue,
              std::string("filter must be a JSON object of column names, got a JSON ") +
                  pg::jsonb_root_type(filter),
              "", "Example: {\"status\": \"done\", \"user_id\": [1, 2]}");
}

// Shape and size, before any per-element work: at most kMaxFilterKeys keys and
// pgfast.filter_values_max array elements in all.
void check_bounds(const std::vector<pg::JsonbField>& fields) {
  long values = 0;
  for (const pg::JsonbField& f : fields) {
    if (f.value.type == jbvBinary && JsonContainerIsArray(f.value.val.binary.data)) {
      values += pg::jsonb_size(f.value);
    }
  }
  if (values > settings.filter_values_max) {
    throw Error(sqlstate::kProgramLimitExceeded,
                "filter arrays hold " + std::to_string(values) + " values, at most " +
                    std::to_string(settings.filter_values_max) +
                    " (pgfast.filter_values_max) are allowed",
                "", "Split the filter into several calls, or join with a table of the values.");
  }
}

}  // namespace

Filter build_filter(const pg::RelationInfo& relation, Datum filter_datum, bool is_null,
                    pg::SpiArgs& args, const std::string& alias) {
  Filter out;
  if (is_null) return out;
  Jsonb* filter = pg::jsonb_of(filter_datum);
  if (!JB_ROOT_IS_OBJECT(filter)) not_an_object(filter);
  long keys = JB_ROOT_COUNT(filter);
  if (keys > kMaxFilterKeys) {
    throw Error(sqlstate::kProgramLimitExceeded,
                "filter has " + std::to_string(keys) + " keys, at most " +
                    std::to_string(kMaxFilterKeys) + " are allowed",
                "", "Filter on fewer columns.");
  }
  std::vector<pg::JsonbField> fields = pg::jsonb_fields(&filter->root);
  check_bounds(fields);
  out.canonical = pg::jsonb_text(filter_datum);
  std::string prefix = alias.empty() ? std::string() : quote_identifier(alias) + ".";
  for (const pg::JsonbField& f : fields) {
    const pg::ColumnInfo& column = relation.require_column(f.key, "filter");
    std::string target = prefix + quote_identifier(column.name);
    std::string type = pg::jsonb_type_name(f.value);
    std::string condition;
    if (type == "null") {
      condition = target + " IS NULL";
    } else if (is_scalar(type)) {
      int n = args.add_text(pg::jsonb_value_text(f.value));
      condition = target + " = $" + std::to_string(n) + "::" + column.type_name;
    } else if (type != "array") {
      throw Error(sqlstate::kInvalidParameterValue, "filter value for column \"" + f.key +
                                                        "\" must be a scalar, null or an array, " +
                                                        "got a JSON " + type);
    } else {
      std::vector<JsonbValue> elements = pg::jsonb_elements(f.value.val.binary.data);
      for (const JsonbValue& e : elements) {
        std::string element_type = pg::jsonb_type_name(e);
        if (is_scalar(element_type)) continue;
        throw Error(sqlstate::kInvalidParameterValue,
                    "filter array for column \"" + f.key +
                        "\" may hold only strings, numbers and booleans, found a JSON " +
                        element_type,
                    "", "To match NULL, filter with {\"" + f.key + "\": null}.");
      }
      if (elements.empty()) {
        condition = "FALSE";
      } else {
        Datum array;
        bool typed;
        Oid array_type = array_parameter(column, elements, &array, &typed);
        int n = args.add(array_type, array);
        condition = !typed ? target + " IN (SELECT u.v::" + column.type_name +
                                 " FROM pg_catalog.unnest($" + std::to_string(n) + ") AS u(v))"
                           : target + " = ANY ($" + std::to_string(n) + ")";
      }
    }
    if (!out.condition.empty()) out.condition += " AND ";
    out.condition += condition;
  }
  return out;
}

}  // namespace pgfast::paging
