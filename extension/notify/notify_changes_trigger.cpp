// pgfast._notify_changes_trigger(): the statement-level AFTER trigger pgfast.notify_changes
// installs (DESIGN 4.5, docs/cache.md). It reads the primary-key columns of the changed rows
// straight from the transition tables (no SPI, no query to plan) and queues NOTIFY payloads,
// which PostgreSQL delivers at commit. Payload text and batching: core/change_payload.
// Trigger arguments: channel, max_keys.
#include <cstdlib>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/change_payload.hpp"
#include "core/error.hpp"
#include "pg/guard.hpp"
#include "pg/sql_function.hpp"

extern "C" {
#include "access/sysattr.h"
#include "catalog/pg_type.h"
#include "commands/async.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/tuptable.h"
#include "nodes/bitmapset.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/tuplestore.h"
}

namespace pgfast::notify {

namespace {

struct KeyColumns {
  std::vector<AttrNumber> attnums;
  std::vector<Oid> output_functions;
  std::vector<std::string> names;
  std::vector<JsonKind> kinds;
};

JsonKind json_kind(Oid base_type) {
  switch (base_type) {
    case INT2OID:
    case INT4OID:
    case INT8OID:
    case OIDOID:
    case NUMERICOID:
    case FLOAT4OID:
    case FLOAT8OID:
      return JsonKind::number;
    case BOOLOID:
      return JsonKind::boolean;
    default:
      return JsonKind::string;
  }
}

// The primary-key columns as the relation cache knows them now (renamed columns keep working).
// Empty when the table has no (immediate) primary key any more.
KeyColumns primary_key(Relation rel) {
  KeyColumns key;
  Bitmapset* pk =
      pg::call([rel] { return RelationGetIndexAttrBitmap(rel, INDEX_ATTR_BITMAP_PRIMARY_KEY); });
  TupleDesc desc = RelationGetDescr(rel);
  for (int member = bms_next_member(pk, -1); member >= 0; member = bms_next_member(pk, member)) {
    const AttrNumber attnum = static_cast<AttrNumber>(member + FirstLowInvalidHeapAttributeNumber);
    if (attnum <= 0) continue;
    Form_pg_attribute attr = TupleDescAttr(desc, attnum - 1);
    Oid output = InvalidOid;
    bool varlena = false;
    pg::call([&attr, &output, &varlena] { getTypeOutputInfo(attr->atttypid, &output, &varlena); });
    const Oid base = pg::call([&attr] { return getBaseType(attr->atttypid); });
    key.attnums.push_back(attnum);
    key.output_functions.push_back(output);
    key.names.emplace_back(NameStr(attr->attname));
    key.kinds.push_back(json_kind(base));
  }
  return key;
}

// Appends the JSON key of every row in `rows` not seen before. Reads through a read pointer of
// its own, so other readers of the same transition table are not disturbed.
void collect_keys(Tuplestorestate* rows, TupleDesc desc, const KeyColumns& key,
                  std::unordered_set<std::string>& seen, std::vector<std::string>& out) {
  TupleTableSlot* slot =
      pg::call([desc] { return MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple); });
  pg::call([rows] {
    const int pointer = tuplestore_alloc_read_pointer(rows, EXEC_FLAG_REWIND);
    tuplestore_select_read_pointer(rows, pointer);
    tuplestore_rescan(rows);
  });
  auto restore = [rows, slot] {
    tuplestore_select_read_pointer(rows, 0);
    ExecDropSingleTupleTableSlot(slot);
  };
  try {
    std::vector<std::string> texts(key.attnums.size());
    std::string json;
    long n = 0;
    while (pg::call([rows, slot] { return tuplestore_gettupleslot(rows, true, false, slot); })) {
      for (std::size_t i = 0; i < key.attnums.size(); ++i) {
        bool isnull = false;
        const AttrNumber attnum = key.attnums[i];
        const Datum value =
            pg::call([slot, attnum, &isnull] { return slot_getattr(slot, attnum, &isnull); });
        if (isnull) {
          texts[i] = "null";
          continue;
        }
        const Oid output = key.output_functions[i];
        char* text = pg::call([output, value] { return OidOutputFunctionCall(output, value); });
        texts[i] = text;
        pfree(text);
      }
      json.clear();
      append_key_json(json, key.names, key.kinds, texts);
      if (seen.insert(json).second) out.push_back(json);
      if (++n % 1024 == 0) pg::check_for_interrupts();
    }
  } catch (...) {
    try {
      pg::call(restore);
    } catch (...) {
      // The transaction aborts anyway; the original error is the one to report.
    }
    throw;
  }
  pg::call(restore);
}

void notify(const char* channel, const std::string& payload) {
  const char* text = payload.c_str();
  pg::call([channel, text] { Async_Notify(channel, text); });
}

// Anyone may attach this function to a table of their own (EXECUTE stays granted to PUBLIC so
// that table owners can call pgfast.notify_changes), so a trigger made by hand must be refused
// here: every row event needs the transition tables pgfast.notify_changes declares.
void require_transition_tables(const TriggerData& data) {
  const TriggerEvent event = data.tg_event;
  const bool needs_old = TRIGGER_FIRED_BY_UPDATE(event) || TRIGGER_FIRED_BY_DELETE(event);
  const bool needs_new = TRIGGER_FIRED_BY_UPDATE(event) || TRIGGER_FIRED_BY_INSERT(event);
  if ((needs_old && data.tg_oldtable == nullptr) || (needs_new && data.tg_newtable == nullptr)) {
    throw Error(sqlstate::kTriggerProtocolViolated,
                "pgfast._notify_changes_trigger() needs the transition tables of its event "
                "(REFERENCING OLD TABLE / NEW TABLE)",
                "", "Install the triggers with pgfast.notify_changes().");
  }
}

Datum notify_changes_trigger(FunctionCallInfo fcinfo) {
  if (!CALLED_AS_TRIGGER(fcinfo)) {
    throw Error(sqlstate::kTriggerProtocolViolated,
                "pgfast._notify_changes_trigger() may only be called as a trigger");
  }
  auto* data = reinterpret_cast<TriggerData*>(fcinfo->context);
  const TriggerEvent event = data->tg_event;
  if (!TRIGGER_FIRED_AFTER(event) || !TRIGGER_FIRED_FOR_STATEMENT(event) ||
      data->tg_trigger->tgnargs < 2) {
    throw Error(sqlstate::kTriggerProtocolViolated,
                "pgfast._notify_changes_trigger() must run as a statement-level AFTER trigger "
                "with arguments (channel, max_keys); use pgfast.notify_changes()");
  }
  const char* channel = data->tg_trigger->tgargs[0];
  char* max_keys_end = nullptr;
  const long max_keys = std::strtol(data->tg_trigger->tgargs[1], &max_keys_end, 10);
  if (max_keys < 1 || max_keys_end == data->tg_trigger->tgargs[1] || *max_keys_end != '\0') {
    throw Error(sqlstate::kTriggerProtocolViolated,
                "pgfast._notify_changes_trigger(): max_keys must be a positive integer, got \"" +
                    std::string(data->tg_trigger->tgargs[1]) + "\"; use pgfast.notify_changes()");
  }
  Relation rel = data->tg_relation;
  require_transition_tables(*data);

  const char* op = TRIGGER_FIRED_BY_INSERT(event)   ? "INSERT"
                   : TRIGGER_FIRED_BY_UPDATE(event) ? "UPDATE"
                   : TRIGGER_FIRED_BY_DELETE(event) ? "DELETE"
                                                    : "TRUNCATE";
  const Oid namespace_oid = RelationGetNamespace(rel);
  const char* schema = pg::call([namespace_oid] { return get_namespace_name(namespace_oid); });
  const char* relname = RelationGetRelationName(rel);
  const char* quoted_schema = pg::call([schema] { return quote_identifier(schema); });
  const char* quoted_name = pg::call([relname] { return quote_identifier(relname); });
  const ChangePayloads payloads(std::string(quoted_schema) + "." + quoted_name, op);

  if (TRIGGER_FIRED_BY_TRUNCATE(event)) {
    notify(channel, payloads.all());
    return PointerGetDatum(nullptr);
  }
  Tuplestorestate* old_rows = data->tg_oldtable;
  Tuplestorestate* new_rows = data->tg_newtable;
  const int64 changed = pg::call([old_rows, new_rows] {
    return tuplestore_tuple_count(new_rows != nullptr ? new_rows : old_rows);
  });
  if (changed == 0) return PointerGetDatum(nullptr);
  const KeyColumns key = primary_key(rel);
  if (key.attnums.empty() || changed > max_keys) {
    notify(channel, payloads.all());
    return PointerGetDatum(nullptr);
  }
  std::unordered_set<std::string> seen;
  std::vector<std::string> keys;
  keys.reserve(static_cast<std::size_t>(changed));
  // An UPDATE that changes a key invalidates the old and the new one.
  if (old_rows != nullptr) collect_keys(old_rows, RelationGetDescr(rel), key, seen, keys);
  if (new_rows != nullptr) collect_keys(new_rows, RelationGetDescr(rel), key, seen, keys);
  for (const auto& payload : payloads.batches(keys)) notify(channel, payload);
  return PointerGetDatum(nullptr);
}

}  // namespace

PGFAST_FUNCTION(pgfast_notify_changes_trigger) {
  return notify_changes_trigger(fcinfo);
}

}  // namespace pgfast::notify
