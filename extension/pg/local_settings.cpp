#include "pg/local_settings.hpp"

#include "pg/fault_points.hpp"
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
  // On failure (warned) the values stay until the transaction ends, which rolls every GUC level
  // back; they are pgfast's own, set for this scope.
  cleanup_call("restoring settings", [level] {
    fault_point_in_pg("local_settings_restore");
    AtEOXact_GUC(false, level);
  });
}

}  // namespace pgfast::pg
