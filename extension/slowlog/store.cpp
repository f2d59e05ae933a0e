#include "slowlog/store.hpp"

#include <algorithm>
#include <cstring>

#include "core/error.hpp"
#include "core/latency_histogram.hpp"
#include "pg/guard.hpp"
#include "slowlog/settings.hpp"

extern "C" {
#include "miscadmin.h"
#include "port/atomics.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "utils/hsearch.h"
#include "utils/timestamp.h"
}

namespace pgfast::slowlog::store {

namespace {

constexpr char kTrancheName[] = "pgfast_slowlog";
constexpr int kSampleMax = 1024;  // bytes of sample query text per statistics key
constexpr int kSpinsBeforeGivingUp = 10000;

// The fixed part of a ring slot; the query text and the plan follow it.
struct SlotHeader {
  TimestampTz captured_at;
  int32 pid;
  Oid dbid;
  Oid userid;
  uint64 queryid;
  double duration_ms;
  uint64 rows;
  int64 shared_blks_hit;
  int64 shared_blks_read;
  int64 temp_blks_written;
  uint64 wal_bytes;
  int32 nesting_level;
  uint32 query_len;
  uint32 plan_len;
  bool has_plan;
  char application_name[NAMEDATALEN];
  char client_addr[64];
};

struct Slot {
  pg_atomic_uint64 seq;   // even: stable; odd: a writer owns the slot
  uint64 claim_plus_one;  // which write (1-based) the slot holds; 0: never written
  SlotHeader header;
};

struct StatsKey {
  Oid dbid;
  Oid userid;
  uint64 queryid;
};

struct StatsEntry {
  StatsKey key;  // hash key: first
  slock_t mutex;
  double total_ms;
  TimestampTz last_seen;
  LatencyHistogram histogram;
  int sample_len;
  char sample[kSampleMax];
};

struct Shared {
  LWLock* lock;  // statistics table; exclusive also serialises reset
  int capacity;
  Size slot_size;
  Size text_max;
  Size plan_max;
  pg_atomic_uint64 written;     // writes claimed since server start
  pg_atomic_uint64 reset_base;  // value of `written` at the last reset
  TimestampTz since;            // under lock
  // followed by capacity slots of slot_size bytes
};

Shared* shared = nullptr;
HTAB* stats_table = nullptr;

Size slot_size() {
  return MAXALIGN(sizeof(Slot)) + MAXALIGN(settings.text_max) + MAXALIGN(settings.plan_max);
}

Size ring_size() {
  return add_size(MAXALIGN(sizeof(Shared)), mul_size(settings.ring_capacity, slot_size()));
}

Slot* slot_at(uint64 index) {
  char* base = reinterpret_cast<char*>(shared) + MAXALIGN(sizeof(Shared));
  return reinterpret_cast<Slot*>(base + index * shared->slot_size);
}

char* slot_text(Slot* slot) {
  return reinterpret_cast<char*>(slot) + MAXALIGN(sizeof(Slot));
}

char* slot_plan(Slot* slot) {
  return slot_text(slot) + MAXALIGN(shared->text_max);
}

void copy_cstring(char* dst, size_t size, const std::string& src) {
  size_t n = std::min(src.size(), size - 1);
  std::memcpy(dst, src.data(), n);
  dst[n] = '\0';
}

// Takes ownership of the slot by moving its sequence from even to odd. Another writer owns it only
// when the ring wrapped around during that writer's copy; wait for it, boundedly.
bool lock_slot(Slot* slot, uint64* seq) {
  for (int spins = 0; spins < kSpinsBeforeGivingUp; ++spins) {
    uint64 current = pg_atomic_read_u64(&slot->seq);
    if ((current & 1) == 0 && pg_atomic_compare_exchange_u64(&slot->seq, &current, current + 1)) {
      *seq = current + 1;
      return true;
    }
    pg_spin_delay();
  }
  return false;
}

void write_ring(const CapturedStatement& s) {
  uint64 claim = pg_atomic_fetch_add_u64(&shared->written, 1);
  Slot* slot = slot_at(claim % static_cast<uint64>(shared->capacity));
  uint64 seq;
  if (!lock_slot(slot, &seq)) return;   // counted as overwritten by info()
  if (slot->claim_plus_one <= claim) {  // never let an older write replace a newer one
    SlotHeader& h = slot->header;
    h.captured_at = s.captured_at;
    h.pid = s.pid;
    h.dbid = s.dbid;
    h.userid = s.userid;
    h.queryid = s.queryid;
    h.duration_ms = s.duration_ms;
    h.rows = s.rows;
    h.shared_blks_hit = s.shared_blks_hit;
    h.shared_blks_read = s.shared_blks_read;
    h.temp_blks_written = s.temp_blks_written;
    h.wal_bytes = s.wal_bytes;
    h.nesting_level = s.nesting_level;
    h.has_plan = s.has_plan;
    h.query_len = static_cast<uint32>(std::min<Size>(s.query.size(), shared->text_max));
    h.plan_len = static_cast<uint32>(std::min<Size>(s.plan.size(), shared->plan_max));
    std::memcpy(slot_text(slot), s.query.data(), h.query_len);
    std::memcpy(slot_plan(slot), s.plan.data(), h.plan_len);
    copy_cstring(h.application_name, sizeof h.application_name, s.application_name);
    copy_cstring(h.client_addr, sizeof h.client_addr, s.client_addr);
    slot->claim_plus_one = claim + 1;
  }
  pg_write_barrier();
  pg_atomic_write_u64(&slot->seq, seq + 1);
}

// Copies slot `index` if it holds a write made since the last reset and no writer disturbed the
// copy. Returns false for an empty, stale or busy slot.
bool read_slot(uint64 index, uint64 reset_base, CapturedStatement* out) {
  Slot* slot = slot_at(index);
  for (int attempt = 0; attempt < 100; ++attempt) {
    uint64 before = pg_atomic_read_u64(&slot->seq);
    if (before & 1) {
      pg_spin_delay();
      continue;
    }
    pg_read_barrier();
    uint64 claim_plus_one = slot->claim_plus_one;
    SlotHeader h = slot->header;
    uint32 query_len = std::min<uint32>(h.query_len, shared->text_max);
    uint32 plan_len = std::min<uint32>(h.plan_len, shared->plan_max);
    out->query.assign(slot_text(slot), query_len);
    out->plan.assign(slot_plan(slot), plan_len);
    pg_read_barrier();
    if (pg_atomic_read_u64(&slot->seq) != before) continue;
    if (claim_plus_one == 0 || claim_plus_one - 1 < reset_base) return false;
    out->captured_at = h.captured_at;
    out->pid = h.pid;
    out->dbid = h.dbid;
    out->userid = h.userid;
    out->queryid = h.queryid;
    out->duration_ms = h.duration_ms;
    out->rows = h.rows;
    out->shared_blks_hit = h.shared_blks_hit;
    out->shared_blks_read = h.shared_blks_read;
    out->temp_blks_written = h.temp_blks_written;
    out->wal_bytes = h.wal_bytes;
    out->nesting_level = h.nesting_level;
    out->has_plan = h.has_plan;
    h.application_name[NAMEDATALEN - 1] = '\0';
    h.client_addr[sizeof h.client_addr - 1] = '\0';
    out->application_name = h.application_name;
    out->client_addr = h.client_addr;
    return true;
  }
  return false;
}

int compare_timestamps(const void* a, const void* b) {
  TimestampTz x = *static_cast<const TimestampTz*>(a);
  TimestampTz y = *static_cast<const TimestampTz*>(b);
  return x < y ? -1 : (x > y ? 1 : 0);
}

// Removes the least recently seen tenth of the statistics keys. Caller holds the lock exclusively.
// PostgreSQL calls only (run inside pg::call).
void evict_least_recent() {
  long n = hash_get_num_entries(stats_table);
  if (n == 0) return;
  auto* seen = static_cast<TimestampTz*>(palloc(sizeof(TimestampTz) * n));
  long i = 0;
  HASH_SEQ_STATUS scan;
  hash_seq_init(&scan, stats_table);
  for (auto* e = static_cast<StatsEntry*>(hash_seq_search(&scan)); e != nullptr;
       e = static_cast<StatsEntry*>(hash_seq_search(&scan))) {
    if (i < n) seen[i++] = e->last_seen;
  }
  qsort(seen, i, sizeof(TimestampTz), compare_timestamps);
  TimestampTz cutoff = seen[std::max<long>(0, i / 10 - 1)];
  pfree(seen);
  hash_seq_init(&scan, stats_table);
  for (auto* e = static_cast<StatsEntry*>(hash_seq_search(&scan)); e != nullptr;
       e = static_cast<StatsEntry*>(hash_seq_search(&scan))) {
    if (e->last_seen <= cutoff) hash_search(stats_table, &e->key, HASH_REMOVE, nullptr);
  }
}

// PostgreSQL calls only (run inside pg::call).
void update_stats(const StatsKey* key, double duration_ms, TimestampTz now, const char* query,
                  int query_len) {
  LWLockAcquire(shared->lock, LW_SHARED);
  auto* entry = static_cast<StatsEntry*>(hash_search(stats_table, key, HASH_FIND, nullptr));
  if (entry == nullptr) {
    LWLockRelease(shared->lock);
    LWLockAcquire(shared->lock, LW_EXCLUSIVE);
    if (hash_get_num_entries(stats_table) >= settings.stats_max) evict_least_recent();
    bool found;
    entry = static_cast<StatsEntry*>(hash_search(stats_table, key, HASH_ENTER_NULL, &found));
    if (entry == nullptr) {
      LWLockRelease(shared->lock);
      return;
    }
    if (!found) {
      SpinLockInit(&entry->mutex);
      entry->total_ms = 0;
      entry->histogram.clear();
      entry->sample_len = std::min(query_len, kSampleMax);
      std::memcpy(entry->sample, query, entry->sample_len);
    }
  }
  SpinLockAcquire(&entry->mutex);
  entry->total_ms += duration_ms;
  entry->last_seen = now;
  entry->histogram.record(duration_ms);
  SpinLockRelease(&entry->mutex);
  LWLockRelease(shared->lock);
}

}  // namespace

void request_shared_memory() {
  Size stats_size = hash_estimate_size(settings.stats_max, sizeof(StatsEntry));
  RequestAddinShmemSpace(add_size(ring_size(), stats_size));
  RequestNamedLWLockTranche(kTrancheName, 1);
}

void attach_shared_memory() {
  LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
  bool found;
  shared = static_cast<Shared*>(ShmemInitStruct("pgfast slowlog ring", ring_size(), &found));
  if (!found) {
    shared->lock = &(GetNamedLWLockTranche(kTrancheName))->lock;
    shared->capacity = settings.ring_capacity;
    shared->slot_size = slot_size();
    shared->text_max = settings.text_max;
    shared->plan_max = settings.plan_max;
    pg_atomic_init_u64(&shared->written, 0);
    pg_atomic_init_u64(&shared->reset_base, 0);
    shared->since = GetCurrentTimestamp();
    for (int i = 0; i < shared->capacity; ++i) {
      Slot* slot = slot_at(i);
      pg_atomic_init_u64(&slot->seq, 0);
      slot->claim_plus_one = 0;
    }
  }
  HASHCTL info;
  std::memset(&info, 0, sizeof info);
  info.keysize = sizeof(StatsKey);
  info.entrysize = sizeof(StatsEntry);
  stats_table = ShmemInitHash("pgfast slowlog stats", settings.stats_max, settings.stats_max, &info,
                              HASH_ELEM | HASH_BLOBS);
  LWLockRelease(AddinShmemInitLock);
}

bool available() {
  return shared != nullptr && stats_table != nullptr;
}

void require_available() {
  if (available()) return;
  throw Error(
      sqlstate::kObjectNotInPrerequisiteState,
      "pgfast slow-query capture is not enabled in this server",
      "The pgfast library was not loaded through shared_preload_libraries.",
      "Add 'pgfast' to shared_preload_libraries in postgresql.conf and restart the server.");
}

void record(const CapturedStatement& statement, double duration_ms) {
  if (!available()) return;
  write_ring(statement);
  StatsKey key{statement.dbid, statement.userid, statement.queryid};
  const CapturedStatement* s = &statement;
  TimestampTz now = statement.captured_at;
  pg::call([&key, s, duration_ms, now] {
    update_stats(&key, duration_ms, now, s->query.data(), static_cast<int>(s->query.size()));
  });
}

std::vector<CapturedStatement> read_ring() {
  require_available();
  std::vector<CapturedStatement> rows;
  uint64 reset_base = pg_atomic_read_u64(&shared->reset_base);
  uint64 written = pg_atomic_read_u64(&shared->written);
  uint64 capacity = static_cast<uint64>(shared->capacity);
  if (written <= reset_base) return rows;
  // Oldest first: walk the slots in claim order starting after the newest claim.
  uint64 count = std::min<uint64>(written - reset_base, capacity);
  rows.reserve(count);
  for (uint64 claim = written - count; claim < written; ++claim) {
    CapturedStatement s;
    if (read_slot(claim % capacity, reset_base, &s)) rows.push_back(std::move(s));
  }
  return rows;
}

std::vector<StatementStats> read_stats() {
  require_available();
  std::vector<StatementStats> rows;
  rows.reserve(static_cast<size_t>(settings.stats_max));
  // The entries are copied under the shared lock (no PostgreSQL call can fail in between: the
  // vector was reserved for the largest table there can be).
  pg::call([] { LWLockAcquire(shared->lock, LW_SHARED); });
  HASH_SEQ_STATUS scan;
  hash_seq_init(&scan, stats_table);
  for (auto* e = static_cast<StatsEntry*>(hash_seq_search(&scan)); e != nullptr;
       e = static_cast<StatsEntry*>(hash_seq_search(&scan))) {
    StatsEntry copy;
    SpinLockAcquire(&e->mutex);
    std::memcpy(static_cast<void*>(&copy), e, sizeof copy);
    SpinLockRelease(&e->mutex);
    if (rows.size() == rows.capacity()) continue;
    StatementStats r;
    r.dbid = copy.key.dbid;
    r.userid = copy.key.userid;
    r.queryid = copy.key.queryid;
    r.calls = copy.histogram.total;
    r.total_ms = copy.total_ms;
    r.p50_ms = copy.histogram.percentile(0.50);
    r.p95_ms = copy.histogram.percentile(0.95);
    r.p99_ms = copy.histogram.percentile(0.99);
    r.max_ms = copy.histogram.max_ms;
    r.last_seen = copy.last_seen;
    r.sample_query.assign(copy.sample, std::min(copy.sample_len, kSampleMax));
    rows.push_back(std::move(r));
  }
  LWLockRelease(shared->lock);
  return rows;
}

RingInfo info() {
  require_available();
  RingInfo out;
  pg::call([] { LWLockAcquire(shared->lock, LW_SHARED); });
  out.since = shared->since;
  LWLockRelease(shared->lock);
  uint64 reset_base = pg_atomic_read_u64(&shared->reset_base);
  uint64 written = pg_atomic_read_u64(&shared->written);
  out.capacity = shared->capacity;
  CapturedStatement scratch;
  for (int i = 0; i < shared->capacity; ++i) {
    if (read_slot(i, reset_base, &scratch)) ++out.used;
  }
  int64_t since_reset = static_cast<int64_t>(written - reset_base);
  out.overwritten = std::max<int64_t>(0, since_reset - out.used);
  return out;
}

void reset() {
  require_available();
  pg::call([] {
    LWLockAcquire(shared->lock, LW_EXCLUSIVE);
    pg_atomic_write_u64(&shared->reset_base, pg_atomic_read_u64(&shared->written));
    shared->since = GetCurrentTimestamp();
    HASH_SEQ_STATUS scan;
    hash_seq_init(&scan, stats_table);
    for (auto* e = static_cast<StatsEntry*>(hash_seq_search(&scan)); e != nullptr;
         e = static_cast<StatsEntry*>(hash_seq_search(&scan))) {
      hash_search(stats_table, &e->key, HASH_REMOVE, nullptr);
    }
    LWLockRelease(shared->lock);
  });
}

}  // namespace pgfast::slowlog::store
