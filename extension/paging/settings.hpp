// Settings of pagination (DESIGN 4.2): page sizes, filter size and the cursor secret.
#pragma once

#include "core/cursor_codec.hpp"

namespace pgfast::paging {

struct Settings {
  int page_size_default = 50;      // pgfast.page_size_default
  int page_size_max = 500;         // pgfast.page_size_max
  int filter_values_max = 100000;  // pgfast.filter_values_max: array elements in one filter
  bool cursor_encryption = false;  // pgfast.cursor_encryption: AES-256-GCM cursors
  char* cursor_secret = nullptr;   // pgfast.cursor_secret (superuser-only); empty: per-database key
};

extern Settings settings;

// The form new cursors take (pgfast.cursor_encryption); both forms are always accepted.
CursorForm cursor_form();

// Defines the GUCs (called from _PG_init).
void define_settings();

// The page size to use: `requested` (if not NULL) checked against 1..page_size_max, else the
// default. `argument` names the SQL argument in errors.
int resolve_page_size(bool requested_is_null, int requested, const char* argument);

}  // namespace pgfast::paging
