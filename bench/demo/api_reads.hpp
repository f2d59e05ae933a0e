// Typical API reads through the pool, timed one by one: a session's results page (keyset page of
// search_results by rank) and a content search.
#pragma once

#include <functional>
#include <string>

#include "corpus/corpus.hpp"
#include "latency.hpp"
#include "pgfast/db/database.hpp"

namespace pgfast_demo {

// The JSON a results-page request returns (items + cursor), straight from pgfast.page.
std::string results_page(pgfast::Database& db, std::int64_t query_id);

// Times `requests` calls of `read(i)`, returning the latencies.
LatencyRecorder time_reads(const std::string& phase, int requests,
                           const std::function<void(int)>& read);

}  // namespace pgfast_demo
