// What one role sees of another's captured statements (pgfast.slow_queries, slow_query_stats).
#pragma once

#include <unordered_map>

#include "pg/postgres.hpp"

namespace pgfast::slowlog {

// The query text shown in place of a statement the caller may not see.
inline constexpr char kHiddenQuery[] = "<insufficient privilege>";

// What one role sees of another's statements follows pg_stat_activity: everything of roles whose
// privileges it has (itself, roles it is a member of) or with pg_read_all_stats; of the others, no
// query text, plan, queryid, client address or application name. The SQL functions hide them before
// any row reaches the caller's query, so no function in the caller's WHERE can see hidden values.
class Visibility {
 public:
  Visibility();

  // Whether the caller sees everything of `role`'s statements.
  bool of(Oid role);

 private:
  Oid me_;
  bool all_;
  std::unordered_map<Oid, bool> cache_;
};

}  // namespace pgfast::slowlog
