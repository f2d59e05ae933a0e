#include "report.hpp"

#include <cstdio>
#include <fstream>
#include <stdexcept>

#include "core/sql_text.hpp"

namespace pgfast_demo {
namespace {

std::string figure(double v, const std::string& unit) {
  if (v == 0) return "-";
  char buf[64];
  if (v >= 100) {
    std::snprintf(buf, sizeof buf, "%.0f %s", v, unit.c_str());
  } else if (v >= 1) {
    std::snprintf(buf, sizeof buf, "%.1f %s", v, unit.c_str());
  } else {
    std::snprintf(buf, sizeof buf, "%.2f %s", v, unit.c_str());
  }
  return buf;
}

}  // namespace

std::string significant(double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", value);
  return buf;
}

std::string decimal(double value, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, value);
  return buf;
}

double Metric::ratio() const {
  if (original_achieved <= 0 || measured <= 0) return 0;
  return better == Better::higher ? measured / original_achieved : original_achieved / measured;
}

bool Metric::passes() const {
  if (original_target <= 0) return true;
  return better == Better::higher ? measured >= original_target : measured <= original_target;
}

void Report::print() const {
  std::printf(
      "\n| metric | original target | original achieved | pgfast measured | ratio | result |\n");
  std::printf("|---|---|---|---|---|---|\n");
  for (const Metric& m : metrics_) {
    std::string target = m.original_target > 0
                             ? std::string(m.better == Better::lower ? "< " : ">= ") +
                                   figure(m.original_target, m.unit)
                             : "-";
    char ratio[32] = "-";
    if (m.ratio() > 0) std::snprintf(ratio, sizeof ratio, "%.0fx", m.ratio());
    std::printf("| %s | %s | %s | %s | %s | %s |\n", m.name.c_str(), target.c_str(),
                figure(m.original_achieved, m.unit).c_str(), figure(m.measured, m.unit).c_str(),
                ratio, m.original_target > 0 ? (m.passes() ? "PASS" : "FAIL") : "-");
  }
  std::printf("\n");
  for (const Metric& m : metrics_) {
    if (!m.detail.empty()) std::printf("- %s: %s\n", m.name.c_str(), m.detail.c_str());
  }
  for (const std::string& n : notes_) std::printf("%s\n", n.c_str());
}

void Report::write_json(const std::string& path) const {
  std::ofstream out(path);
  if (!out) throw std::runtime_error("cannot write " + path);
  out << "{\n  \"info\": {";
  for (std::size_t i = 0; i < info_.size(); ++i) {
    out << (i ? ", " : "") << pgfast::json_quote(info_[i].first) << ": "
        << pgfast::json_quote(info_[i].second);
  }
  out << "},\n  \"metrics\": [\n";
  for (std::size_t i = 0; i < metrics_.size(); ++i) {
    const Metric& m = metrics_[i];
    out << "    {\"metric\": " << pgfast::json_quote(m.name)
        << ", \"unit\": " << pgfast::json_quote(m.unit) << ", \"better\": \""
        << (m.better == Better::lower ? "lower" : "higher") << "\""
        << ", \"original_target\": " << significant(m.original_target)
        << ", \"original_achieved\": " << significant(m.original_achieved)
        << ", \"measured\": " << significant(m.measured)
        << ", \"ratio\": " << significant(m.ratio())
        << ", \"pass\": " << (m.passes() ? "true" : "false")
        << ", \"detail\": " << pgfast::json_quote(m.detail) << "}"
        << (i + 1 < metrics_.size() ? ",\n" : "\n");
  }
  out << "  ],\n  \"notes\": [";
  for (std::size_t i = 0; i < notes_.size(); ++i) {
    out << (i ? ", " : "") << pgfast::json_quote(notes_[i]);
  }
  out << "]\n}\n";
}

bool Report::all_pass() const {
  for (const Metric& m : metrics_) {
    if (!m.passes()) return false;
  }
  return true;
}

}  // namespace pgfast_demo
