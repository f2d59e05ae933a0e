// Small catalog look-ups by OID (syscache, no query), each through the call guard.
#pragma once

#include <optional>
#include <string>

#include "pg/postgres.hpp"

namespace pgfast::pg {

// The relation's name and its schema's name; nullopt when it is gone.
std::optional<std::string> relation_name(Oid relation);
std::optional<std::string> relation_schema(Oid relation);
// pg_class.relkind ('\0' when the relation is gone).
char relation_kind(Oid relation);
// Whether the relation has a column of that name.
bool has_column(Oid relation, const std::string& column);
// Whether a relation named `name` exists in the schema of `relation`.
bool name_taken_in_schema(Oid relation, const std::string& name);

// Locks the relation (SHARE UPDATE EXCLUSIVE: concurrent ensure_index calls on one table run one
// after the other; writes go on), checks the caller owns it (42501, as CREATE INDEX would) and
// that it can carry indexes: a table, partitioned table or materialized view (42809); 42P01 when
// it does not exist.
void lock_owned_table(Oid relation);

// The current user, and whether a role may log in.
Oid current_user();
bool role_can_login(Oid role);

// The current value of a setting, as SHOW gives it.
std::string setting(const char* name);

}  // namespace pgfast::pg
