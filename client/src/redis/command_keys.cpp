#include "redis/command_keys.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>

#include "pgfast/errors.hpp"

namespace pgfast::cluster {

namespace {

// Key positions as COMMAND INFO states them: first and last argument index (last < 0 counts from
// the end: -1 = the last argument) and the step between keys. first = 0: no keys.
struct KeySpec {
  std::string_view name;  // upper case
  int first;
  int last;
  int step;
  bool read_only;
};

// Sorted by name (binary search).
constexpr std::array<KeySpec, 104> kSpecs{{
    {"APPEND", 1, 1, 1, false},
    {"BLPOP", 1, -2, 1, false},
    {"BRPOP", 1, -2, 1, false},
    {"CLIENT", 0, 0, 0, false},
    {"CLUSTER", 0, 0, 0, false},
    {"COMMAND", 0, 0, 0, false},
    {"CONFIG", 0, 0, 0, false},
    {"DBSIZE", 0, 0, 0, true},
    {"DEBUG", 0, 0, 0, false},
    {"DECR", 1, 1, 1, false},
    {"DECRBY", 1, 1, 1, false},
    {"DEL", 1, -1, 1, false},
    {"DUMP", 1, 1, 1, true},
    {"ECHO", 0, 0, 0, true},
    {"EXISTS", 1, -1, 1, true},
    {"EXPIRE", 1, 1, 1, false},
    {"EXPIREAT", 1, 1, 1, false},
    {"FLUSHALL", 0, 0, 0, false},
    {"FLUSHDB", 0, 0, 0, false},
    {"FUNCTION", 0, 0, 0, false},
    {"GET", 1, 1, 1, true},
    {"GETDEL", 1, 1, 1, false},
    {"GETEX", 1, 1, 1, false},
    {"GETRANGE", 1, 1, 1, true},
    {"GETSET", 1, 1, 1, false},
    {"HDEL", 1, 1, 1, false},
    {"HEXISTS", 1, 1, 1, true},
    {"HGET", 1, 1, 1, true},
    {"HGETALL", 1, 1, 1, true},
    {"HINCRBY", 1, 1, 1, false},
    {"HINCRBYFLOAT", 1, 1, 1, false},
    {"HKEYS", 1, 1, 1, true},
    {"HLEN", 1, 1, 1, true},
    {"HMGET", 1, 1, 1, true},
    {"HMSET", 1, 1, 1, false},
    {"HSCAN", 1, 1, 1, true},
    {"HSET", 1, 1, 1, false},
    {"HSETNX", 1, 1, 1, false},
    {"HVALS", 1, 1, 1, true},
    {"INCR", 1, 1, 1, false},
    {"INCRBY", 1, 1, 1, false},
    {"INCRBYFLOAT", 1, 1, 1, false},
    {"INFO", 0, 0, 0, true},
    {"LASTSAVE", 0, 0, 0, true},
    {"LINDEX", 1, 1, 1, true},
    {"LLEN", 1, 1, 1, true},
    {"LMOVE", 1, 2, 1, false},
    {"LPOP", 1, 1, 1, false},
    {"LPUSH", 1, 1, 1, false},
    {"LRANGE", 1, 1, 1, true},
    {"LREM", 1, 1, 1, false},
    {"LSET", 1, 1, 1, false},
    {"LTRIM", 1, 1, 1, false},
    {"MGET", 1, -1, 1, true},
    {"MSET", 1, -1, 2, false},
    {"MSETNX", 1, -1, 2, false},
    {"PERSIST", 1, 1, 1, false},
    {"PEXPIRE", 1, 1, 1, false},
    {"PEXPIREAT", 1, 1, 1, false},
    {"PFADD", 1, 1, 1, false},
    {"PFCOUNT", 1, -1, 1, false},
    {"PING", 0, 0, 0, true},
    {"PSETEX", 1, 1, 1, false},
    {"PTTL", 1, 1, 1, true},
    {"PUBLISH", 0, 0, 0, false},
    {"RANDOMKEY", 0, 0, 0, true},
    {"RENAME", 1, 2, 1, false},
    {"RENAMENX", 1, 2, 1, false},
    {"RPOP", 1, 1, 1, false},
    {"RPOPLPUSH", 1, 2, 1, false},
    {"RPUSH", 1, 1, 1, false},
    {"SADD", 1, 1, 1, false},
    {"SCAN", 0, 0, 0, true},
    {"SCARD", 1, 1, 1, true},
    {"SCRIPT", 0, 0, 0, false},
    {"SDIFF", 1, -1, 1, true},
    {"SET", 1, 1, 1, false},
    {"SETEX", 1, 1, 1, false},
    {"SETNX", 1, 1, 1, false},
    {"SETRANGE", 1, 1, 1, false},
    {"SINTER", 1, -1, 1, true},
    {"SISMEMBER", 1, 1, 1, true},
    {"SMEMBERS", 1, 1, 1, true},
    {"SMOVE", 1, 2, 1, false},
    {"SREM", 1, 1, 1, false},
    {"SSCAN", 1, 1, 1, true},
    {"STRLEN", 1, 1, 1, true},
    {"SUNION", 1, -1, 1, true},
    {"TIME", 0, 0, 0, true},
    {"TOUCH", 1, -1, 1, true},
    {"TTL", 1, 1, 1, true},
    {"TYPE", 1, 1, 1, true},
    {"UNLINK", 1, -1, 1, false},
    {"WAIT", 0, 0, 0, false},
    {"WATCH", 1, -1, 1, true},
    {"ZADD", 1, 1, 1, false},
    {"ZCARD", 1, 1, 1, true},
    {"ZCOUNT", 1, 1, 1, true},
    {"ZINCRBY", 1, 1, 1, false},
    {"ZRANGE", 1, 1, 1, true},
    {"ZRANGEBYSCORE", 1, 1, 1, true},
    {"ZREM", 1, 1, 1, false},
    {"ZREMRANGEBYSCORE", 1, 1, 1, false},
    {"ZSCORE", 1, 1, 1, true},
}};

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

const KeySpec* find_spec(std::string_view upper_name) noexcept {
  const auto it =
      std::lower_bound(kSpecs.begin(), kSpecs.end(), upper_name,
                       [](const KeySpec& spec, std::string_view name) { return spec.name < name; });
  if (it == kSpecs.end() || it->name != upper_name) return nullptr;
  return &*it;
}

bool is_script_call(std::string_view upper_name) {
  return upper_name == "EVAL" || upper_name == "EVALSHA" || upper_name == "EVAL_RO" ||
         upper_name == "EVALSHA_RO" || upper_name == "FCALL" || upper_name == "FCALL_RO";
}

// EVAL script numkeys key... arg...: the keys follow numkeys.
std::vector<std::string> script_keys(const std::vector<std::string>& argv) {
  if (argv.size() < 3) {
    throw RedisError("Redis " + argv[0] + ": expected a script and numkeys, got " +
                     std::to_string(argv.size() - 1) + " argument(s)");
  }
  char* end = nullptr;
  const long n = std::strtol(argv[2].c_str(), &end, 10);
  if (argv[2].empty() || *end != '\0' || n < 0 || static_cast<std::size_t>(n) > argv.size() - 3) {
    throw RedisError("Redis " + argv[0] + ": numkeys \"" + argv[2] +
                     "\" is not a count of the arguments that follow");
  }
  return {argv.begin() + 3, argv.begin() + 3 + n};
}

}  // namespace

std::optional<std::vector<std::string>> command_keys(const std::vector<std::string>& argv) {
  const std::string name = upper(argv.at(0));
  if (is_script_call(name)) return script_keys(argv);
  const KeySpec* spec = find_spec(name);
  if (spec == nullptr) return std::nullopt;
  std::vector<std::string> keys;
  if (spec->first == 0) return keys;
  const int argc = static_cast<int>(argv.size());
  const int last = spec->last < 0 ? argc + spec->last : spec->last;
  for (int i = spec->first; i <= last && i < argc; i += spec->step) keys.push_back(argv[i]);
  return keys;
}

bool is_read_only(std::string_view command) noexcept {
  std::string name;
  try {
    name = upper(command);
  } catch (...) {
    return false;
  }
  if (name == "EVAL_RO" || name == "EVALSHA_RO" || name == "FCALL_RO") return true;
  const KeySpec* spec = find_spec(name);
  return spec != nullptr && spec->read_only;
}

}  // namespace pgfast::cluster
