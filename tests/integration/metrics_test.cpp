// pgfast::Metrics end to end: a Database, Cache, RateLimiter, Invalidator and BulkWriter with
// metrics, a little traffic, then the registry's text exposition (prometheus::TextSerializer)
// validated by `promtool check metrics` and parsed by a real consumer (python3-prometheus-client)
// whose values must equal the components' stats().
#include "pgfast/metrics.hpp"
#include "pgfast/testing/invalidator_access.hpp"

#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include "pgfast/bulk/bulk_writer.hpp"
#include "pgfast/cache/cache.hpp"
#include "pgfast/db/database.hpp"
#include "pgfast/cache/invalidator.hpp"
#include "pgfast/ratelimit/rate_limiter.hpp"
#include "redis_server.hpp"
#include "test_env.hpp"

using std::chrono::milliseconds;

namespace {

struct CommandOutput {
  int status = -1;   // exit code
  std::string text;  // stdout and stderr
};

CommandOutput run(const std::string& command) {
  CommandOutput out;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return out;
  char buffer[4096];
  while (std::size_t n = std::fread(buffer, 1, sizeof buffer, p)) out.text.append(buffer, n);
  const int status = ::pclose(p);
  out.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

// The exposition as python's prometheus_client parses it (Debian's python3-prometheus-client,
// hence Debian's /usr/bin/python3, not whichever python3 comes first in PATH): "name{k="v",...}"
// (labels sorted) → value.
const char* const kParser = R"(
import sys
from prometheus_client.parser import text_string_to_metric_families
for family in text_string_to_metric_families(open(sys.argv[1]).read()):
    for s in family.samples:
        labels = ",".join('%s="%s"' % kv for kv in sorted(s.labels.items()))
        print("%s{%s} %r" % (s.name, labels, s.value))
)";

class Exposition {
 public:
  explicit Exposition(prometheus::Registry& registry)
      : path_("/tmp/" + pgfast_test::unique_name("pgfast_metrics") + ".prom") {
    text_ = prometheus::TextSerializer().Serialize(registry.Collect());
    std::ofstream(path_) << text_;
    std::ofstream(path_ + ".py") << kParser;
    const CommandOutput parsed = run("/usr/bin/python3 " + path_ + ".py " + path_);
    EXPECT_EQ(parsed.status, 0) << parsed.text;
    std::istringstream lines(parsed.text);
    std::string series;
    double value = 0;
    while (lines >> series >> value) samples_[series] = value;
  }
  ~Exposition() {
    std::remove(path_.c_str());
    std::remove((path_ + ".py").c_str());
  }

  const std::string& text() const { return text_; }
  const std::string& path() const { return path_; }
  // The sample's value; nullopt when the exposition lacks it.
  std::optional<double> get(const std::string& series) const {
    auto it = samples_.find(series);
    if (it == samples_.end()) return std::nullopt;
    return it->second;
  }
  double sum_of(const std::string& name, const std::string& label) const {
    double sum = 0;
    for (const auto& [series, value] : samples_) {
      if (series.rfind(name + "{", 0) == 0 && series.find(label) != std::string::npos) {
        sum += value;
      }
    }
    return sum;
  }

 private:
  std::string path_;
  std::string text_;
  std::map<std::string, double> samples_;
};

// A Redis URL that refuses connections (nothing listens on the port).
std::string refusing_redis_url() {
  return "redis://127.0.0.1:" + std::to_string(pgfast_test::free_tcp_port());
}

class MetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_ = std::make_shared<prometheus::Registry>();
    metrics_ = std::make_shared<pgfast::Metrics>(*registry_);
  }

  pgfast::CacheOptions cache_options(const std::string& url, const std::string& name) {
    pgfast::CacheOptions o;
    o.redis = pgfast_test::redis_options(url);
    o.key_prefix = pgfast_test::unique_name("metrics") + ":";
    o.metrics = metrics_;
    o.metrics_name = name;
    return o;
  }

  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<pgfast::Metrics> metrics_;
};

}  // namespace

