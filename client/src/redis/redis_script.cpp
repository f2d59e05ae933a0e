#include "redis/redis_script.hpp"

#include <utility>

namespace pgfast {

RedisScript::RedisScript(std::string source) : source_(std::move(source)) {}

std::string RedisScript::sha() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return sha_;
}

const std::string& RedisScript::loaded_sha(Redis& redis) const {
  if (sha_known_.load(std::memory_order_acquire)) return sha_;
  std::string sha = redis.command({"SCRIPT", "LOAD", source_}).str();
  std::lock_guard<std::mutex> lock(mutex_);
  if (!sha_known_.load(std::memory_order_relaxed)) {
    sha_ = std::move(sha);
    sha_known_.store(true, std::memory_order_release);
  }
  return sha_;
}

namespace {

std::vector<std::string> script_argv(const char* verb, const std::string& script,
                                     const std::vector<std::string>& keys,
                                     const std::vector<std::string>& args) {
  std::vector<std::string> argv;
  argv.reserve(3 + keys.size() + args.size());
  argv.emplace_back(verb);
  argv.push_back(script);
  argv.push_back(std::to_string(keys.size()));
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

bool is_noscript(const RedisReply& reply) {
  return reply.is_error() && reply.str().rfind("NOSCRIPT", 0) == 0;
}

}  // namespace

RedisReply RedisScript::run(Redis& redis, const std::vector<std::string>& keys,
                            const std::vector<std::string>& args, bool* reloaded) const {
  if (reloaded != nullptr) *reloaded = false;
  std::vector<std::string> argv = script_argv("EVALSHA", loaded_sha(redis), keys, args);
  try {
    return redis.command(argv);
  } catch (const RedisReplyError& e) {
    if (e.code() != "NOSCRIPT") throw;
  }
  reloads_.fetch_add(1, std::memory_order_relaxed);
  if (reloaded != nullptr) *reloaded = true;
  argv[0] = "EVAL";
  argv[1] = source_;
  return redis.command(argv);
}

std::vector<RedisReply> RedisScript::run_each(Redis& redis, const std::vector<Call>& calls) const {
  std::vector<std::vector<std::string>> commands;
  commands.reserve(calls.size());
  for (const auto& c : calls) {
    commands.push_back(script_argv("EVALSHA", loaded_sha(redis), c.keys, c.args));
  }
  std::vector<RedisReply> replies = redis.pipeline(commands);
  for (std::size_t i = 0; i < replies.size(); ++i) {
    if (!is_noscript(replies[i])) continue;
    reloads_.fetch_add(1, std::memory_order_relaxed);
    replies[i] = std::move(
        redis.pipeline({script_argv("EVAL", source_, calls[i].keys, calls[i].args)}).front());
  }
  return replies;
}

}  // namespace pgfast
