// Settings for one scope, the way a function's SET clause works: a new GUC nest level, values set
// with GUC_ACTION_SAVE, and the level rolled back when the scope ends (also while an exception
// unwinds; if an error aborts the transaction first, the abort restores them).
#pragma once

#include "pg/postgres.hpp"

namespace pgfast::pg {

class LocalSettings {
 public:
  LocalSettings();
  ~LocalSettings();
  LocalSettings(const LocalSettings&) = delete;
  LocalSettings& operator=(const LocalSettings&) = delete;

  // Sets `name` to `value` until the scope ends (as SET LOCAL would, at the caller's privilege).
  void set(const char* name, const char* value);
  // Rolls the level back now; the destructor then does nothing.
  void restore() noexcept;

 private:
  int nest_level_;
  bool open_ = true;
};

}  // namespace pgfast::pg
