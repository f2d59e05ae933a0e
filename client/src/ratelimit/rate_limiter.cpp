#include "pgfast/ratelimit/rate_limiter.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <utility>

#include "ratelimit/gcra.hpp"
#include "ratelimit/local_rate_limiter.hpp"
#include "ratelimit/node_backoff.hpp"
#include "ratelimit/rate_limit_key.hpp"
#include "metrics/metric_families.hpp"
#include "redis/redis_script.hpp"
#include "pgfast/settings.hpp"
#include "pgfast/testing/rate_limiter_access.hpp"

namespace pgfast {

namespace {

// KEYS[1]: the identity's hash. ARGV: cost, mode ('0' peek, '1' all or nothing, '2' at most:
// cost becomes min(cost, what every limit allows now)), then per limit: field, emission interval
// (µs), burst. Returns {allowed, now_us, allowed_count, then per limit: remaining,
// reset_after_us, retry_after_us}. The arithmetic is gcra::inspect/take (gcra.cpp), in doubles
// that hold these integers exactly (< 2^53). TAT values are written with %.0f: Lua's default
// number format keeps only 14 digits.
const std::string kScript = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local cost = tonumber(ARGV[1])
local mode = ARGV[2]
local n = (#ARGV - 2) / 3
local fields = {}
for i = 1, n do fields[i] = ARGV[3 * i] end
local stored = redis.call('HMGET', KEYS[1], unpack(fields))
local base, allowed = {}, true
for i = 1, n do base[i] = math.max(tonumber(stored[i]) or 0, now) end
if mode == '2' then
  for i = 1, n do
    local e, burst = tonumber(ARGV[3 * i + 1]), tonumber(ARGV[3 * i + 2])
    local available = math.floor((burst * e - (base[i] - now)) / e)
    if available < cost then cost = available end
  end
  if cost < 1 then cost, allowed = 1, false end
end
for i = 1, n do
  local e, burst = tonumber(ARGV[3 * i + 1]), tonumber(ARGV[3 * i + 2])
  if base[i] + cost * e - burst * e > now then allowed = false end
end
local consume = allowed and mode ~= '0'
local result = {allowed and 1 or 0, now, allowed and cost or 0}
local writes, ttl = {}, 0
for i = 1, n do
  local e, burst = tonumber(ARGV[3 * i + 1]), tonumber(ARGV[3 * i + 2])
  local tat = base[i]
  local retry = tat + cost * e - burst * e - now
  if retry < 0 then retry = 0 end
  if consume then
    tat = tat + cost * e
    writes[#writes + 1] = fields[i]
    writes[#writes + 1] = string.format('%.0f', tat)
    if tat - now > ttl then ttl = tat - now end
  end
  local remaining = math.floor((burst * e - (tat - now)) / e)
  if remaining < 0 then remaining = 0 end
  result[#result + 1] = remaining
  result[#result + 1] = tat - now
  result[#result + 1] = retry
end
if #writes > 0 then
  redis.call('HSET', KEYS[1], unpack(writes))
  redis.call('PEXPIRE', KEYS[1], math.ceil(ttl / 1000))
end
return result
)lua";

// One per process: the SHA is learnt once (SCRIPT LOAD) and NOSCRIPT answered by EVAL.
RedisScript& gcra_script() {
  static RedisScript script(kScript);
  return script;
}

// Error replies that mean "the server cannot serve right now", handled like unavailability.
bool transient(const std::string& code) {
  return code == "LOADING" || code == "BUSY" || code == "MASTERDOWN" || code == "TRYAGAIN" ||
         code == "CLUSTERDOWN" || code == "READONLY";
}

std::int64_t system_now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::int64_t steady_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

RateLimiterOptions validated(RateLimiterOptions o) {
  if (o.scope.empty()) throw ConfigurationError("pgfast::RateLimiter: scope must not be empty");
  if (o.closed_retry_after.count() < 0 || o.redis_retry_after.count() < 0) {
    throw ConfigurationError(
        "pgfast::RateLimiter: closed_retry_after and redis_retry_after must not be negative");
  }
  if (o.limits.empty()) {
    throw ConfigurationError("pgfast::RateLimiter: no limits for scope \"" + o.scope + "\"");
  }
  for (auto& limit : o.limits) {
    limit = gcra::checked(limit, "rate limit for scope \"" + o.scope + "\"");
  }
  return o;
}

}  // namespace

FailureMode parse_failure_mode(const std::string& text) {
  if (text == "open") return FailureMode::open;
  if (text == "closed") return FailureMode::closed;
  if (text == "local") return FailureMode::local;
  throw ConfigurationError("rate limiter failure mode: expected open, closed or local, got \"" +
                           text + "\"");
}

const char* to_string(FailureMode mode) noexcept {
  switch (mode) {
    case FailureMode::open:
      return "open";
    case FailureMode::closed:
      return "closed";
    case FailureMode::local:
      return "local";
  }
  return "unknown";
}

RateLimiterOptions RateLimiterOptions::from_settings(const Settings& settings) {
  return named("general", settings);
}

RateLimiterOptions RateLimiterOptions::named(const std::string& endpoint,
                                             const Settings& settings) {
  using std::chrono::hours;
  using std::chrono::minutes;
  RateLimiterOptions o;
  o.scope = endpoint;
  o.enabled = settings.rate_limit_enabled;
  if (endpoint == "general") {
    o.limits = {RateLimit{settings.rate_limit_per_minute, minutes(1)}};
  } else if (endpoint == "search") {
    o.limits = {RateLimit{10, minutes(1)}};
  } else if (endpoint == "scraping") {
    o.limits = {RateLimit{5, minutes(1)}};
  } else if (endpoint == "network") {
    o.limits = {RateLimit{5, hours(1)}};
  } else {
    throw ConfigurationError("rate limiter: unknown endpoint \"" + endpoint +
                             "\" (general, search, scraping or network)");
  }
  return o;
}

namespace detail {

// The shared state behind RateLimiter handles.
class RateLimiterImpl {
 public:
  RateLimiterImpl(Redis redis, RateLimiterOptions options)
      : redis_(std::move(redis)),
        options_(validated(std::move(options))),
        cluster_(redis_.cluster()),
        limits_(std::make_shared<const std::vector<RateLimit>>(options_.limits)),
        local_(options_.limits),
        metrics_(RateLimiterMetrics::bind(options_.metrics.get(), options_.metrics_name.empty()
                                                                      ? options_.scope
                                                                      : options_.metrics_name)) {
    check_rate_limit_key_parts(options_.key_prefix, options_.scope, cluster_);
    for (const auto& l : *limits_) {
      const std::string e = std::to_string(l.emission_interval().count());
      const std::string b = std::to_string(l.burst);
      limit_args_.push_back(e + ":" + b);  // the hash field: same interval and burst, same state
      limit_args_.push_back(e);
      limit_args_.push_back(b);
    }
  }

  std::string key(const std::string& identity) const {
    return rate_limit_key(options_.key_prefix, options_.scope, identity, cluster_);
  }

  Decision decide(const std::string& identity, long long cost, gcra::Mode mode);
  void reset(const std::string& identity);
  RateLimiterStats stats() const;

  const RateLimiterOptions& options() const noexcept { return options_; }

 private:
  Decision from_redis(const std::string& key, long long cost, gcra::Mode mode);
  Decision fallback(const std::string& key, long long cost, gcra::Mode mode);
  Decision count(Decision d);

  Redis redis_;
  const RateLimiterOptions options_;  // limits checked, bursts filled in
  const bool cluster_;                // Redis Cluster: keys carry a hash tag (rate_limit_key.hpp)
  const std::shared_ptr<const std::vector<RateLimit>> limits_;
  std::vector<std::string> limit_args_;  // per limit: field, emission interval µs, burst
  LocalRateLimiter local_;

  struct Counters {
    std::atomic<std::uint64_t> by_source[5] = {};
    std::atomic<std::uint64_t> allowed{0};
    std::atomic<std::uint64_t> denied{0};
    std::atomic<std::uint64_t> redis_failures{0};
    std::atomic<std::uint64_t> redis_skipped{0};
    std::atomic<std::uint64_t> script_reloads{0};
  };
  mutable Counters counters_;
  std::shared_ptr<const RateLimiterMetrics> metrics_;  // null: no metrics
  // Nodes found unreachable and not tried again before redis_retry_after has passed.
  NodeBackoff down_nodes_;
};

void RateLimiterImpl::reset(const std::string& identity) {
  const std::string k = key(identity);
  local_.reset(k);
  redis_.command({"DEL", k});
}

Decision RateLimiterImpl::decide(const std::string& identity, long long cost, gcra::Mode mode) {
  if (identity.empty()) throw UsageError("pgfast::RateLimiter: empty identity");
  if (cost < 1) {
    throw UsageError(std::string("pgfast::RateLimiter: ") +
                     (mode == gcra::Mode::at_most ? "n" : "cost") + " must be at least 1, got " +
                     std::to_string(cost));
  }
  if (!options_.enabled) {
    Decision d;
    d.source = DecisionSource::disabled;
    d.limits = limits_;
    d.limit = limits_->front().burst;
    d.remaining = d.limit;
    d.allowed_count = cost;
    d.now_us = system_now_us();
    return count(std::move(d));
  }
  const std::string k = key(identity);
  const bool retry_later = options_.redis_retry_after.count() > 0;
  // With redis_retry_after: the identity's node. "" is a single server, or in cluster mode the
  // whole cluster (found unreachable when even the slot map could not be had).
  std::string node;
  try {
    if (retry_later) {
      const std::int64_t now = steady_now_ns();
      bool skip = down_nodes_.skip(node, now);
      if (!skip && cluster_) {
        node = redis_.node_for_key(k);
        skip = down_nodes_.skip(node, now);
      }
      if (skip) {
        counters_.redis_skipped.fetch_add(1, std::memory_order_relaxed);
        return count(fallback(k, cost, mode));
      }
    }
    return count(from_redis(k, cost, mode));
  } catch (const RedisUnavailableError&) {
  } catch (const RedisReplyError& e) {
    if (!transient(e.code())) throw;
  }
  counters_.redis_failures.fetch_add(1, std::memory_order_relaxed);
  if (retry_later) {
    const std::int64_t now = steady_now_ns();
    down_nodes_.mark(
        node, now,
        now + std::chrono::duration_cast<std::chrono::nanoseconds>(options_.redis_retry_after)
                  .count());
  }
  return count(fallback(k, cost, mode));
}

Decision RateLimiterImpl::from_redis(const std::string& key, long long cost, gcra::Mode mode) {
  std::vector<std::string> args;
  args.reserve(2 + limit_args_.size());
  args.push_back(std::to_string(cost));
  args.push_back(mode == gcra::Mode::peek ? "0" : mode == gcra::Mode::all_or_nothing ? "1" : "2");
  args.insert(args.end(), limit_args_.begin(), limit_args_.end());
  bool reloaded = false;
  const RedisReply reply = gcra_script().run(redis_, {key}, args, &reloaded);
  if (reloaded) counters_.script_reloads.fetch_add(1, std::memory_order_relaxed);
  const auto& r = reply.elements();
  if (r.size() != 3 + 3 * limits_->size()) {
    throw RedisError("pgfast::RateLimiter: unexpected script reply " + reply.debug_string());
  }
  Decision d;
  d.source = DecisionSource::redis;
  d.limits = limits_;
  d.now_us = r[1].integer();
  const bool allowed = r[0].integer() == 1;
  d.states.resize(limits_->size());
  for (std::size_t i = 0; i < limits_->size(); ++i) {
    LimitState& s = d.states[i];
    s.remaining = r[3 + 3 * i].integer();
    s.reset_after = std::chrono::microseconds(r[4 + 3 * i].integer());
    s.retry_after = std::chrono::microseconds(r[5 + 3 * i].integer());
    // A cost above the burst waits forever (the script, in doubles, computes a finite time).
    if (mode != gcra::Mode::at_most && cost > (*limits_)[i].burst) {
      s.retry_after = Decision::never;
    }
    s.allowed = s.retry_after.count() == 0;
  }
  gcra::summarize(d);
  d.allowed = allowed;
  d.allowed_count = r[2].integer();
  return d;
}

Decision RateLimiterImpl::fallback(const std::string& key, long long cost, gcra::Mode mode) {
  switch (options_.failure_mode) {
    case FailureMode::local: {
      Decision d = local_.check(key, cost, mode, system_now_us());
      d.source = DecisionSource::local;
      return d;
    }
    case FailureMode::open:
    case FailureMode::closed: {
      Decision d;
      d.limits = limits_;
      d.now_us = system_now_us();
      d.limit = limits_->front().burst;
      d.allowed = options_.failure_mode == FailureMode::open;
      d.source = d.allowed ? DecisionSource::fail_open : DecisionSource::fail_closed;
      d.remaining = d.allowed ? d.limit : 0;
      d.allowed_count = d.allowed ? cost : 0;
      if (!d.allowed) {
        d.retry_after =
            std::chrono::duration_cast<std::chrono::microseconds>(options_.closed_retry_after);
        d.reset_after = d.retry_after;
      }
      return d;
    }
  }
  return Decision{};
}

Decision RateLimiterImpl::count(Decision d) {
  counters_.by_source[static_cast<int>(d.source)].fetch_add(1, std::memory_order_relaxed);
  (d.allowed ? counters_.allowed : counters_.denied).fetch_add(1, std::memory_order_relaxed);
  if (metrics_) metrics_->count(d.source, d.allowed);
  return d;
}

RateLimiterStats RateLimiterImpl::stats() const {
  RateLimiterStats s;
  auto get = [&](DecisionSource source) {
    return counters_.by_source[static_cast<int>(source)].load(std::memory_order_relaxed);
  };
  s.redis = get(DecisionSource::redis);
  s.local = get(DecisionSource::local);
  s.fail_open = get(DecisionSource::fail_open);
  s.fail_closed = get(DecisionSource::fail_closed);
  s.disabled = get(DecisionSource::disabled);
  s.allowed = counters_.allowed.load(std::memory_order_relaxed);
  s.denied = counters_.denied.load(std::memory_order_relaxed);
  s.redis_failures = counters_.redis_failures.load(std::memory_order_relaxed);
  s.script_reloads = counters_.script_reloads.load(std::memory_order_relaxed);
  s.redis_skipped = counters_.redis_skipped.load(std::memory_order_relaxed);
  return s;
}

}  // namespace detail

RateLimiter::RateLimiter(Redis redis, RateLimiterOptions options)
    : impl_(std::make_shared<detail::RateLimiterImpl>(std::move(redis), std::move(options))) {}

RateLimiter::RateLimiter(RateLimiterOptions options, RedisOptions redis_options)
    : RateLimiter(Redis(std::move(redis_options)), std::move(options)) {}

RateLimiter::RateLimiter(const Settings& settings, const std::string& endpoint)
    : RateLimiter(Redis(settings), RateLimiterOptions::named(endpoint, settings)) {}

Decision RateLimiter::check(const std::string& identity, long long cost) {
  return impl_->decide(identity, cost, gcra::Mode::all_or_nothing);
}

Decision RateLimiter::allow_at_most(const std::string& identity, long long n) {
  return impl_->decide(identity, n, gcra::Mode::at_most);
}

Decision RateLimiter::peek(const std::string& identity, long long cost) {
  return impl_->decide(identity, cost, gcra::Mode::peek);
}

void RateLimiter::reset(const std::string& identity) {
  impl_->reset(identity);
}

std::string RateLimiter::key(const std::string& identity) const {
  return impl_->key(identity);
}

const std::vector<RateLimit>& RateLimiter::limits() const noexcept {
  return impl_->options().limits;
}

const RateLimiterOptions& RateLimiter::options() const noexcept {
  return impl_->options();
}

RateLimiterStats RateLimiter::stats() const {
  return impl_->stats();
}

}  // namespace pgfast

namespace pgfast::testing {

const std::string& RateLimiterAccess::script() {
  return kScript;
}

}  // namespace pgfast::testing
