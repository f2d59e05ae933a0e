#include "pgfast/ratelimit/rate_limit.hpp"

#include <cctype>

#include "ratelimit/gcra.hpp"

namespace pgfast {

namespace {

constexpr long long kMaxPeriods = 1000000LL;

struct Unit {
  std::chrono::milliseconds length;
  const char* name;  // canonical, singular
};

// Largest first: RateLimit::to_string picks the largest unit that divides the period.
constexpr Unit kUnits[] = {
    {std::chrono::hours(24), "day"},
    {std::chrono::hours(1), "hour"},
    {std::chrono::minutes(1), "minute"},
    {std::chrono::seconds(1), "second"},
};

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
    std::chrono::milliseconds unit_length{};
    if (unit == "ms" || unit == "millisecond" || unit == "milliseconds") {
      unit_length = std::chrono::milliseconds(1);
    } else if (unit == "second" || unit == "seconds" || unit == "sec" || unit == "s") {
      unit_length = std::chrono::seconds(1);
    } else if (unit == "minute" || unit == "minutes" || unit == "min" || unit == "m") {
      unit_length = std::chrono::minutes(1);
    } else if (unit == "hour" || unit == "hours" || unit == "h") {
      unit_length = std::chrono::hours(1);
    } else if (unit == "day" || unit == "days" || unit == "d") {
      unit_length = std::chrono::hours(24);
    } else {
      fail(unit.empty() ? "missing time unit (ms, second, minute, hour or day)"
                        : "unknown time unit \"" + unit + "\" (ms, second, minute, hour or day)");
    }
    limit.period = unit_length * periods;
    skip_spaces();
    if (word_is("burst")) {
      pos_ += 5;
      skip_spaces();
      limit.burst = number("a burst size");
      skip_spaces();
    }
    if (pos_ != text_.size()) fail("unexpected text \"" + text_.substr(pos_) + "\"");
    return gcra::checked(limit, what_);
  }

  [[noreturn]] void fail(const std::string& problem) const {
    throw ConfigurationError(
        what_ + ": " + problem + " in \"" + text_ +
        "\" (expected e.g. \"10/minute\", \"5 per hour\", \"100/minute;1000/day\", "
        "\"5/100ms\" or \"10/minute burst 20\")");
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
      if (value > gcra::kMaxCount) fail(std::string(what) + " too large");
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

std::string period_text(std::chrono::milliseconds period) {
  for (const Unit& unit : kUnits) {
    if (period.count() > 0 && period % unit.length == std::chrono::milliseconds(0)) {
      const long long n = period / unit.length;
      return n == 1 ? unit.name : std::to_string(n) + " " + unit.name + "s";
    }
  }
  return std::to_string(period.count()) + "ms";
}

}  // namespace

std::chrono::microseconds RateLimit::emission_interval() const {
  const std::int64_t us = std::chrono::microseconds(period).count();
  return std::chrono::microseconds(us / count + (us % count != 0 ? 1 : 0));
}

std::string RateLimit::to_string() const {
  std::string text = std::to_string(count) + "/" + period_text(period);
  if (effective_burst() != count) text += " burst " + std::to_string(effective_burst());
  return text;
}

RateLimit RateLimit::parse(const std::string& text, const std::string& what) {
  return LimitParser(text, what).parse();
}

std::vector<RateLimit> parse_limits(const std::string& text, const std::string& what) {
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

}  // namespace pgfast
