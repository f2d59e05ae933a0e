// Progress of a demo phase on stderr: "  scraping  12000/20000  60%  1480/s". On a terminal the
// line is redrawn in place (at most 5 times a second); otherwise a line is printed every 2 seconds,
// so logs stay short. A phase shorter than a second prints only its final line.
#pragma once

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>

namespace pgfast_demo {

class Progress {
 public:
  Progress(std::string phase, std::uint64_t total)
      : phase_(std::move(phase)),
        total_(total),
        start_(std::chrono::steady_clock::now()),
        last_(start_),
        tty_(::isatty(STDERR_FILENO) != 0) {}

  // Thread-safe: workers call it with how many items they just finished.
  void advance(std::uint64_t n = 1) {
    std::uint64_t done = done_.fetch_add(n) + n;
    auto now = std::chrono::steady_clock::now();
    auto interval = tty_ ? std::chrono::milliseconds(200) : std::chrono::milliseconds(2000);
    if (now - start_ < std::chrono::seconds(1)) return;
    std::unique_lock<std::mutex> lock(mutex_, std::try_to_lock);
    if (!lock.owns_lock() || now - last_ < interval) return;
    last_ = now;
    print(done, now, false);
  }

  // The final line: total items and the rate over the whole phase.
  void finish() {
    std::lock_guard<std::mutex> lock(mutex_);
    print(done_.load(), std::chrono::steady_clock::now(), true);
  }

 private:
  void print(std::uint64_t done, std::chrono::steady_clock::time_point now, bool final) {
    double seconds = std::chrono::duration<double>(now - start_).count();
    double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
    std::string line = "  " + phase_ + "  " + std::to_string(done);
    if (total_ > 0) {
      line += "/" + std::to_string(total_) + "  " + std::to_string(done * 100 / total_) + "%";
    }
    char tail[64];
    std::snprintf(tail, sizeof tail, "  %.0f/s  %.1fs", rate, seconds);
    line += tail;
    if (tty_) {
      std::fprintf(stderr, "\r\033[K%s%s", line.c_str(), final ? "\n" : "");
    } else {
      std::fprintf(stderr, "%s\n", line.c_str());
    }
    std::fflush(stderr);
  }

  std::string phase_;
  std::uint64_t total_;
  std::atomic<std::uint64_t> done_{0};
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_;
  bool tty_;
  std::mutex mutex_;
};

}  // namespace pgfast_demo
