// pgfast::Metrics: Prometheus metrics of the client's components, registered in the application's
// prometheus::Registry (prometheus-cpp). docs/metrics.md lists the metrics and their labels.
//
//   auto registry = std::make_shared<prometheus::Registry>();
//   auto metrics = std::make_shared<pgfast::Metrics>(*registry);
//   pgfast::DatabaseOptions o;
//   o.metrics = metrics;      // also CacheOptions, RateLimiterOptions, InvalidatorOptions,
//   o.metrics_name = "main";  // BulkWriterOptions; the name is the series' label value
//
// Thread safety: thread-safe (components bind their series while they are constructed). The
// registry must outlive the Metrics and every component given it.
#pragma once

#include <memory>

namespace prometheus {
class Registry;
}

namespace pgfast {

namespace detail {
struct MetricFamilies;
}

class Metrics {
 public:
  // Registers the pgfast_* families in `registry`. A second Metrics on the same registry shares
  // them (the registry's default InsertBehavior::Merge).
  explicit Metrics(prometheus::Registry& registry);
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // For the components (client/src/metrics/metric_families.hpp); not for applications.
  const detail::MetricFamilies& families() const noexcept { return *families_; }

 private:
  std::unique_ptr<detail::MetricFamilies> families_;
};

}  // namespace pgfast
