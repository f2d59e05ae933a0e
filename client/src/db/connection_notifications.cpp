// Connection's LISTEN/NOTIFY for application code: listen, unlisten, wait_for_notification.
#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <string>

#include "pgfast/db/connection.hpp"
#include "pgfast/errors.hpp"

namespace pgfast {

namespace {

// `channel` as a quoted SQL identifier ("Orders" stays Orders, not orders).
std::string quoted_channel(pg_conn* conn, std::string_view channel) {
  if (channel.empty()) throw UsageError("pgfast: a notification channel name must not be empty");
  if (channel.find('\0') != std::string_view::npos) {
    throw UsageError("pgfast: a notification channel name must not contain a NUL byte");
  }
  char* quoted = PQescapeIdentifier(conn, channel.data(), channel.size());
  if (quoted == nullptr) {
    std::string message = PQerrorMessage(conn);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    throw UsageError("pgfast: cannot quote the channel name: " + message);
  }
  std::string out(quoted);
  PQfreemem(quoted);
  return out;
}

}  // namespace

void Connection::listen(std::string_view channel) {
  execute("LISTEN " + quoted_channel(conn_, channel));
  listening_ = true;
}

void Connection::unlisten(std::string_view channel) {
  execute("UNLISTEN " + quoted_channel(conn_, channel));
}

void Connection::unlisten_all() {
  execute("UNLISTEN *");
  // Inside a transaction the UNLISTEN waits for COMMIT and a rollback would undo it.
  if (transaction_status() == TransactionStatus::idle) listening_ = false;
}

std::optional<Notification> Connection::next_notification() {
  PGnotify* n = PQnotifies(conn_);
  if (n == nullptr) return std::nullopt;
  Notification out{n->relname, n->extra == nullptr ? "" : n->extra, n->be_pid};
  PQfreemem(n);
  return out;
}

std::optional<Notification> Connection::wait_for_notification(std::chrono::milliseconds timeout) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point deadline = Clock::now() + std::max(timeout, std::chrono::milliseconds(0));
  for (;;) {
    // Reads what has arrived without blocking; fails when the connection is lost.
    if (PQconsumeInput(conn_) == 0) throw_error(nullptr);
    if (std::optional<Notification> n = next_notification()) return n;
    const Clock::time_point now = Clock::now();
    if (now >= deadline) return std::nullopt;
    const auto remaining = std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
    pollfd fd{PQsocket(conn_), POLLIN, 0};
    if (::poll(&fd, 1, static_cast<int>(std::min<long long>(remaining, INT_MAX))) < 0 &&
        errno != EINTR) {
      throw ClientError(std::string("pgfast: waiting for a notification failed: ") +
                        std::strerror(errno));
    }
  }
}

}  // namespace pgfast
