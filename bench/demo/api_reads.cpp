#include "api_reads.hpp"

#include "pgfast/db/paging.hpp"
#include "progress.hpp"

namespace pgfast_demo {

std::string results_page(pgfast::Database& db, std::int64_t query_id) {
  pgfast::PageRequest request;
  request.source = "search_results";
  request.order_by = "rank";
  request.page_size = 20;
  request.filter = "{\"query_id\": " + std::to_string(query_id) + "}";
  pgfast::KeysetPage page = db.page(request, pgfast::ReadOptions{});  // a replica may serve it
  std::string json = "{\"items\": [";
  for (std::size_t i = 0; i < page.items.size(); ++i) json += (i ? ", " : "") + page.items[i];
  json += "], \"next_cursor\": \"" + page.next_cursor.value_or("") + "\"}";
  return json;
}

LatencyRecorder time_reads(const std::string& phase, int requests,
                           const std::function<void(int)>& read) {
  LatencyRecorder latencies;
  Progress progress(phase, static_cast<std::uint64_t>(requests));
  for (int i = 0; i < requests; ++i) {
    latencies.time([&] { read(i); });
    progress.advance();
  }
  progress.finish();
  return latencies;
}

}  // namespace pgfast_demo
