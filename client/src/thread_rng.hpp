// pgfast::detail::thread_rng(): a per-thread 64-bit generator seeded from the OS (random_device),
// for values other processes must not collide with (cache lease tokens, tag generations) and
// retry jitter.
#pragma once

#include <cstdint>
#include <random>

namespace pgfast::detail {

inline std::mt19937_64& thread_rng() {
  thread_local std::mt19937_64 generator([] {
    std::random_device device;
    return (static_cast<std::uint64_t>(device()) << 32) ^ device();
  }());
  return generator;
}

}  // namespace pgfast::detail
