// Database::page / Database::offset_page against the real extension.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "pgfast/db/database.hpp"
#include "pgfast/errors.hpp"
#include "test_env.hpp"

namespace {

class PagingClient : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::make_unique<pgfast::Database>(
        pgfast_test::pool_options(pgfast_test::unique_name("paging"), 2, 0));
    table_ = pgfast_test::unique_name("paged");
    db_->query("CREATE EXTENSION IF NOT EXISTS pgfast");
    db_->query("CREATE TABLE " + table_ +
               " (id int PRIMARY KEY, grp text NOT NULL, created_at timestamptz NOT NULL)");
    db_->query("INSERT INTO " + table_ +
               " SELECT g, CASE WHEN g % 2 = 0 THEN 'even' ELSE 'odd' END, "
               "timestamptz '2024-01-01' + (g / 2) * interval '1 microsecond' "
               "FROM generate_series(1, 23) g");
  }
  void TearDown() override { db_->query("DROP TABLE IF EXISTS " + table_); }

  // The "id" of each JSON item (the items are objects with "id" first).
  static std::vector<int> ids(const std::vector<std::string>& items) {
    std::vector<int> out;
    for (const std::string& item : items) {
      auto pos = item.find("\"id\": ");
      EXPECT_NE(pos, std::string::npos) << item;
      out.push_back(std::stoi(item.substr(pos + 6)));
    }
    return out;
  }

  std::unique_ptr<pgfast::Database> db_;
  std::string table_;
};

TEST_F(PagingClient, WalksAllPagesForwardAndBackward) {
  pgfast::PageRequest request;
  request.source = table_;
  request.order_by = "created_at DESC";
  request.page_size = 5;
  std::vector<int> forward;
  pgfast::KeysetPage page = db_->page(request);
  EXPECT_FALSE(page.has_prev);
  EXPECT_FALSE(page.prev_cursor.has_value());
  EXPECT_EQ(page.page_size, 5);
  int pages = 1;
  for (;;) {
    for (int id : ids(page.items)) forward.push_back(id);
    if (!page.has_next) break;
    ASSERT_TRUE(page.next_cursor.has_value());
    request.after = page.next_cursor;
    page = db_->page(request);
    ++pages;
  }
  EXPECT_EQ(pages, 5);
  EXPECT_FALSE(page.next_cursor.has_value());
  pgfast::Result expected =
      db_->query("SELECT id FROM " + table_ + " ORDER BY created_at DESC, id");
  ASSERT_EQ(static_cast<int>(forward.size()), expected.rows());
  for (int i = 0; i < expected.rows(); ++i) EXPECT_EQ(forward[i], expected.as<int>(i, 0));

  // Backward from the last page.
  std::vector<int> backward = ids(page.items);
  request.after.reset();
  while (page.has_prev) {
    request.before = page.prev_cursor;
    page = db_->page(request);
    std::vector<int> earlier = ids(page.items);
    backward.insert(backward.begin(), earlier.begin(), earlier.end());
  }
  EXPECT_EQ(backward, forward);
}

TEST_F(PagingClient, FilterAndEmptyPage) {
  pgfast::PageRequest request;
  request.source = table_;
  request.filter = R"({"grp": "even"})";
  request.page_size = 50;
  pgfast::KeysetPage page = db_->page(request);
  EXPECT_EQ(ids(page.items), (std::vector<int>{2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22}));
  EXPECT_FALSE(page.has_next);

  request.filter = R"({"grp": "none"})";
  page = db_->page(request);
  EXPECT_TRUE(page.items.empty());
  EXPECT_FALSE(page.has_next);
  EXPECT_FALSE(page.has_prev);
}

TEST_F(PagingClient, TamperedCursorIsADataException) {
  pgfast::PageRequest request;
  request.source = table_;
  request.page_size = 3;
  pgfast::KeysetPage page = db_->page(request);
  ASSERT_TRUE(page.next_cursor.has_value());
  std::string tampered = *page.next_cursor;
  tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'A' ? 'B' : 'A';
  request.after = tampered;
  try {
    db_->page(request);
    FAIL() << "a tampered cursor was accepted";
  } catch (const pgfast::DataError& e) {
    EXPECT_EQ(e.sqlstate(), "22023");
    EXPECT_NE(std::string(e.what()).find("invalid cursor"), std::string::npos) << e.what();
  }
}

TEST_F(PagingClient, OffsetPagesWithTotals) {
  pgfast::OffsetPageRequest request;
  request.source = table_;
  request.per_page = 10;
  request.page = 3;
  pgfast::OffsetPage page = db_->offset_page(request);
  EXPECT_EQ(page.total, 23);
  EXPECT_EQ(page.pages, 3);
  EXPECT_EQ(page.page, 3);
  EXPECT_EQ(page.per_page, 10);
  EXPECT_FALSE(page.has_next);
  EXPECT_TRUE(page.has_prev);
  EXPECT_EQ(ids(page.items), (std::vector<int>{21, 22, 23}));

  request.page = 4;
  page = db_->offset_page(request);
  EXPECT_TRUE(page.items.empty());
  EXPECT_EQ(page.total, 23);

  request.page = 0;
  EXPECT_THROW(db_->offset_page(request), pgfast::DataError);
}

TEST_F(PagingClient, OffsetPageCountModes) {
  pgfast::OffsetPageRequest request;
  request.source = table_;
  request.per_page = 10;
  request.page = 2;

  request.count = pgfast::PageCount::none;
  pgfast::OffsetPage page = db_->offset_page(request);
  EXPECT_EQ(page.total, std::nullopt);
  EXPECT_EQ(page.pages, std::nullopt);
  EXPECT_TRUE(page.has_next);  // still exact: the page fetched per_page + 1 rows
  EXPECT_TRUE(page.has_prev);
  EXPECT_EQ(page.items.size(), 10u);

  request.count = pgfast::PageCount::estimated;
  page = db_->offset_page(request);
  ASSERT_TRUE(page.total.has_value());
  // At least the rows the page proved to exist: 10 skipped + 10 shown + 1 more.
  EXPECT_GE(*page.total, 21);
  ASSERT_TRUE(page.pages.has_value());
  EXPECT_GE(*page.pages, 3);

  request.count = pgfast::PageCount::exact;
  page = db_->offset_page(request);
  EXPECT_EQ(page.total, 23);
  EXPECT_EQ(page.pages, 3);
}

}  // namespace
