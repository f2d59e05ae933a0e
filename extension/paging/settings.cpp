#include "paging/settings.hpp"

#include <string>

#include "core/error.hpp"
#include "pg/postgres.hpp"

extern "C" {
#include "utils/guc.h"
}

namespace pgfast::paging {

Settings settings;

// Only PostgreSQL calls and no C++ object with a destructor (see slowlog::define_settings).
void define_settings() {
  DefineCustomIntVariable(
      "pgfast.page_size_default",
      "Sets the page size of pgfast.page and pgfast.offset_page when the caller gives none.",
      nullptr, &settings.page_size_default, 50, 1, 100000, PGC_USERSET, 0, nullptr, nullptr,
      nullptr);
  DefineCustomIntVariable(
      "pgfast.page_size_max", "Sets the largest page size a caller may ask for.", nullptr,
      &settings.page_size_max, 500, 1, 100000, PGC_SUSET, 0, nullptr, nullptr, nullptr);
  DefineCustomIntVariable(
      "pgfast.filter_values_max",
      "Sets the most array elements, over all keys, that one filter of pgfast.page or "
      "pgfast.offset_page may hold.",
      nullptr, &settings.filter_values_max, 100000, 1, 100000000, PGC_SUSET, 0, nullptr, nullptr,
      nullptr);
  DefineCustomBoolVariable("pgfast.cursor_encryption",
                           "Encrypts new page cursors (AES-256-GCM) so that they do not show the "
                           "sort-key values; cursors of either form stay valid.",
                           nullptr, &settings.cursor_encryption, false, PGC_SUSET, 0, nullptr,
                           nullptr, nullptr);
  // Hidden from ordinary roles: they can neither read nor set it.
  DefineCustomStringVariable(
      "pgfast.cursor_secret",
      "Sets the secret that authenticates page cursors (empty: a random per-database key).",
      nullptr, &settings.cursor_secret, "", PGC_SUSET,
      GUC_SUPERUSER_ONLY | GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE, nullptr, nullptr, nullptr);
}

CursorForm cursor_form() {
  return settings.cursor_encryption ? CursorForm::kEncrypted : CursorForm::kSigned;
}

int resolve_page_size(bool requested_is_null, int requested, const char* argument) {
  int size = requested_is_null ? settings.page_size_default : requested;
  if (size < 1) {
    throw Error(sqlstate::kInvalidParameterValue,
                std::string(argument) + " must be at least 1, got " + std::to_string(size));
  }
  if (size > settings.page_size_max) {
    throw Error(sqlstate::kInvalidParameterValue,
                std::string(argument) + " " + std::to_string(size) +
                    " exceeds pgfast.page_size_max (" + std::to_string(settings.page_size_max) +
                    ")",
                "", "Ask for at most pgfast.page_size_max rows per page.");
  }
  return size;
}

}  // namespace pgfast::paging
