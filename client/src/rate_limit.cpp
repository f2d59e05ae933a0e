#include "pgfast/rate_limit.hpp"

#include <algorithm>
#include <cctype>
#include <limits>

namespace pgfast {

namespace {

constexpr long long kMaxCount = 1000000000LL;
constexpr long long kMaxPeriods = 1000000LL;

class LimitParser {
 public:
  LimitParser(const std::string& text, const std::string& what) : text_(text), what_(what) {}

  RateLimit parse() {
    RateLimit limit;
    skip_spaces();
    limit.count = number("a request count");
    skip_spaces();
    if (peek() == '/') {
      ++pos_;
    } else if (word_is("per")) {
      pos_ += 3;
    } else {
      fail("expected '/' or 'per' after the count");
    }
    skip_spaces();
    long long periods = 1;
    if (std::isdigit(static_cast<unsigned char>(peek()))) {
      periods = number("a number of periods");
      if (periods > kMaxPeriods) fail("too many periods");
      skip_spaces();
    }
    const std::string unit = word();
    std::chrono::microseconds unit_length{};
    std::string unit_name;
    if (unit == "second" || unit == "seconds" || unit == "sec" || unit == "s") {
      unit_length = std::chrono::seconds(1);
      unit_name = "second";
    } else if (unit == "minute" || unit == "minutes" || unit == "min" || unit == "m") {
      unit_length = std::chrono::minutes(1);
      unit_name = "minute";
    } else if (unit == "hour" || unit == "hours" || unit == "h") {
      unit_length = std::chrono::hours(1);
      unit_name = "hour";
    } else if (unit == "day" || unit == "days" || unit == "d") {
      unit_length = std::chrono::hours(24);
      unit_name = "day";
    } else {
      fail(unit.empty() ? "missing time unit (second, minute, hour or day)"
                        : "unknown time unit \"" + unit + "\" (second, minute, hour or day)");
    }
    limit.period = unit_length * periods;
    limit.burst = limit.count;
    skip_spaces();
    bool explicit_burst = false;
    if (word_is("burst")) {
      pos_ += 5;
      skip_spaces();
      limit.burst = number("a burst size");
      explicit_burst = true;
      skip_spaces();
    }
    if (pos_ != text_.size()) fail("unexpected text \"" + text_.substr(pos_) + "\"");
    limit.text = std::to_string(limit.count) + "/" +
                 (periods == 1 ? unit_name : std::to_string(periods) + " " + unit_name + "s");
    if (explicit_burst) limit.text += " burst " + std::to_string(limit.burst);
    return limit;
  }

  [[noreturn]] void fail(const std::string& problem) const {
    throw ConfigurationError(
        what_ + ": " + problem + " in \"" + text_ +
        "\" (expected e.g. \"10/minute\", \"5 per hour\", \"100/minute;1000/day\" "
        "or \"10/minute burst 20\")");
  }

 private:
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }

  void skip_spaces() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }

  // A positive integer (no sign, no leading '+').
  long long number(const char* what) {
    if (!std::isdigit(static_cast<unsigned char>(peek()))) fail(std::string("expected ") + what);
    long long value = 0;
    while (std::isdigit(static_cast<unsigned char>(peek()))) {
      value = value * 10 + (text_[pos_++] - '0');
      if (value > kMaxCount) fail(std::string(what) + " too large");
    }
    if (value < 1) fail(std::string(what) + " must be at least 1");
    return value;
  }

  std::string word() {
    std::string out;
    while (std::isalpha(static_cast<unsigned char>(peek()))) {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(text_[pos_++])));
    }
    return out;
  }

  // The next token is `w` (case-insensitive) followed by a non-letter.
  bool word_is(const char* w) const {
    std::size_t i = pos_;
    for (const char* p = w; *p != '\0'; ++p, ++i) {
      if (i >= text_.size() || std::tolower(static_cast<unsigned char>(text_[i])) != *p) {
        return false;
      }
    }
    return i >= text_.size() || !std::isalpha(static_cast<unsigned char>(text_[i]));
  }

  const std::string& text_;
  const std::string& what_;
  std::size_t pos_ = 0;
};

std::int64_t ceil_div(std::int64_t a, std::int64_t b) {
  return a / b + (a % b != 0 ? 1 : 0);
}

// floor(a / b) for b > 0 and any a.
std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0 && a < 0) ? 1 : 0);
}

}  // namespace

std::chrono::microseconds RateLimit::emission_interval() const {
  return std::chrono::microseconds(ceil_div(period.count(), count));
}

