// pgfast::CommitPosition: pg_lsn text both ways, order, and refused text.
#include "pgfast/db/commit_position.hpp"

#include <gtest/gtest.h>

#include "db/wal_position.hpp"
#include "pgfast/errors.hpp"

namespace {

using pgfast::CommitPosition;

TEST(CommitPosition, ParsesAndPrintsPgLsnText) {
  EXPECT_EQ(CommitPosition::parse("16/B374D848").lsn(), (0x16ull << 32) | 0xB374D848ull);
  EXPECT_EQ(CommitPosition::parse("0/0").lsn(), 0u);
  EXPECT_EQ(CommitPosition::parse("ffffffff/FFFFFFFF").lsn(), ~0ull);
  EXPECT_EQ(CommitPosition((0x16ull << 32) | 0xB374D848ull).to_string(), "16/B374D848");
  EXPECT_EQ(CommitPosition().to_string(), "0/0");
  EXPECT_EQ(CommitPosition::parse("0/3000148").to_string(), "0/3000148");
}

TEST(CommitPosition, OrdersByLogPosition) {
  EXPECT_LT(CommitPosition::parse("0/FFFFFFFF"), CommitPosition::parse("1/0"));
  EXPECT_EQ(CommitPosition::parse("1/a"), CommitPosition::parse("1/A"));
  EXPECT_GE(CommitPosition::parse("2/0"), CommitPosition::parse("1/FFFFFFFF"));
}

TEST(CommitPosition, RefusesOtherText) {
  for (const char* bad : {"", "/", "0/", "/0", "0x1/0", "1/2/3", "123456789/0", "0/123456789",
                          "g/0", " 0/0", "0/0 ", "-1/0"}) {
    try {
      CommitPosition::parse(bad);
      ADD_FAILURE() << "accepted \"" << bad << "\"";
    } catch (const pgfast::ConversionError& e) {
      EXPECT_NE(std::string(e.what()).find("\"" + std::string(bad) + "\""), std::string::npos)
          << e.what();
    }
  }
}

TEST(CommitPosition, AnEmptyPagesInsertPositionIsItsBoundary) {
  using pgfast::detail::record_end_of_insert_position;
  constexpr std::uint64_t block = 8192, segment = 16 << 20;
  // Past a short page header (24 bytes) and past a segment's long one (40 bytes): the boundary.
  EXPECT_EQ(record_end_of_insert_position(5 * block + 24, block, segment), 5 * block);
  EXPECT_EQ(record_end_of_insert_position(3 * segment + 40, block, segment), 3 * segment);
  // Anywhere else the position stands, e.g. 40 bytes into a page that does not start a segment.
  EXPECT_EQ(record_end_of_insert_position(5 * block + 25, block, segment), 5 * block + 25);
  EXPECT_EQ(record_end_of_insert_position(5 * block + 40, block, segment), 5 * block + 40);
  EXPECT_EQ(record_end_of_insert_position(5 * block, block, segment), 5 * block);
  // Another block size: 24 bytes into an 8 kB half of a 16 kB page is no boundary.
  EXPECT_EQ(record_end_of_insert_position(16384 + 8192 + 24, 16384, segment), 16384 + 8192 + 24);
  EXPECT_EQ(record_end_of_insert_position(block + 24, 0, 0), block + 24);
}

}  // namespace
