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

RedisReply RedisScript::run(Redis& redis, const std::vector<std::string>& keys,
                            const std::vector<std::string>& args, bool* reloaded) const {
  if (reloaded != nullptr) *reloaded = false;
  std::vector<std::string> argv;
  argv.reserve(3 + keys.size() + args.size());
  argv.emplace_back("EVALSHA");
  argv.push_back(loaded_sha(redis));
  argv.push_back(std::to_string(keys.size()));
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
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

}  // namespace pgfast
