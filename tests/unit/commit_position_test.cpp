// pgfast::CommitPosition: pg_lsn text both ways, order, and refused text.
#include "pgfast/db/commit_position.hpp"

#include <gtest/gtest.h>

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

}  // namespace
