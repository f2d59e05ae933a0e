// Shared memory of slow-query capture: a fixed-size ring of captured statements and a bounded
// table of latency statistics per (database, user, queryid).
//
// Ring: a writer takes the next slot offered by one atomic fetch-add on a global cursor and fills
// it under that slot's sequence lock (odd while being written); readers copy a slot and keep the
// copy only if the sequence did not move. Every role's slots form a list (oldest first) kept under
// that role's spinlock. A role holding its share (pgfast.slow_query_role_share of the ring) or more
// does not take a slot that holds another role's entry: it replaces its own oldest entry instead.
// Writers hold one LWLock shared; it is taken exclusively only to add a role and to reset.
//
// Statistics: a shared hash table under one LWLock taken shared to update an existing key (each
// entry has its own spinlock) and exclusive only to add a key. When the table is full, a role
// holding its share of the keys or more evicts its own least recently seen tenth; any other role
// evicts the least recently seen tenth of all keys.
//
// Nothing under an LWLock or spinlock allocates or reports an error: readers copy into storage
// allocated before the lock is taken and build C++ objects after it is released.
#pragma once

#include <vector>

#include "slowlog/captured_statement.hpp"

namespace pgfast::slowlog::store {

// From shmem_request_hook: reserve shared memory and the LWLock tranche.
void request_shared_memory();
// From shmem_startup_hook: create or attach.
void attach_shared_memory();
namespace detail {
extern bool attached;  // set by attach_shared_memory
}

// True in a server that preloaded pgfast (the shared memory exists). Inline: the hooks ask it for
// every statement.
inline bool available() {
  return detail::attached;
}

// Writes `record` into the ring and its duration into the statistics. PostgreSQL calls only: run
// it inside pg::call (capture.cpp does, in the same call that cleans the text). Takes LWLocks and
// spinlocks but neither allocates nor reports an error while holding them.
void write(const CaptureRecord& record);

// Counts a capture that failed before it reached the ring (for hooks.cpp): it shows in
// slow_queries_info() as offered and dropped. Atomics only: no lock, no error.
void count_failed_capture() noexcept;

// Every held entry, oldest first.
std::vector<CapturedStatement> read_ring();
std::vector<StatementStats> read_stats();
RingInfo info();
void reset();

// Throws pgfast::Error (55000) with how to enable capture unless available().
void require_available();

}  // namespace pgfast::slowlog::store
