// Settings of slow-query capture (DESIGN 4.4). Plain globals read on the hot path; defined as
// PostgreSQL GUCs by define_settings() from _PG_init.
#pragma once

namespace pgfast::slowlog {

enum class PlanFormat { kOff = 0, kText = 1, kJson = 2 };
enum class Track { kTop = 0, kAll = 1 };

struct Settings {
  int threshold_ms = 100;    // pgfast.slow_query_ms; -1 disables capture
  double sample_rate = 1.0;  // pgfast.slow_query_sample_rate
  bool log = true;           // pgfast.slow_query_log
  int plan = 0;              // pgfast.slow_query_plan (PlanFormat)
  int track = 0;             // pgfast.slow_query_track (Track)
  bool utility = true;       // pgfast.slow_query_utility
  int ring_capacity = 1000;  // pgfast.slow_query_max (restart)
  int text_max = 2048;       // pgfast.slow_query_text_max (restart)
  int plan_max = 8192;       // pgfast.slow_query_plan_max (restart)
  int stats_max = 1000;      // pgfast.slow_query_stats_max (restart)
  double role_share = 0.25;  // pgfast.slow_query_role_share (reload)
};

extern Settings settings;

// Defines the GUCs (called from _PG_init); the restart-only ones only when `preloading`.
void define_settings(bool preloading);

}  // namespace pgfast::slowlog
