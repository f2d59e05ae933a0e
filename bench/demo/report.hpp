// The demo's results table: one row per metric, next to the reference application's target and
// achieved figures, with the improvement ratio and PASS/FAIL against the original target. Printed
// as a Markdown table and written to bench/results/demo.json.
#pragma once

#include <string>
#include <vector>

namespace pgfast_demo {

enum class Better { lower, higher };

// `value` with `digits` digits after the point ("0.44").
std::string decimal(double value, int digits);
// `value` in at most 6 significant digits ("1.23457e+06", "0.5"), for files read by programs.
std::string significant(double value);

struct Metric {
  std::string name;
  std::string unit;  // "ms", "pages/s", ...
  Better better = Better::higher;
  double original_target = 0;    // 0: the original had no target for it
  double original_achieved = 0;  // 0: no original figure
  double measured = 0;
  std::string detail;  // how it was measured, extra figures

  // measured vs original achieved, as "times better" (> 1 is better); 0 without an original.
  double ratio() const;
  // Meets the original target (true when there was none).
  bool passes() const;
};

class Report {
 public:
  void add(Metric m) { metrics_.push_back(std::move(m)); }
  // Free-form lines printed under the table (slow-query statistics, cache counters, ...).
  void note(std::string line) { notes_.push_back(std::move(line)); }
  void set_info(std::string key, std::string value) {
    info_.emplace_back(std::move(key), std::move(value));
  }

  void print() const;
  void write_json(const std::string& path) const;
  bool all_pass() const;

 private:
  std::vector<Metric> metrics_;
  std::vector<std::string> notes_;
  std::vector<std::pair<std::string, std::string>> info_;
};

}  // namespace pgfast_demo
