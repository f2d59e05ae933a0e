#include "slowlog/settings.hpp"

#include <climits>

#include "pg/postgres.hpp"

extern "C" {
#include "utils/guc.h"
}

namespace pgfast::slowlog {

Settings settings;

namespace {

const struct config_enum_entry kPlanFormats[] = {
    {"off", static_cast<int>(PlanFormat::kOff), false},
    {"text", static_cast<int>(PlanFormat::kText), false},
    {"json", static_cast<int>(PlanFormat::kJson), false},
    {nullptr, 0, false},
};

const struct config_enum_entry kTrackModes[] = {
    {"top", static_cast<int>(Track::kTop), false},
    {"all", static_cast<int>(Track::kAll), false},
    {nullptr, 0, false},
};

}  // namespace

// Only PostgreSQL calls here and no C++ object with a destructor, so an ereport's longjmp out of
// this function skips nothing.
void define_settings(bool preloading) {
  // Who may change what mirrors auto_explain: only superusers set the capture settings (for
  // themselves, or for others with ALTER ROLE/DATABASE ... SET).
  DefineCustomIntVariable(
      "pgfast.slow_query_ms", "Sets the minimum duration of the statements that are captured.",
      "-1 disables capture; 0 captures every statement.", &settings.threshold_ms, 100, -1, INT_MAX,
      PGC_SUSET, GUC_UNIT_MS, nullptr, nullptr, nullptr);
  DefineCustomRealVariable("pgfast.slow_query_sample_rate",
                           "Sets the fraction of top-level statements considered for capture.",
                           nullptr, &settings.sample_rate, 1.0, 0.0, 1.0, PGC_SUSET, 0, nullptr,
                           nullptr, nullptr);
  DefineCustomBoolVariable("pgfast.slow_query_log",
                           "Writes a server log line \"SLOW QUERY (<seconds>s): <query>\" for each "
                           "captured statement.",
                           nullptr, &settings.log, true, PGC_SUSET, 0, nullptr, nullptr, nullptr);
  DefineCustomEnumVariable("pgfast.slow_query_plan",
                           "Records the plan (EXPLAIN without ANALYZE) of captured statements.",
                           nullptr, &settings.plan, static_cast<int>(PlanFormat::kOff),
                           kPlanFormats, PGC_SUSET, 0, nullptr, nullptr, nullptr);
  DefineCustomEnumVariable("pgfast.slow_query_track",
                           "Selects the statements considered: top (issued by clients) or all "
                           "(also those nested in functions).",
                           nullptr, &settings.track, static_cast<int>(Track::kTop), kTrackModes,
                           PGC_SUSET, 0, nullptr, nullptr, nullptr);
  DefineCustomBoolVariable(
      "pgfast.slow_query_utility", "Considers utility statements (DDL, VACUUM, COPY, ...) as well.",
      nullptr, &settings.utility, true, PGC_SUSET, 0, nullptr, nullptr, nullptr);
  // One role's share of the ring and of the statistics (store.hpp); a reload changes it.
  DefineCustomRealVariable(
      "pgfast.slow_query_role_share",
      "Sets the fraction of the slow-query ring and statistics from which one role's new entries "
      "replace its own oldest instead of other roles' entries.",
      "At least one entry; 1 lets a role evict every other role's entries.", &settings.role_share,
      0.25, 0.0, 1.0, PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
  // Restart-only settings can be defined only while the server starts.
  if (preloading) {
    DefineCustomIntVariable(
        "pgfast.slow_query_max",
        "Sets the number of entries in the shared-memory ring of captured statements.", nullptr,
        &settings.ring_capacity, 1000, 1, 1000000, PGC_POSTMASTER, 0, nullptr, nullptr, nullptr);
    DefineCustomIntVariable("pgfast.slow_query_text_max",
                            "Sets how many bytes of query text are kept per captured statement.",
                            nullptr, &settings.text_max, 2048, 64, 1048576, PGC_POSTMASTER,
                            GUC_UNIT_BYTE, nullptr, nullptr, nullptr);
    DefineCustomIntVariable("pgfast.slow_query_plan_max",
                            "Sets how many bytes of plan text are kept per captured statement.",
                            nullptr, &settings.plan_max, 8192, 0, 1048576, PGC_POSTMASTER,
                            GUC_UNIT_BYTE, nullptr, nullptr, nullptr);
    DefineCustomIntVariable("pgfast.slow_query_stats_max",
                            "Sets how many distinct (database, user, queryid) keys the latency "
                            "statistics hold; when full, the least recently seen tenth is evicted.",
                            nullptr, &settings.stats_max, 1000, 10, 1000000, PGC_POSTMASTER, 0,
                            nullptr, nullptr, nullptr);
  }
}

}  // namespace pgfast::slowlog
