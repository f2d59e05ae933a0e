#include "pg/catalog.hpp"

#include "pg/guard.hpp"

extern "C" {
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_class.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
}

namespace pgfast::pg {

namespace {

std::optional<std::string> owned_text(char* text) {
  if (text == nullptr) return std::nullopt;
  std::string out(text);
  call([text] { pfree(text); });
  return out;
}

}  // namespace

std::optional<std::string> relation_name(Oid relation) {
  return owned_text(call([relation] { return get_rel_name(relation); }));
}

std::optional<std::string> relation_schema(Oid relation) {
  return owned_text(call([relation] { return get_namespace_name(get_rel_namespace(relation)); }));
}

char relation_kind(Oid relation) {
  return call([relation] { return get_rel_relkind(relation); });
}

bool has_column(Oid relation, const std::string& column) {
  const char* c = column.c_str();
  return call([relation, c] { return get_attnum(relation, c) != InvalidAttrNumber; });
}

bool name_taken_in_schema(Oid relation, const std::string& name) {
  const char* n = name.c_str();
  return call(
      [relation, n] { return OidIsValid(get_relname_relid(n, get_rel_namespace(relation))); });
}

void lock_owned_table(Oid relation) {
  call([relation] {
    if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relation))) {
      ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE),
                      errmsg("relation with OID %u does not exist", relation)));
    }
    LockRelationOid(relation, ShareUpdateExclusiveLock);
    char kind = get_rel_relkind(relation);
    if (kind != RELKIND_RELATION && kind != RELKIND_MATVIEW && kind != RELKIND_PARTITIONED_TABLE) {
      ereport(ERROR,
              (errcode(ERRCODE_WRONG_OBJECT_TYPE),
               errmsg("\"%s\" is not a table or materialized view", get_rel_name(relation))));
    }
    if (!pg_class_ownercheck(relation, GetUserId())) {
      aclcheck_error(ACLCHECK_NOT_OWNER, get_relkind_objtype(kind), get_rel_name(relation));
    }
  });
}

Oid current_user() {
  return call([] { return GetUserId(); });
}

bool role_can_login(Oid role) {
  return call([role] {
    HeapTuple tuple = SearchSysCache1(AUTHOID, ObjectIdGetDatum(role));
    bool login = HeapTupleIsValid(tuple) && ((Form_pg_authid)GETSTRUCT(tuple))->rolcanlogin;
    if (HeapTupleIsValid(tuple)) ReleaseSysCache(tuple);
    return login;
  });
}

std::string setting(const char* name) {
  return call([name] { return GetConfigOption(name, false, false); });
}

}  // namespace pgfast::pg
