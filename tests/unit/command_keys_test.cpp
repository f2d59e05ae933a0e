// cluster::command_keys / is_read_only: where a command's keys are, for cluster routing.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "pgfast/errors.hpp"
#include "redis/command_keys.hpp"

using pgfast::cluster::command_keys;
using pgfast::cluster::is_read_only;
using Keys = std::vector<std::string>;

TEST(CommandKeys, SingleKeyCommandsTakeTheirFirstArgument) {
  EXPECT_EQ(*command_keys({"GET", "k"}), Keys{"k"});
  EXPECT_EQ(*command_keys({"set", "k", "v", "PX", "10"}), Keys{"k"});  // any case
  EXPECT_EQ(*command_keys({"HMGET", "h", "f1", "f2"}), Keys{"h"});
}

TEST(CommandKeys, MultiKeyCommandsTakeEveryKeyAndSkipValues) {
  EXPECT_EQ(*command_keys({"MGET", "a", "b", "c"}), (Keys{"a", "b", "c"}));
  EXPECT_EQ(*command_keys({"MSET", "a", "1", "b", "2"}), (Keys{"a", "b"}));
  EXPECT_EQ(*command_keys({"BLPOP", "a", "b", "0"}), (Keys{"a", "b"}));  // the timeout is not a key
  EXPECT_EQ(*command_keys({"RENAME", "a", "b"}), (Keys{"a", "b"}));
}

TEST(CommandKeys, ScriptsTakeNumkeysKeys) {
  EXPECT_EQ(*command_keys({"EVALSHA", "sha", "2", "a", "b", "arg"}), (Keys{"a", "b"}));
  EXPECT_EQ(*command_keys({"EVAL", "return 1", "0", "arg"}), Keys{});
  EXPECT_THROW(command_keys({"EVALSHA", "sha", "3", "a"}), pgfast::RedisError);
  EXPECT_THROW(command_keys({"EVAL", "s", "x"}), pgfast::RedisError);
  EXPECT_THROW(command_keys({"EVAL", "s", "-1"}), pgfast::RedisError);
  EXPECT_THROW(command_keys({"EVAL"}), pgfast::RedisError);
}

TEST(CommandKeys, KeylessAndUnknownCommandsDiffer) {
  EXPECT_EQ(*command_keys({"PING"}), Keys{});
  EXPECT_EQ(*command_keys({"SCRIPT", "LOAD", "return 1"}), Keys{});
  EXPECT_EQ(*command_keys({"SCAN", "0", "MATCH", "x*"}), Keys{});
  EXPECT_FALSE(command_keys({"OBJECT", "ENCODING", "k"}).has_value());  // asked of the server
}

TEST(CommandKeys, OnlyReadingCommandsMayGoToReplicas) {
  for (const char* c : {"GET", "mget", "EXISTS", "PTTL", "HMGET", "EVALSHA_RO", "SSCAN"}) {
    EXPECT_TRUE(is_read_only(c)) << c;
  }
  for (const char* c : {"SET", "EVALSHA", "EVAL", "INCRBY", "UNLINK", "DEL", "OBJECT", ""}) {
    EXPECT_FALSE(is_read_only(c)) << c;
  }
}
