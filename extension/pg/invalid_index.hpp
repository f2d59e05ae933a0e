// Dropping the INVALID index a failed or interrupted concurrent build leaves behind, from a
// background worker (outside any transaction: this runs its own).
#pragma once

#include <string>

#include "pg/postgres.hpp"

namespace pgfast::pg {

// Drops the INVALID index `name` of `relation` if there is one. Returns an error text when that
// fails ("; dropping the invalid index failed: ..."), else empty. `valid`, when given, is set to
// whether the index is there and valid.
std::string drop_invalid_index(Oid relation, const std::string& name, bool* valid = nullptr);

}  // namespace pgfast::pg
