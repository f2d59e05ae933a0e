// Shared memory of slow-query capture: a fixed-size ring of captured statements and a bounded
// table of latency statistics per (database, user, queryid).
//
// Ring: a writer claims a slot with one atomic fetch-add on a global counter and fills it under
// that slot's sequence lock (odd while being written); readers copy a slot and keep the copy only
// if the sequence did not move. No global lock is taken to write or read the ring.
// Statistics: a shared hash table under one LWLock taken shared to update an existing key (each
// entry has its own spinlock) and exclusive only to add a key; when the table is full, the least
// recently seen tenth of the keys is evicted.
#pragma once

#include <vector>

#include "slowlog/captured_statement.hpp"

namespace pgfast::slowlog::store {

// From shmem_request_hook: reserve shared memory and the LWLock tranche.
void request_shared_memory();
// From shmem_startup_hook: create or attach.
void attach_shared_memory();
// True in a server that preloaded pgfast (the shared memory exists).
bool available();

// Writes `statement` into the ring and its duration into the statistics.
void record(const CapturedStatement& statement, double duration_ms);

std::vector<CapturedStatement> read_ring();
std::vector<StatementStats> read_stats();
RingInfo info();
void reset();

// Throws pgfast::Error (55000) with how to enable capture unless available().
void require_available();

}  // namespace pgfast::slowlog::store
