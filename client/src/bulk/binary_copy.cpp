#include "bulk/binary_copy.hpp"

#include <cstring>

namespace pgfast {

namespace {

constexpr std::int64_t kPostgresEpochUnixMicros = 946684800000000;  // 2000-01-01 UTC

void put_u16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xff));
}

void put_u32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((v >> shift) & 0xff));
}

void put_u64(std::string& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((v >> shift) & 0xff));
}

// One field: length (-1 for NULL), then the type's send representation.
void put_field(std::string& out, const BulkValue& value, FieldWidth width) {
  if (width == FieldWidth::four_bytes) {
    if (value.index() == 1) {
      put_u32(out, 4);
      put_u32(out,
              static_cast<std::uint32_t>(static_cast<std::int32_t>(std::get<std::int64_t>(value))));
      return;
    }
    if (value.index() == 2) {
      const float f = static_cast<float>(std::get<double>(value));
      std::uint32_t bits;
      std::memcpy(&bits, &f, sizeof bits);
      put_u32(out, 4);
      put_u32(out, bits);
      return;
    }
  }
  switch (value.index()) {
    case 0:
      put_u32(out, 0xffffffffu);
      return;
    case 1:
      put_u32(out, 8);
      put_u64(out, static_cast<std::uint64_t>(std::get<std::int64_t>(value)));
      return;
    case 2: {
      double d = std::get<double>(value);
      std::uint64_t bits;
      std::memcpy(&bits, &d, sizeof bits);
      put_u32(out, 8);
      put_u64(out, bits);
      return;
    }
    case 3:
      put_u32(out, 1);
      out.push_back(std::get<bool>(value) ? 1 : 0);
      return;
    case 4: {
      const std::string& s = std::get<std::string>(value);
      put_u32(out, static_cast<std::uint32_t>(s.size()));
      out += s;
      return;
    }
    case 5:
      put_u32(out, 8);
      put_u64(out, static_cast<std::uint64_t>(std::get<Timestamp>(value).unix_micros -
                                              kPostgresEpochUnixMicros));
      return;
    case 6: {
      const std::string& s = std::get<Json>(value).text;
      put_u32(out, static_cast<std::uint32_t>(s.size() + 1));
      out.push_back(1);  // jsonb binary format version
      out += s;
      return;
    }
  }
}

}  // namespace

void BinaryCopyEncoder::header(std::string& out) {
  out.append("PGCOPY\n\377\r\n\0", 11);
  put_u32(out, 0);  // flags
  put_u32(out, 0);  // header extension length
}

void BinaryCopyEncoder::row(std::string& out, const std::vector<BulkValue>& values) {
  put_u16(out, static_cast<std::uint16_t>(values.size()));
  for (const BulkValue& v : values) put_field(out, v, FieldWidth::natural);
}

void BinaryCopyEncoder::row(std::string& out, const std::vector<BulkValue>& values,
                            const std::vector<FieldWidth>& widths) {
  put_u16(out, static_cast<std::uint16_t>(values.size()));
  for (std::size_t i = 0; i < values.size(); ++i) put_field(out, values[i], widths[i]);
}

void BinaryCopyEncoder::trailer(std::string& out) {
  put_u16(out, 0xffff);
}

}  // namespace pgfast