RateLimit RateLimit::parse_one(const std::string& text, const std::string& what) {
  return LimitParser(text, what).parse();
}

std::vector<RateLimit> RateLimit::parse(const std::string& text, const std::string& what) {
  std::vector<RateLimit> limits;
  std::size_t start = 0;
  for (;;) {
    const auto end = text.find_first_of(";,", start);
    const std::string item = text.substr(start, end == std::string::npos ? end : end - start);
    if (item.find_first_not_of(" \t") == std::string::npos) {
      throw ConfigurationError(what + ": empty limit in \"" + text +
                               "\" (expected e.g. \"10/minute\" or \"100/minute;1000/day\")");
    }
    limits.push_back(LimitParser(item, what).parse());
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return limits;
}

namespace gcra {

// The arithmetic mirrors the Lua script in rate_limiter.cpp line by line.
LimitState inspect(std::int64_t tat, std::int64_t now, std::int64_t emission_interval_us,
                   long long burst, long long cost) {
  const std::int64_t t = emission_interval_us;
  const std::int64_t capacity = burst * t;  // burst tolerance + one interval
  const std::int64_t base = std::max(tat, now);
  LimitState s;
  const std::int64_t allow_at = base + cost * t - capacity;  // earliest time `cost` fits
  s.allowed = allow_at <= now;
  s.retry_after = std::chrono::microseconds(s.allowed ? 0 : allow_at - now);
  s.remaining = std::max<std::int64_t>(0, floor_div(capacity - (base - now), t));
  s.reset_after = std::chrono::microseconds(base - now);
  return s;
}

LimitState evaluate(std::int64_t tat, std::int64_t now, std::int64_t emission_interval_us,
                    long long burst, long long cost, std::int64_t& new_tat) {
  LimitState s = inspect(tat, now, emission_interval_us, burst, cost);
  new_tat = tat;
  if (!s.allowed) return s;
  const std::int64_t t = emission_interval_us;
  new_tat = std::max(tat, now) + cost * t;
  s.remaining = std::max<std::int64_t>(0, floor_div(burst * t - (new_tat - now), t));
  s.reset_after = std::chrono::microseconds(new_tat - now);
  return s;
}

}  // namespace gcra

}  // namespace pgfast

namespace pgfast {

const char* to_string(DecisionSource source) noexcept {
  switch (source) {
    case DecisionSource::redis:
      return "redis";
    case DecisionSource::local:
      return "local";
    case DecisionSource::fail_open:
      return "fail_open";
    case DecisionSource::fail_closed:
      return "fail_closed";
    case DecisionSource::disabled:
      return "disabled";
  }
  return "unknown";
}

void summarize(Decision& d) {
  if (d.states.empty() || !d.limits || d.limits->size() != d.states.size()) return;
  d.allowed = true;
  for (const auto& s : d.states) d.allowed = d.allowed && s.allowed;
  std::size_t pick = 0;
  for (std::size_t i = 1; i < d.states.size(); ++i) {
    const auto& a = d.states[i];
    const auto& b = d.states[pick];
    const bool better = d.allowed ? (a.remaining < b.remaining ||
                                     (a.remaining == b.remaining && a.reset_after > b.reset_after))
                                  : (a.retry_after > b.retry_after);
    if (better) pick = i;
  }
  d.deciding = pick;
  d.limit = (*d.limits)[pick].burst;
  d.remaining = d.states[pick].remaining;
  d.reset_after = d.states[pick].reset_after;
  d.retry_after = d.allowed ? std::chrono::microseconds(0) : d.states[pick].retry_after;
}

namespace gcra {

Decision decide(const std::shared_ptr<const std::vector<RateLimit>>& limits,
                std::vector<std::int64_t>& tats, std::int64_t now, long long cost, bool consume) {
  Decision d;
  d.limits = limits;
  d.now_us = now;
  const auto& ls = *limits;
  tats.resize(ls.size(), 0);
  d.states.reserve(ls.size());
  bool all = true;
  for (std::size_t i = 0; i < ls.size(); ++i) {
    d.states.push_back(inspect(tats[i], now, ls[i].emission_interval().count(), ls[i].burst, cost));
    all = all && d.states.back().allowed;
  }
  if (all && consume) {
    for (std::size_t i = 0; i < ls.size(); ++i) {
      std::int64_t new_tat = 0;
      d.states[i] =
          evaluate(tats[i], now, ls[i].emission_interval().count(), ls[i].burst, cost, new_tat);
      tats[i] = new_tat;
    }
  }
  summarize(d);
  return d;
}

}  // namespace gcra

}  // namespace pgfast
