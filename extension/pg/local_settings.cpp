#include "pg/local_settings.hpp"

#include "pg/guard.hpp"

extern "C" {
#include "utils/guc.h"
}

namespace pgfast::pg {

LocalSettings::LocalSettings() : nest_level_(call([] { return NewGUCNestLevel(); })) {}

LocalSettings::~LocalSettings() {
  restore();
}

void LocalSettings::set(const char* name, const char* value) {
  call([name, value] {
    (void)set_config_option(name, value, PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0,
                            false);
  });
}

void LocalSettings::restore() noexcept {
  if (!open_) return;
  open_ = false;
  int level = nest_level_;
  try {
    call([level] { AtEOXact_GUC(false, level); });
  } catch (...) {
    // Only cleanup is left to do: the transaction abort rolls every GUC level back.
  }
}

}  // namespace pgfast::pg
