#include "redis/redis_connection.hpp"

#include <hiredis/hiredis.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <memory>

#include "pgfast/errors.hpp"

namespace pgfast::detail {

namespace {

timeval to_timeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

bool is_timeout(int error_number) {
  return error_number == EAGAIN || error_number == EWOULDBLOCK || error_number == EINPROGRESS ||
         error_number == ETIMEDOUT;
}

struct ReplyDeleter {
  void operator()(redisReply* r) const noexcept { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

}  // namespace

RedisReply copy_reply(const redisReply* r) {
  if (r == nullptr) return RedisReply::make_nil();
  switch (r->type) {
    case REDIS_REPLY_INTEGER:
      return RedisReply::make_integer(r->integer);
    case REDIS_REPLY_STRING:
      return RedisReply::make_string(std::string(r->str, r->len));
    case REDIS_REPLY_STATUS:
      return RedisReply::make_status(std::string(r->str, r->len));
    case REDIS_REPLY_ERROR:
      return RedisReply::make_error(std::string(r->str, r->len));
    case REDIS_REPLY_ARRAY: {
      std::vector<RedisReply> elements;
      elements.reserve(r->elements);
      for (std::size_t i = 0; i < r->elements; ++i) elements.push_back(copy_reply(r->element[i]));
      return RedisReply::make_array(std::move(elements));
    }
    default:
      return RedisReply::make_nil();
  }
}

RedisConnection::RedisConnection(const RedisEndpoint& endpoint,
                                 std::chrono::milliseconds connect_timeout,
                                 std::chrono::milliseconds command_timeout, bool readonly)
    : where_((endpoint.host.find(':') != std::string::npos ? "[" + endpoint.host + "]"
                                                           : endpoint.host) +
             ":" + std::to_string(endpoint.port)),
      timeout_(connect_timeout),
      timeout_name_("connect timeout") {
  errno = 0;
  ctx_ = connect_timeout.count() > 0 ? redisConnectWithTimeout(endpoint.host.c_str(), endpoint.port,
                                                               to_timeval(connect_timeout))
                                     : redisConnect(endpoint.host.c_str(), endpoint.port);
  const int connect_errno = errno;
  if (ctx_ == nullptr)
    throw RedisConnectionRefusedError("Redis " + where_ + ": out of memory on connect");
  if (ctx_->err != 0) {
    // hiredis reports a connect timeout as an I/O error with errno ETIMEDOUT; anything else
    // (refused, unreachable, unknown host) means nothing usable is there.
    const bool timed_out = ctx_->err == REDIS_ERR_IO && is_timeout(connect_errno);
    std::string message = "Redis " + where_ + ": cannot connect: " + ctx_->errstr;
    redisFree(ctx_);
    ctx_ = nullptr;
    if (timed_out) {
      throw RedisTimeoutError(message + " (connect timeout of " +
                              std::to_string(connect_timeout.count()) + " ms)");
    }
    throw RedisConnectionRefusedError(message);
  }
  try {
    // AUTH and SELECT are part of connecting: they get the connect timeout.
    if (connect_timeout.count() > 0) redisSetTimeout(ctx_, to_timeval(connect_timeout));
    auto setup = [&](const std::vector<std::string>& argv, const char* what) {
      const RedisReply r = command(argv);
      if (r.is_error())
        throw RedisConnectionRefusedError("Redis " + where_ + ": " + what + " failed: " + r.str());
    };
    if (!endpoint.password.empty()) {
      if (endpoint.username.empty()) {
        setup({"AUTH", endpoint.password}, "AUTH");
      } else {
        setup({"AUTH", endpoint.username, endpoint.password}, "AUTH");
      }
    }
    if (endpoint.db != 0) setup({"SELECT", std::to_string(endpoint.db)}, "SELECT");
    if (readonly) setup({"READONLY"}, "READONLY");
    if (command_timeout.count() > 0) {
      redisSetTimeout(ctx_, to_timeval(command_timeout));
    } else if (connect_timeout.count() > 0) {
      redisSetTimeout(ctx_, timeval{0, 0});  // no limit
    }
    timeout_ = command_timeout;
    timeout_name_ = "command timeout";
  } catch (...) {
    redisFree(ctx_);
    ctx_ = nullptr;
    throw;
  }
}

RedisConnection::~RedisConnection() {
  if (ctx_ != nullptr) redisFree(ctx_);
}

void RedisConnection::fail(const std::string& doing) {
  // A read or write that hit SO_RCVTIMEO/SO_SNDTIMEO fails with EAGAIN; every other failure
  // (EOF, reset, unparsable reply) leaves the connection unusable: it counts as closed.
  const bool timed_out = ctx_->err == REDIS_ERR_IO && is_timeout(errno);
  broken_ = true;
  const std::string message = "Redis " + where_ + ": " + doing + " failed: " + ctx_->errstr;
  if (timed_out) {
    throw RedisTimeoutError(message + " (" + timeout_name_ + " of " +
                            std::to_string(timeout_.count()) + " ms)");
  }
  throw RedisConnectionClosedError(message);
}

void RedisConnection::append(const std::vector<std::string>& argv) {
  if (argv.empty()) throw RedisError("Redis: empty command");
  std::vector<const char*> args;
  std::vector<std::size_t> lengths;
  args.reserve(argv.size());
  lengths.reserve(argv.size());
  for (const auto& a : argv) {
    args.push_back(a.data());
    lengths.push_back(a.size());
  }
  if (redisAppendCommandArgv(ctx_, static_cast<int>(argv.size()), args.data(), lengths.data()) !=
      REDIS_OK) {
    fail("buffering a command");
  }
}

RedisReply RedisConnection::read_reply(const char* doing) {
  void* raw = nullptr;
  errno = 0;
  if (redisGetReply(ctx_, &raw) != REDIS_OK || raw == nullptr) fail(doing);
  ReplyPtr reply(static_cast<redisReply*>(raw));
  return copy_reply(reply.get());
}

RedisReply RedisConnection::command(const std::vector<std::string>& argv) {
  if (broken_) throw RedisConnectionClosedError("Redis " + where_ + ": connection is broken");
  try {
    append(argv);
    return read_reply(argv.front().c_str());
  } catch (...) {
    broken_ = true;  // whatever failed mid-command (even bad_alloc) left replies unread
    throw;
  }
}

std::vector<RedisReply> RedisConnection::pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  if (broken_) throw RedisConnectionClosedError("Redis " + where_ + ": connection is broken");
  // Checked before anything is buffered, so a bad command cannot leave the connection half-sent.
  for (const auto& argv : commands) {
    if (argv.empty()) throw RedisError("Redis: empty command in a pipeline");
  }
  try {
    for (const auto& argv : commands) append(argv);
    std::vector<RedisReply> replies;
    replies.reserve(commands.size());
    for (std::size_t i = 0; i < commands.size(); ++i) replies.push_back(read_reply("pipeline"));
    return replies;
  } catch (...) {
    broken_ = true;  // replies of the commands sent would be read by the connection's next user
    throw;
  }
}

bool RedisConnection::closed_by_peer() const noexcept {
  if (ctx_ == nullptr || broken_) return true;
  char byte;
  const ssize_t n = ::recv(ctx_->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n == 0) return true;                                              // orderly shutdown (EOF)
  if (n > 0) return true;                                               // unasked data: out of sync
  return !(errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR);  // reset etc.
}

}  // namespace pgfast::detail
