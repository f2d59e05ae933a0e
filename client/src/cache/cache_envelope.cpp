#include "cache/cache_envelope.hpp"

#include <zstd.h>

#include <cstring>

namespace pgfast {

namespace {

constexpr unsigned char kMagic[3] = {0xF0, 'P', 'F'};
constexpr std::uint8_t kVersion = 1;
constexpr std::uint8_t kFlagCompressed = 0x01;
constexpr std::uint8_t kFlagNegative = 0x02;
constexpr std::size_t kHeaderSize = 28;
// A value claiming more than this uncompressed is corrupt (Redis strings stop at 512 MB).
constexpr std::uint64_t kMaxRawSize = 512ull * 1024 * 1024;

template <class Int>
void put(std::string& out, Int value) {
  using U = std::make_unsigned_t<Int>;
  U u = static_cast<U>(value);
  for (std::size_t i = 0; i < sizeof(Int); ++i) {
    out += static_cast<char>(u & 0xFF);
    u = static_cast<U>(u >> 8);
  }
}

template <class Int>
bool get(std::string_view& in, Int& value) {
  using U = std::make_unsigned_t<Int>;
  if (in.size() < sizeof(Int)) return false;
  U u = 0;
  for (std::size_t i = 0; i < sizeof(Int); ++i) {
    u |= static_cast<U>(static_cast<U>(static_cast<unsigned char>(in[i])) << (8 * i));
  }
  value = static_cast<Int>(u);
  in.remove_prefix(sizeof(Int));
  return true;
}

}  // namespace

bool is_envelope(std::string_view bytes) noexcept {
  return bytes.size() >= 3 && std::memcmp(bytes.data(), kMagic, 3) == 0;
}

EncodedEntry encode_entry(const CacheEntry& entry, const EnvelopeOptions& options) {
  EncodedEntry out;
  std::string compressed;
  const std::string& raw = entry.value;
  if (raw.size() >= options.compress_threshold && options.compress_threshold > 0) {
    compressed.resize(ZSTD_compressBound(raw.size()));
    const std::size_t n = ZSTD_compress(compressed.data(), compressed.size(), raw.data(),
                                        raw.size(), options.compression_level);
    if (!ZSTD_isError(n) && n < raw.size()) {
      compressed.resize(n);
      out.compressed = true;
      out.bytes_saved = raw.size() - n;
    }
  }
  const std::string& payload = out.compressed ? compressed : raw;

  std::string& b = out.bytes;
  std::size_t tag_bytes = 0;
  for (const auto& tag : entry.tags) tag_bytes += 2 + tag.first.size() + 8;
  b.reserve(kHeaderSize + tag_bytes + payload.size());
  b.append(reinterpret_cast<const char*>(kMagic), 3);
  b += static_cast<char>(kVersion);
  b += static_cast<char>((out.compressed ? kFlagCompressed : 0) |
                         (entry.negative ? kFlagNegative : 0));
  b += static_cast<char>(entry.format);
  put<std::uint16_t>(b, static_cast<std::uint16_t>(entry.tags.size()));
  put<std::int64_t>(b, entry.stored_at_ms);
  put<std::int64_t>(b, entry.refresh_after_ms);
  put<std::uint32_t>(b, static_cast<std::uint32_t>(raw.size()));
  for (const auto& [name, generation] : entry.tags) {
    put<std::uint16_t>(b, static_cast<std::uint16_t>(name.size()));
    b += name;
    put<std::int64_t>(b, generation);
  }
  b += payload;
  return out;
}

DecodedEntry decode_entry(std::string_view bytes) {
  DecodedEntry out;
  if (!is_envelope(bytes)) return out;
  auto corrupt = [&out](const char* why) {
    out.status = DecodedEntry::Status::corrupt;
    out.error = why;
    out.entry = CacheEntry{};
    return out;
  };
  std::string_view in = bytes.substr(3);
  std::uint8_t version = 0, flags = 0, format = 0;
  std::uint16_t tag_count = 0;
  std::uint32_t raw_size = 0;
  CacheEntry& e = out.entry;
  if (!get(in, version)) return corrupt("truncated header");
  if (version != kVersion) return corrupt("unknown envelope version");
  if (!get(in, flags) || !get(in, format) || !get(in, tag_count) || !get(in, e.stored_at_ms) ||
      !get(in, e.refresh_after_ms) || !get(in, raw_size)) {
    return corrupt("truncated header");
  }
  if ((flags & ~(kFlagCompressed | kFlagNegative)) != 0) return corrupt("unknown flags");
  e.format = format;
  e.negative = (flags & kFlagNegative) != 0;
  e.tags.reserve(tag_count);
  for (std::uint16_t i = 0; i < tag_count; ++i) {
    std::uint16_t length = 0;
    std::int64_t generation = 0;
    if (!get(in, length) || in.size() < length) return corrupt("truncated tag list");
    std::string name(in.substr(0, length));
    in.remove_prefix(length);
    if (!get(in, generation)) return corrupt("truncated tag list");
    e.tags.emplace_back(std::move(name), generation);
  }
  if (raw_size > kMaxRawSize) return corrupt("implausible raw size");
  if ((flags & kFlagCompressed) != 0) {
    e.value.resize(raw_size);
    const std::size_t n = ZSTD_decompress(e.value.data(), e.value.size(), in.data(), in.size());
    if (ZSTD_isError(n) || n != raw_size) return corrupt("payload does not decompress");
  } else {
    if (in.size() != raw_size) return corrupt("payload size differs from the header");
    e.value.assign(in.data(), in.size());
  }
  out.status = DecodedEntry::Status::entry;
  return out;
}

}  // namespace pgfast
