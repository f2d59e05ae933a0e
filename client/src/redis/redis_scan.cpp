#include "redis/redis_scan.hpp"

namespace pgfast {

void scan_keys(Redis& redis, const std::string& pattern,
               const std::function<void(const std::vector<std::string>&)>& on_batch) {
  auto scan_node = [&](const std::function<RedisReply(const std::vector<std::string>&)>& send) {
    std::string cursor = "0";
    std::vector<std::string> keys;
    do {
      const RedisReply r = send({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
      cursor = r[0].str();
      keys.clear();
      for (const auto& k : r[1].elements()) keys.push_back(k.str());
      if (!keys.empty()) on_batch(keys);
    } while (cursor != "0");
  };
  if (!redis.cluster()) {
    scan_node([&](const std::vector<std::string>& argv) { return redis.command(argv); });
    return;
  }
  for (const std::string& master : redis.masters()) {
    scan_node([&](const std::vector<std::string>& argv) { return redis.command_on(master, argv); });
  }
}

}  // namespace pgfast
