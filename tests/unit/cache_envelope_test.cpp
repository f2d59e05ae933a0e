// The cache value envelope: round trips, compression above the threshold, corrupt input.
#include "cache/cache_envelope.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace {

using pgfast::CacheEntry;
using pgfast::decode_entry;
using pgfast::DecodedEntry;
using pgfast::encode_entry;

std::string text_of_size(std::size_t n) {
  std::string s;
  while (s.size() < n) s += "search result row " + std::to_string(s.size()) + "; ";
  s.resize(n);
  return s;
}

TEST(CacheEnvelope, RoundTripKeepsEveryField) {
  CacheEntry e;
  e.value = std::string("bin\0ary", 7);
  e.format = 3;
  e.stored_at_ms = 1700000000123;
  e.refresh_after_ms = 1700000060000;
  e.tags = {{"session:1", 5}, {"users", -1}};
  const auto encoded = encode_entry(e);
  EXPECT_FALSE(encoded.compressed);
  const DecodedEntry d = decode_entry(encoded.bytes);
  ASSERT_EQ(d.status, DecodedEntry::Status::entry) << d.error;
  EXPECT_EQ(d.entry.value, e.value);
  EXPECT_EQ(d.entry.format, 3);
  EXPECT_FALSE(d.entry.negative);
  EXPECT_EQ(d.entry.stored_at_ms, e.stored_at_ms);
  EXPECT_EQ(d.entry.refresh_after_ms, e.refresh_after_ms);
  EXPECT_EQ(d.entry.tags, e.tags);
}

TEST(CacheEnvelope, NegativeEntryAndEmptyValue) {
  CacheEntry e;
  e.negative = true;
  const auto d = decode_entry(encode_entry(e).bytes);
  ASSERT_EQ(d.status, DecodedEntry::Status::entry);
  EXPECT_TRUE(d.entry.negative);
  EXPECT_TRUE(d.entry.value.empty());
}

TEST(CacheEnvelope, CompressesAtTheThresholdOnly) {
  CacheEntry below;
  below.value = text_of_size(1023);
  EXPECT_FALSE(encode_entry(below).compressed);

  CacheEntry at;
  at.value = text_of_size(1024);
  const auto encoded = encode_entry(at);
  EXPECT_TRUE(encoded.compressed);
  EXPECT_LT(encoded.bytes.size(), at.value.size());
  EXPECT_EQ(encoded.bytes_saved, at.value.size() - (encoded.bytes.size() - 28));
  EXPECT_EQ(decode_entry(encoded.bytes).entry.value, at.value);
}

TEST(CacheEnvelope, IncompressibleDataStaysRaw) {
  std::mt19937_64 rng(42);
  CacheEntry e;
  for (int i = 0; i < 4096; ++i) e.value += static_cast<char>(rng() & 0xFF);
  const auto encoded = encode_entry(e);
  EXPECT_FALSE(encoded.compressed);
  EXPECT_EQ(encoded.bytes_saved, 0u);
  EXPECT_EQ(decode_entry(encoded.bytes).entry.value, e.value);
}

TEST(CacheEnvelope, ThresholdIsConfigurable) {
  CacheEntry e;
  e.value = text_of_size(10 * 1024);
  EXPECT_FALSE(encode_entry(e, {20 * 1024, 1}).compressed);
  EXPECT_TRUE(encode_entry(e, {512, 3}).compressed);
}

TEST(CacheEnvelope, PlainValuesAreNotEnvelopes) {
  EXPECT_EQ(decode_entry("42").status, DecodedEntry::Status::not_envelope);
  EXPECT_EQ(decode_entry("").status, DecodedEntry::Status::not_envelope);
  EXPECT_EQ(decode_entry("héllo").status, DecodedEntry::Status::not_envelope);
}

TEST(CacheEnvelope, CorruptEnvelopesAreReportedNotThrown) {
  CacheEntry e;
  e.value = text_of_size(4000);
  e.tags = {{"t", 1}};
  const std::string good = encode_entry(e).bytes;
  // Every truncation is corrupt, never a crash or a wrong value.
  for (std::size_t n = 3; n < good.size(); n += 7) {
    const auto d = decode_entry(std::string_view(good).substr(0, n));
    EXPECT_EQ(d.status, DecodedEntry::Status::corrupt) << n;
    EXPECT_FALSE(d.error.empty());
  }
  std::string other_version = good;
  other_version[3] = 9;
  EXPECT_EQ(decode_entry(other_version).error, "unknown envelope version");
  std::string bad_payload = good;
  bad_payload[bad_payload.size() - 5] ^= 0x5A;
  bad_payload[40] ^= 0x5A;
  EXPECT_NE(decode_entry(bad_payload).status, DecodedEntry::Status::entry);
}

}  // namespace