TEST_F(MetricsTest, PoolSeriesEqualPoolStats) {
  auto o = pgfast_test::pool_options(pgfast_test::unique_name("metrics_pool"), 1, 0);
  o.metrics = metrics_;
  o.metrics_name = "main";
  pgfast::Database db(o);
  db.query("SELECT 1");
  db.query("SELECT 2");

  std::optional<pgfast::PooledConnection> held(db.acquire());
  EXPECT_THROW(db.acquire(milliseconds(0)), pgfast::PoolTimeoutError);
  {
    const Exposition e(*registry_);
    EXPECT_EQ(e.get(R"(pgfast_db_pool_connections{pool="main",state="in_use"})"), 1.0);
    EXPECT_EQ(e.get(R"(pgfast_db_pool_connections{pool="main",state="idle"})"), 0.0);
    EXPECT_EQ(e.get(R"(pgfast_db_pool_timeouts_total{pool="main"})"), 1.0);
  }
  // A borrower that waits: it blocks until the held connection is returned.
  std::thread waiter([&] { db.query("SELECT 3"); });
  ASSERT_TRUE(pgfast_test::eventually([&] { return db.stats().waiting == 1; }));
  held.reset();
  waiter.join();

  const pgfast::PoolStats s = db.stats();
  EXPECT_EQ(s.waits, 1u);
  EXPECT_EQ(s.timeouts, 1u);
  const Exposition e(*registry_);
  auto series = [](const std::string& name) { return name + R"({pool="main"})"; };
  EXPECT_EQ(e.get(R"(pgfast_db_pool_connections{pool="main",state="in_use"})"), s.in_use);
  EXPECT_EQ(e.get(R"(pgfast_db_pool_connections{pool="main",state="idle"})"), s.idle);
  EXPECT_EQ(s.idle, 1u);
  EXPECT_EQ(e.get(series("pgfast_db_pool_waits_total")), s.waits);
  EXPECT_EQ(e.get(series("pgfast_db_pool_timeouts_total")), s.timeouts);
  EXPECT_EQ(e.get(series("pgfast_db_pool_acquires_total")), s.acquired_total);
  EXPECT_EQ(s.acquired_total, 4u);
  EXPECT_EQ(e.get(series("pgfast_db_pool_connections_opened_total")), s.created);
  EXPECT_EQ(e.get(series("pgfast_db_pool_connections_closed_total")), s.closed);
  EXPECT_EQ(e.get(series("pgfast_db_pool_connections_recycled_total")), s.recycled);
  EXPECT_EQ(e.get(series("pgfast_db_pool_connections_broken_total")), s.broken_replaced);
}

TEST_F(MetricsTest, CacheSeriesEqualCacheStatsAndRedisDownIsAFallThrough) {
  pgfast::Cache cache(cache_options(pgfast_test::redis_url(), "pages"));
  auto loader = []() -> std::optional<std::string> { return std::string("value"); };
  EXPECT_EQ(cache.get("absent"), std::nullopt);
  EXPECT_EQ(cache.cached("page:{id}", {{"id", 1}}, milliseconds(60000), loader), "value");
  EXPECT_EQ(cache.cached("page:{id}", {{"id", 1}}, milliseconds(60000), loader), "value");
  EXPECT_TRUE(cache.set("other", "x"));
  cache.invalidate_tag("some-tag");
  EXPECT_TRUE(cache.del("other"));

  pgfast::Cache down(cache_options(refusing_redis_url(), "down"));
  EXPECT_EQ(down.get("k"), std::nullopt);

  const pgfast::CacheStats s = cache.stats();
  const pgfast::CacheStats d = down.stats();
  EXPECT_GE(s.hits, 1u);
  EXPECT_GE(s.misses, 2u);
  EXPECT_EQ(s.invalidations, 2u);  // the tag bump and the key deleted
  EXPECT_EQ(d.errors, 1u);
  const Exposition e(*registry_);
  auto pages = [](const std::string& name) { return name + R"({cache="pages"})"; };
  EXPECT_EQ(e.get(pages("pgfast_cache_hits_total")), s.hits);
  EXPECT_EQ(e.get(pages("pgfast_cache_misses_total")), s.misses);
  EXPECT_EQ(e.get(pages("pgfast_cache_loads_total")), s.loads);
  EXPECT_EQ(e.get(pages("pgfast_cache_load_errors_total")), s.load_errors);
  EXPECT_EQ(e.get(pages("pgfast_cache_sets_total")), s.sets);
  EXPECT_EQ(e.get(pages("pgfast_cache_fall_throughs_total")), s.errors);
  EXPECT_EQ(e.get(pages("pgfast_cache_invalidations_total")), s.invalidations);
  EXPECT_EQ(e.get(R"(pgfast_cache_fall_throughs_total{cache="down"})"), d.errors);
  EXPECT_EQ(e.get(R"(pgfast_cache_hits_total{cache="down"})"), 0.0);
}

