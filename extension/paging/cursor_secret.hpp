// The secret that authenticates page cursors: pgfast.cursor_secret when set (superuser-only),
// else the random per-database key that CREATE EXTENSION stored in pgfast.cursor_key, a table no
// ordinary role may read. pgfast reads it without a permission check, as the server itself would.
#pragma once

#include <string>

namespace pgfast::paging {

std::string cursor_secret();

}  // namespace pgfast::paging
