// Zipf-distributed ranks: P(rank k) ∝ 1 / k^s for k in [0, n). Natural-language word frequencies,
// site popularity and entity mentions all follow it closely enough for a realistic benchmark
// corpus.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <random>
#include <vector>

namespace pgfast_bench {

class ZipfSampler {
 public:
  ZipfSampler(std::size_t n, double s) : cdf_(n) {
    double total = 0;
    for (std::size_t k = 0; k < n; ++k) {
      total += 1.0 / std::pow(static_cast<double>(k + 1), s);
      cdf_[k] = total;
    }
    for (double& c : cdf_) c /= total;
  }

  // A rank in [0, n): 0 is the most frequent.
  template <class Rng>
  std::size_t operator()(Rng& rng) const {
    double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
    auto it = std::lower_bound(cdf_.begin(), cdf_.end(), u);
    return it == cdf_.end() ? cdf_.size() - 1 : static_cast<std::size_t>(it - cdf_.begin());
  }

  // The probability of rank k (for expected document frequencies).
  double probability(std::size_t k) const { return k == 0 ? cdf_[0] : cdf_[k] - cdf_[k - 1]; }

  std::size_t size() const { return cdf_.size(); }

 private:
  std::vector<double> cdf_;
};

}  // namespace pgfast_bench