TEST_F(MetricsTest, RateLimiterDecisionsBySourceEqualStats) {
  pgfast::Redis redis(pgfast_test::redis_options(pgfast_test::redis_url()));
  pgfast::RateLimiterOptions o;
  o.scope = pgfast_test::unique_name("metrics_rl");
  o.limits = pgfast::parse_limits("2/minute", "metrics test");
  o.metrics = metrics_;
  o.metrics_name = "api";
  pgfast::RateLimiter api(redis, o);
  for (int i = 0; i < 3; ++i) api.check("client");  // 2 allowed, 1 denied

  pgfast::RateLimiterOptions off = o;
  off.enabled = false;
  off.metrics_name = "";  // the label is the scope
  pgfast::RateLimiter disabled(redis, off);
  disabled.check("client");

  pgfast::Redis down_redis(pgfast_test::redis_options(refusing_redis_url()));
  pgfast::RateLimiterOptions closed = o;
  closed.failure_mode = pgfast::FailureMode::closed;
  closed.metrics_name = "closed";
  pgfast::RateLimiter fail_closed(down_redis, closed);
  fail_closed.check("client");

  const Exposition e(*registry_);
  const std::string decisions = "pgfast_rate_limiter_decisions_total";
  auto sample = [&](const std::string& limiter, const char* decision, const char* source) {
    return e.get(decisions + "{decision=\"" + decision + "\",limiter=\"" + limiter +
                 "\",source=\"" + source + "\"}");
  };
  EXPECT_EQ(sample("api", "allowed", "redis"), 2.0);
  EXPECT_EQ(sample("api", "denied", "redis"), 1.0);
  EXPECT_EQ(sample("api", "allowed", "local"), 0.0);
  EXPECT_EQ(sample(o.scope, "allowed", "disabled"), 1.0);
  EXPECT_EQ(sample("closed", "denied", "fail_closed"), 1.0);
  for (const auto& [limiter, name] : {std::pair<pgfast::RateLimiter*, std::string>{&api, "api"},
                                      {&disabled, o.scope},
                                      {&fail_closed, "closed"}}) {
    const pgfast::RateLimiterStats s = limiter->stats();
    const std::string l = "limiter=\"" + name + "\"";
    EXPECT_EQ(e.sum_of(decisions, l), s.allowed + s.denied) << name;
    EXPECT_EQ(e.sum_of(decisions, l + ",source=\"redis\""), s.redis) << name;
    EXPECT_EQ(e.sum_of(decisions, l + ",source=\"disabled\""), s.disabled) << name;
    EXPECT_EQ(e.sum_of(decisions, l + ",source=\"fail_closed\""), s.fail_closed) << name;
    EXPECT_EQ(e.sum_of(decisions, "decision=\"allowed\"," + l), s.allowed) << name;
  }
}

TEST_F(MetricsTest, InvalidatorLagAndResyncs) {
  pgfast::Database db(pgfast_test::pool_options("metrics_inv", 1, 0));
  db.query("CREATE EXTENSION IF NOT EXISTS pgfast");
  const std::string table = pgfast_test::unique_name("metrics_items");
  const std::string channel = pgfast_test::unique_name("metrics_channel");
  db.query("CREATE TABLE " + table + " (id int PRIMARY KEY, name text)");
  db.query("INSERT INTO " + table + " VALUES (1, 'one')");
  db.query("SELECT pgfast.notify_changes($1, $2)", pgfast::params(table, channel));

  pgfast::Cache cache(cache_options(pgfast_test::redis_url(), "items"));
  pgfast::InvalidatorOptions io;
  io.database_url = pgfast_test::database_url();
  io.channel = channel;
  io.invalidate_on_start = true;  // a resync on start
  io.metrics = metrics_;
  io.metrics_name = "items";
  pgfast::Invalidator inv(cache, io);
  inv.watch(table, {"item:{id}"});
  inv.start();
  {
    const Exposition e(*registry_);
    EXPECT_EQ(e.get(R"(pgfast_invalidator_lag_seconds{invalidator="items"})"), 0.0);
  }
  const auto before = inv.events();
  db.query("UPDATE " + table + " SET name = 'uno' WHERE id = 1");
  ASSERT_TRUE(pgfast::testing::InvalidatorAccess::wait_for(
      inv, pgfast::InvalidationEvent::Kind::notification, before, milliseconds(10000)));
  inv.invalidate_all();  // and a direct one
  inv.stop();

  EXPECT_EQ(inv.resyncs(), 2u);
  const Exposition e(*registry_);
  EXPECT_EQ(e.get(R"(pgfast_invalidator_resyncs_total{invalidator="items"})"), inv.resyncs());
  const auto lag = e.get(R"(pgfast_invalidator_lag_seconds{invalidator="items"})");
  ASSERT_TRUE(lag.has_value());
  EXPECT_GT(*lag, 0.0);  // a measured duration was set
  db.query("DROP TABLE " + table);
}

