// The shared path of pgfast.ensure_index and pgfast.fts_index: find an equivalent index (or a
// queued/running job building one), else create the index now or queue a concurrent build.
#pragma once

#include <string>

#include "indexes/definition.hpp"
#include "pg/spi.hpp"

namespace pgfast::indexes {

// Returns the index name: an equivalent index's, a pending job's, or the new one's (`name` when
// not empty). With request.concurrently the build is queued (pgfast.index_job) and starts when
// the calling transaction commits.
std::string ensure_index(pg::SpiSession& spi, IndexRequest request, const std::string& name);

}  // namespace pgfast::indexes
