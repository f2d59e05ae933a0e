// Redis helpers for the integration suites:
//  - redis_url() / redis_port(): the shared throwaway server handed in by scripts/with-services
//    (a missing variable fails the test, never skips it);
//  - RedisServer: a private redis-server for fault tests (stop, restart on the same port, kill,
//    freeze/thaw with SIGSTOP/SIGCONT), in its own temp dir, stopped by the destructor. Readiness
//    is awaited by polling PING, never by a fixed sleep.
#pragma once

#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "pgfast/redis/redis.hpp"

namespace pgfast_test {

inline std::string required_env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    const std::string message =
        std::string(name) +
        " is not set: the integration tests need a redis-server. Run them through "
        "scripts/with-services (e.g. scripts/with-services ctest --test-dir build -L integration).";
    ADD_FAILURE() << message;
    throw std::runtime_error(message);
  }
  return value;
}

// REDIS_URL of the shared throwaway server.
inline std::string redis_url() {
  return required_env("REDIS_URL");
}
inline int redis_port() {
  return std::stoi(required_env("REDIS_PORT"));
}

// Options for a pool on `url` with short timeouts suitable for tests.
inline pgfast::RedisOptions redis_options(const std::string& url, int max_connections = 8) {
  pgfast::RedisOptions o;
  o.url = url;
  o.max_connections = max_connections;
  o.connect_timeout = std::chrono::milliseconds(1000);
  o.command_timeout = std::chrono::milliseconds(1000);
  o.pool_timeout = std::chrono::milliseconds(5000);
  return o;
}

// A loopback TCP port nothing listens on right now (the kernel's choice; it may be taken again
// before use, which RedisServer::start() handles by retrying).
inline int free_tcp_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("bind() to a free port failed");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

class RedisServer {
 public:
  // Starts a redis-server on a free loopback port; `extra_args` are appended to its command line
  // (e.g. {"--requirepass", "pw"}).
  explicit RedisServer(std::vector<std::string> extra_args = {})
      : extra_args_(std::move(extra_args)) {
    char tmpl[] = "/tmp/pgfast-redis-test.XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    for (int attempt = 0; attempt < 5 && pid_ <= 0; ++attempt) {
      port_ = free_tcp_port();
      launch();
      if (!await_ready()) stop();
    }
    if (pid_ <= 0) {
      // The destructor will not run: keep the log's end for the message, remove the temp dir.
      std::ifstream log(dir_ + "/redis.log");
      std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
      std::error_code ignored;
      std::filesystem::remove_all(dir_, ignored);
      throw std::runtime_error("RedisServer: redis-server did not start; its log ends:\n" +
                               text.substr(text.size() > 800 ? text.size() - 800 : 0));
    }
  }

  ~RedisServer() {
    stop();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  std::string url(int db = 0) const {
    return "redis://127.0.0.1:" + std::to_string(port_) + "/" + std::to_string(db);
  }
  bool running() const { return pid_ > 0; }

  // SIGTERM and wait for the process to exit (SIGKILL after 10 s).
  void stop() { terminate(SIGTERM); }
  // SIGKILL: the server dies without closing anything itself.
  void kill() { terminate(SIGKILL); }

  // Starts it again on the same port (after stop()/kill()); true when it answers PING.
  bool restart() {
    stop();
    for (int attempt = 0; attempt < 50; ++attempt) {
      launch();
      if (await_ready()) return true;
      stop();  // the port may still be held for a moment: try again shortly
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  // SIGSTOP / SIGCONT: the server keeps its sockets but answers nothing (a hung server).
  void freeze() {
    if (pid_ > 0) ::kill(pid_, SIGSTOP);
  }
  void thaw() {
    if (pid_ > 0) ::kill(pid_, SIGCONT);
  }

 private:
  void launch() {
    std::vector<std::string> args = {"redis-server",
                                     "--bind",
                                     "127.0.0.1",
                                     "--port",
                                     std::to_string(port_),
                                     "--save",
                                     "",
                                     "--appendonly",
                                     "no",
                                     "--dir",
                                     dir_,
                                     "--daemonize",
                                     "no",
                                     "--logfile",
                                     dir_ + "/redis.log"};
    args.insert(args.end(), extra_args_.begin(), extra_args_.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
      ::execvp("redis-server", argv.data());
      ::_exit(127);
    }
    pid_ = pid;
  }

  // Polls PING until the server answers, even with an error (true), or the process exits / 10 s
  // pass (false).
  bool await_ready() {
    pgfast::RedisOptions o;
    o.url = url();
    o.max_connections = 1;
    o.connect_timeout = std::chrono::milliseconds(200);
    o.command_timeout = std::chrono::milliseconds(200);
    pgfast::Redis probe(o);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      try {
        probe.command({"PING"});
        return true;
      } catch (const pgfast::RedisReplyError&) {
        return true;  // it answers (e.g. NOAUTH with --requirepass)
      } catch (const pgfast::RedisUnavailableError&) {
      }
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  void terminate(int sig) {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGCONT);  // a frozen server must run to handle SIGTERM
    ::kill(pid_, sig);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() >= deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    pid_ = -1;
  }

  std::vector<std::string> extra_args_;
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace pgfast_test
