// HeldScript: runs a script that starts a throwaway service, prints one line "<NAME>=<value>" on
// stdout and keeps the service while its stdin is open (tests/integration/redis_cluster.sh,
// scripts/with-pgbouncer). The destructor closes that stdin and waits for the script, which then
// stops the service; so does the kernel when this process dies, so no service outlives its test.
#pragma once

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace pgfast_test {

class HeldScript {
 public:
  // Starts `script` (no arguments) with `environment` ("NAME=value" entries) added to this
  // process's environment and waits for its line starting "<name>="; throws std::runtime_error
  // when the script ends without printing it (its own messages go to stderr).
  HeldScript(const std::string& script, const std::string& name,
             std::vector<std::string> environment = {})
      : environment_(std::move(environment)) {
    int to_child[2];
    int from_child[2];
    // Close-on-exec, so that no other child of this process keeps the script's stdin open (dup2
    // below clears the flag on the script's own ends).
    if (::pipe2(to_child, O_CLOEXEC) != 0) throw std::runtime_error(script + ": pipe failed");
    if (::pipe2(from_child, O_CLOEXEC) != 0) {
      ::close(to_child[0]);
      ::close(to_child[1]);
      throw std::runtime_error(script + ": pipe failed");
    }
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error(script + ": fork failed");
    if (pid_ == 0) {
      ::dup2(to_child[0], STDIN_FILENO);
      ::dup2(from_child[1], STDOUT_FILENO);
      for (std::string& entry : environment_) ::putenv(entry.data());
      ::execl(script.c_str(), script.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(to_child[0]);
    ::close(from_child[1]);
    keep_alive_ = to_child[1];
    const std::string prefix = name + "=";
    std::string line;
    char c = 0;
    while (::read(from_child[0], &c, 1) == 1 && c != '\n') line += c;
    ::close(from_child[0]);
    if (line.rfind(prefix, 0) != 0) {
      stop();
      throw std::runtime_error(script + " did not print " + name + " (its messages are above)");
    }
    value_ = line.substr(prefix.size());
  }

  ~HeldScript() { stop(); }
  HeldScript(const HeldScript&) = delete;
  HeldScript& operator=(const HeldScript&) = delete;

  // What followed "<name>=" on the script's line.
  const std::string& value() const { return value_; }

 private:
  // Closes the script's stdin (it then stops its service and removes its temp dir) and waits.
  void stop() {
    if (keep_alive_ >= 0) ::close(keep_alive_);
    keep_alive_ = -1;
    if (pid_ > 0) {
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    pid_ = -1;
  }

  std::vector<std::string> environment_;  // putenv keeps pointers into these in the child
  pid_t pid_ = -1;
  int keep_alive_ = -1;  // the write end of the script's stdin
  std::string value_;
};

}  // namespace pgfast_test
