// CacheCodec: the built-in codecs round-trip and have distinct formats.
#include <gtest/gtest.h>

#include <string>

#include "pgfast/cache/cache.hpp"

using pgfast::CacheCodec;
using pgfast::Json;

TEST(CacheCodec, StringIsBytesAsTheyAre) {
  const std::string bytes("a\0b", 3);
  EXPECT_EQ(CacheCodec<std::string>::encode(bytes), bytes);
  EXPECT_EQ(CacheCodec<std::string>::decode(bytes), bytes);
  EXPECT_EQ(CacheCodec<std::string>::format, 0);
}

TEST(CacheCodec, JsonIsItsText) {
  const Json j{R"({"a": [1, 2]})"};
  EXPECT_EQ(CacheCodec<Json>::encode(j), j.text);
  EXPECT_EQ(CacheCodec<Json>::decode(j.text).text, j.text);
  EXPECT_NE(CacheCodec<Json>::format, CacheCodec<std::string>::format);
}
