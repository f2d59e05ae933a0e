// Built with -fsanitize=thread (tests/CMakeLists.txt: bulk_writer.cpp compiled into this test with
// ThreadSanitizer, the rest of the client as usual): BulkWriters constructed at the same moment
// from many threads, each on its own connection, as an application's request threads do. Any data
// race in the writer's shared state (such as the stage-name counter, once a plain static integer)
// is a ThreadSanitizer report, which fails the test run (exit code 66).
#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "pgfast/bulk/bulk_writer.hpp"
#include "pgfast/db/connection.hpp"
#include "test_env.hpp"

namespace {

TEST(BulkWriterThreads, WritersOnTheirOwnConnectionsShareNoUnsynchronisedState) {
  constexpr int kThreads = 8;
  const std::string table = pgfast_test::unique_name("bw_tsan");
  pgfast::Connection admin(pgfast_test::database_url());
  admin.execute("CREATE EXTENSION IF NOT EXISTS pgfast");
  admin.execute("CREATE TABLE " + table + " (id bigint PRIMARY KEY, title text)");

  std::vector<std::unique_ptr<pgfast::Connection>> connections;
  for (int t = 0; t < kThreads; ++t) {
    connections.push_back(std::make_unique<pgfast::Connection>(pgfast_test::database_url()));
  }
  std::promise<void> go;
  std::shared_future<void> start = go.get_future().share();
  std::vector<std::future<std::uint64_t>> written;
  for (int t = 0; t < kThreads; ++t) {
    written.push_back(std::async(std::launch::async, [&, t] {
      pgfast::BulkWriterOptions o;
      o.target = table;
      o.columns = {{"id", pgfast::BulkType::int64}, {"title", pgfast::BulkType::text}};
      start.wait();  // every thread constructs its writer at once
      pgfast::BulkWriter writer(*connections[t], o);
      writer.add_row({std::int64_t{t}, std::string("thread")});
      return writer.finish().rows;
    }));
  }
  go.set_value();
  for (auto& w : written) EXPECT_EQ(w.get(), 1u);
  EXPECT_EQ(admin.execute("SELECT count(*) FROM " + table).as<long>(0, 0), kThreads);
  admin.execute("DROP TABLE " + table);
}

}  // namespace
