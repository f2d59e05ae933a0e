// PostgreSQL's binary COPY encoding (client/src/bulk/binary_copy.cpp): exact bytes per field.
#include "bulk/binary_copy.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using pgfast::BinaryCopyEncoder;
using pgfast::BulkValue;
using pgfast::FieldWidth;

std::string bytes(std::initializer_list<int> v) {
  std::string s;
  for (int b : v) s.push_back(static_cast<char>(b));
  return s;
}

TEST(BinaryCopy, HeaderAndTrailer) {
  std::string out;
  BinaryCopyEncoder::header(out);
  EXPECT_EQ(out, std::string("PGCOPY\n\377\r\n\0", 11) + std::string(8, '\0'));
  out.clear();
  BinaryCopyEncoder::trailer(out);
  EXPECT_EQ(out, bytes({0xff, 0xff}));
}

TEST(BinaryCopy, NaturalFieldsAreBigintDoubleAndNull) {
  std::string out;
  BinaryCopyEncoder::row(out, {BulkValue{std::int64_t{-2}}, BulkValue{1.0}, BulkValue{}});
  EXPECT_EQ(
      out, bytes({0,    3,  // 3 fields
                  0,    0,    0,    8,   0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,  // int8 -2
                  0,    0,    0,    8,   0x3f, 0xf0, 0,    0,    0,    0,    0,    0,  // float8 1.0
                  0xff, 0xff, 0xff, 0xff}));                                           // NULL
}

TEST(BinaryCopy, FourByteFieldsAreIntegerAndReal) {
  std::string out;
  BinaryCopyEncoder::row(out, {BulkValue{std::int64_t{-2}}, BulkValue{1.0}, BulkValue{}},
                         {FieldWidth::four_bytes, FieldWidth::four_bytes, FieldWidth::four_bytes});
  EXPECT_EQ(out, bytes({0,    3,                                        // 3 fields
                        0,    0,    0,    4,   0xff, 0xff, 0xff, 0xfe,  // int4 -2
                        0,    0,    0,    4,   0x3f, 0x80, 0,    0,     // float4 1.0
                        0xff, 0xff, 0xff, 0xff}));                      // NULL stays NULL
  // Text is unaffected by a width.
  out.clear();
  BinaryCopyEncoder::row(out, {BulkValue{std::string("ab")}}, {FieldWidth::four_bytes});
  EXPECT_EQ(out, bytes({0, 1, 0, 0, 0, 2, 'a', 'b'}));
}

}  // namespace