TEST_F(MetricsTest, BulkRowsByAction) {
  pgfast::Database db(pgfast_test::pool_options("metrics_bulk", 1, 0));
  db.query("CREATE EXTENSION IF NOT EXISTS pgfast");
  const std::string table = pgfast_test::unique_name("metrics_bulk");
  db.query("CREATE TABLE " + table + " (id bigint PRIMARY KEY, n bigint)");
  pgfast::BulkWriterOptions o;
  o.target = table;
  o.columns = {{"id", pgfast::BulkType::int64}, {"n", pgfast::BulkType::int64}};
  o.metrics = metrics_;
  pgfast::BulkResult total;
  for (int pass = 0; pass < 2; ++pass) {
    pgfast::PooledConnection c = db.acquire();
    pgfast::BulkWriter w(*c, o);
    for (std::int64_t i = 1; i <= 3; ++i) w.add_row({i, pass == 1 && i == 1 ? i + 100 : i});
    const pgfast::BulkResult r = w.finish();
    total.inserted += r.inserted;
    total.updated += r.updated;
    total.unchanged += r.unchanged;
  }
  EXPECT_EQ(total.inserted, 3);
  EXPECT_EQ(total.updated, 1);
  EXPECT_EQ(total.unchanged, 2);
  const Exposition e(*registry_);
  EXPECT_EQ(e.get(R"(pgfast_bulk_rows_total{action="inserted"})"), total.inserted);
  EXPECT_EQ(e.get(R"(pgfast_bulk_rows_total{action="updated"})"), total.updated);
  EXPECT_EQ(e.get(R"(pgfast_bulk_rows_total{action="unchanged"})"), total.unchanged);
  db.query("DROP TABLE " + table);
}

// Every family, with series from every component: promtool accepts the exposition without a
// lint complaint.
TEST_F(MetricsTest, PromtoolAcceptsTheExposition) {
  auto o = pgfast_test::pool_options(pgfast_test::unique_name("metrics_lint"), 1, 0);
  o.metrics = metrics_;
  pgfast::Database db(o);
  db.query("SELECT 1");
  pgfast::Cache cache(cache_options(pgfast_test::redis_url(), ""));
  cache.get("k");
  pgfast::Redis redis(pgfast_test::redis_options(pgfast_test::redis_url()));
  pgfast::RateLimiterOptions ro;
  ro.scope = pgfast_test::unique_name("metrics_lint");
  ro.metrics = metrics_;
  pgfast::RateLimiter limiter(redis, ro);
  limiter.check("x");
  pgfast::InvalidatorOptions io;
  io.metrics = metrics_;
  pgfast::Invalidator inv(cache, io);  // bound, not started

  const Exposition e(*registry_);
  for (const char* name :
       {"pgfast_db_pool_connections", "pgfast_db_pool_waits_total", "pgfast_db_pool_timeouts_total",
        "pgfast_cache_hits_total", "pgfast_cache_misses_total", "pgfast_cache_loads_total",
        "pgfast_cache_fall_throughs_total", "pgfast_cache_invalidations_total",
        "pgfast_rate_limiter_decisions_total", "pgfast_invalidator_lag_seconds",
        "pgfast_invalidator_resyncs_total"}) {
    EXPECT_NE(e.text().find(std::string("# TYPE ") + name + " "), std::string::npos) << name;
  }
  EXPECT_EQ(e.get(R"(pgfast_cache_misses_total{cache="default"})"), 1.0);
  const CommandOutput check = run("promtool check metrics < " + e.path());
  EXPECT_EQ(check.status, 0) << check.text;
  EXPECT_EQ(check.text, "") << e.text();
}

// Components without metrics add no series (the families Metrics registered stay empty).
TEST_F(MetricsTest, ComponentsWithoutMetricsAddNoSeries) {
  pgfast::Database db(pgfast_test::pool_options(pgfast_test::unique_name("metrics_none"), 1, 0));
  db.query("SELECT 1");
  pgfast::CacheOptions co = cache_options(pgfast_test::redis_url(), "unused");
  co.metrics = nullptr;
  pgfast::Cache cache(co);
  cache.get("k");
  EXPECT_EQ(db.stats().acquired_total, 1u);
  EXPECT_EQ(cache.stats().misses, 1u);
  const Exposition e(*registry_);
  EXPECT_EQ(e.text().find("pool=\""), std::string::npos) << e.text();
  EXPECT_EQ(e.text().find("cache=\""), std::string::npos) << e.text();
}
