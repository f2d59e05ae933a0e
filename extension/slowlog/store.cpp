#include "slowlog/store.hpp"

#include <algorithm>
#include <cstring>
#include <type_traits>
#include <utility>

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

namespace detail {
bool attached = false;
}

namespace {

constexpr char kTrancheName[] = "pgfast_slowlog";
constexpr int kStatsLock = 0;  // the statistics tables
constexpr int kRingLock = 1;   // the ring's role table; shared by every ring writer
constexpr int kLocks = 2;
constexpr int kSampleMax = 1024;  // bytes of sample query text per statistics key
constexpr int kSpinsBeforeGivingUp = 10000;
constexpr int kAttempts = 3;  // slots a writer tries before it drops its entry
constexpr int32 kNone = -1;

// The fixed part of a ring slot's content; the query text and the plan follow the slot.
struct SlotHeader : StatementFacts {
  uint32 query_len;
  uint32 plan_len;
  char application_name[NAMEDATALEN];
  char client_addr[64];
};
static_assert(std::is_trivially_copyable_v<SlotHeader>, "a slot lives in shared memory");

struct Slot {
  pg_atomic_uint64 seq;  // even: stable; odd: a writer owns the slot
  // Changed only by the writer that owns the slot: `owner` also under the owning role's mutex,
  // `prev`/`next` (the owner's list, oldest first) only under that mutex.
  Oid owner;  // InvalidOid: free
  int32 prev;
  int32 next;
  uint64 sequence;  // write number of the content, for reading oldest first
  SlotHeader header;
};

// A role holding ring slots (or about to): its list of slots, oldest first.
struct RoleEntry {
  Oid userid;  // hash key: first
  slock_t mutex;
  int32 count;  // slots in the list, plus slots being taken
  int32 head;
  int32 tail;
};

struct StatsKey {
  Oid dbid;
  Oid userid;
  uint64 queryid;
};
static_assert(sizeof(StatsKey) == 16, "StatsKey is compared with memcmp: no padding");

struct StatsEntry {
  StatsKey key;  // hash key: first
  slock_t mutex;
  double total_ms;
  TimestampTz last_seen;
  LatencyHistogram histogram;
  int sample_len;
  char sample[kSampleMax];
};

// Keys of one role in the statistics; changed only under the statistics lock held exclusively.
struct StatsRole {
  Oid userid;  // hash key: first
  int32 keys;
};

struct Shared {
  LWLockPadded* locks;  // kLocks of them
  int capacity;
  Size slot_size;
  Size text_max;
  Size plan_max;
  pg_atomic_uint64 cursor;    // the next slot offered to a writer (modulo capacity)
  pg_atomic_uint64 sequence;  // write numbers
  pg_atomic_uint64 offered;   // captures offered since reset
  pg_atomic_uint64 dropped;   // see RingInfo
  TimestampTz since;          // under the ring lock
  uint64 role_generation;     // changes (under the ring lock held exclusively) when a role goes
  uint64 stats_generation;  // changes (under the statistics lock held exclusively) when a key goes
  int stats_max;            // entries of the scratch array that follows the slots
  // followed by capacity slots of slot_size bytes, then stats_max TimestampTz of eviction scratch
};

Shared* shared = nullptr;
HTAB* roles = nullptr;        // RoleEntry by userid
HTAB* stats_table = nullptr;  // StatsEntry by StatsKey
HTAB* stats_roles = nullptr;  // StatsRole by userid

// This backend's role entry from its last write, valid while the role table's generation is
// unchanged (entries never move in a shared hash table; they go only when the generation changes).
// Saves the role lookup of every capture after the first.
struct RoleCache {
  uint64 generation = 0;
  Oid userid = InvalidOid;
  RoleEntry* entry = nullptr;
} role_cache;

// This backend's recently updated statistics entries, direct-mapped by the key's hash: valid while
// the statistics generation is unchanged (a key is removed only under the exclusive lock, which
// changes it). Saves the hash table probe of a statement seen recently.
struct StatsCacheSlot {
  uint64 generation = 0;
  StatsKey key{};
  StatsEntry* entry = nullptr;
};
constexpr uint32 kStatsCacheSlots = 64;
StatsCacheSlot stats_cache[kStatsCacheSlots];

// The statistics key's hash: one 64-bit mix of the 16 bytes instead of a byte-wise hash.
uint32 stats_key_hash(const void* key, Size) {
  const auto* k = static_cast<const StatsKey*>(key);
  uint64 x = k->queryid ^
             ((static_cast<uint64>(k->dbid) << 32 | k->userid) * UINT64CONST(0x9e3779b97f4a7c15));
  x ^= x >> 33;
  x *= UINT64CONST(0xff51afd7ed558ccd);
  x ^= x >> 33;
  x *= UINT64CONST(0xc4ceb9fe1a85ec53);
  x ^= x >> 33;
  return static_cast<uint32>(x);
}

LWLock* stats_lock() {
  return &shared->locks[kStatsLock].lock;
}

LWLock* ring_lock() {
  return &shared->locks[kRingLock].lock;
}

Size slot_size() {
  return MAXALIGN(sizeof(Slot)) + MAXALIGN(settings.text_max) + MAXALIGN(settings.plan_max);
}

Size ring_size() {
  Size size = add_size(MAXALIGN(sizeof(Shared)), mul_size(settings.ring_capacity, slot_size()));
  return add_size(size, mul_size(settings.stats_max, sizeof(TimestampTz)));
}

// Roles that can hold slots: each holds at least one, and one more is being added.
long role_table_size() {
  return static_cast<long>(settings.ring_capacity) + 1;
}

long stats_role_table_size() {
  return static_cast<long>(settings.stats_max) + 1;
}

Slot* slot_at(int32 index) {
  char* base = reinterpret_cast<char*>(shared) + MAXALIGN(sizeof(Shared));
  return reinterpret_cast<Slot*>(base + static_cast<Size>(index) * shared->slot_size);
}

TimestampTz* eviction_scratch() {
  char* base = reinterpret_cast<char*>(shared) + MAXALIGN(sizeof(Shared));
  return reinterpret_cast<TimestampTz*>(base + shared->capacity * shared->slot_size);
}

char* slot_text(Slot* slot) {
  return reinterpret_cast<char*>(slot) + MAXALIGN(sizeof(Slot));
}

char* slot_plan(Slot* slot) {
  return slot_text(slot) + MAXALIGN(shared->text_max);
}

// Entries one role may hold before its new ones replace its own oldest instead of others'.
int64 share_of(int64 total) {
  return std::max<int64>(1, static_cast<int64>(settings.role_share * static_cast<double>(total)));
}

void copy_cstring(char* dst, size_t size, const char* src) {
  size_t n = strnlen(src, size - 1);
  std::memcpy(dst, src, n);
  dst[n] = '\0';
}

// ---- ring ---------------------------------------------------------------------------------------

// Takes ownership of the slot by moving its sequence from even to odd. Another writer holds it
// only for the time of one copy; wait for it, boundedly.
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

// A slot left unchanged gets its old (even) sequence back: readers' copies stay valid.
void unlock_slot(Slot* slot, uint64 seq, bool changed) {
  pg_write_barrier();
  pg_atomic_write_u64(&slot->seq, changed ? seq + 1 : seq - 1);
}

// The list operations run under the role's mutex.
void unlink_slot(RoleEntry* role, int32 index) {
  Slot* slot = slot_at(index);
  if (slot->prev != kNone)
    slot_at(slot->prev)->next = slot->next;
  else
    role->head = slot->next;
  if (slot->next != kNone)
    slot_at(slot->next)->prev = slot->prev;
  else
    role->tail = slot->prev;
  slot->prev = kNone;
  slot->next = kNone;
}

void append_slot(RoleEntry* role, int32 index) {
  Slot* slot = slot_at(index);
  slot->prev = role->tail;
  slot->next = kNone;
  if (role->tail != kNone)
    slot_at(role->tail)->next = index;
  else
    role->head = index;
  role->tail = index;
}

// Copies the statement into a slot the caller owns. Reads the strings; allocates nothing.
void fill_slot(Slot* slot, const CaptureRecord& s) {
  SlotHeader& h = slot->header;
  static_cast<StatementFacts&>(h) = s;
  h.query_len = static_cast<uint32>(std::min<Size>(s.query_len, shared->text_max));
  h.plan_len = static_cast<uint32>(std::min<Size>(s.plan_len, shared->plan_max));
  std::memcpy(slot_text(slot), s.query, h.query_len);
  std::memcpy(slot_plan(slot), s.plan, h.plan_len);
  copy_cstring(h.application_name, sizeof h.application_name, s.application_name);
  copy_cstring(h.client_addr, sizeof h.client_addr, s.client_addr);
  slot->sequence = pg_atomic_fetch_add_u64(&shared->sequence, 1);
}

// The role holds its share: its entry replaces its own oldest one. False when that slot changed
// hands or stayed busy meanwhile.
bool replace_own_oldest(RoleEntry* role, const CaptureRecord& s) {
  SpinLockAcquire(&role->mutex);
  int32 oldest = role->head;
  SpinLockRelease(&role->mutex);
  if (oldest == kNone) return false;  // its slots are all being taken by others right now
  Slot* slot = slot_at(oldest);
  uint64 seq;
  if (!lock_slot(slot, &seq)) return false;
  if (slot->owner != role->userid) {
    unlock_slot(slot, seq, false);
    return false;
  }
  SpinLockAcquire(&role->mutex);
  unlink_slot(role, oldest);
  append_slot(role, oldest);
  SpinLockRelease(&role->mutex);
  fill_slot(slot, s);
  unlock_slot(slot, seq, true);
  return true;
}

// One attempt at the next slot the cursor offers. The caller holds the ring lock shared.
bool write_offered_slot(RoleEntry* role, const CaptureRecord& s, int64 share) {
  uint64 claim = pg_atomic_fetch_add_u64(&shared->cursor, 1);
  int32 index = static_cast<int32>(claim % static_cast<uint64>(shared->capacity));
  Slot* slot = slot_at(index);
  uint64 seq;
  if (!lock_slot(slot, &seq)) return false;
  Oid owner = slot->owner;
  SpinLockAcquire(&role->mutex);
  // The slot offered may be the role's own oldest entry (always, for a role alone in a full ring):
  // then it is exactly the one replace_own_oldest would pick, so take it now.
  bool take =
      owner == InvalidOid || role->count < share || (owner == role->userid && role->head == index);
  if (take && owner != role->userid) ++role->count;  // reserved before the previous owner lets go
  SpinLockRelease(&role->mutex);
  if (!take) {
    unlock_slot(slot, seq, false);
    if (!replace_own_oldest(role, s)) return false;
    if (owner != role->userid) pg_atomic_fetch_add_u64(&shared->dropped, 1);
    return true;
  }
  if (owner != InvalidOid && owner != role->userid) {
    auto* previous = static_cast<RoleEntry*>(hash_search(roles, &owner, HASH_FIND, nullptr));
    if (previous != nullptr) {  // always: a role holding slots is never removed
      SpinLockAcquire(&previous->mutex);
      unlink_slot(previous, index);
      --previous->count;
      SpinLockRelease(&previous->mutex);
    }
  }
  SpinLockAcquire(&role->mutex);
  if (owner == role->userid) unlink_slot(role, index);
  append_slot(role, index);
  slot->owner = role->userid;
  SpinLockRelease(&role->mutex);
  fill_slot(slot, s);
  unlock_slot(slot, seq, true);
  return true;
}

// Adds the role to the role table; the caller holds the ring lock exclusively (no writer runs).
// When the table is full, roles that hold no slot are removed first.
void add_role(Oid userid) {
  if (hash_get_num_entries(roles) >= role_table_size()) {
    HASH_SEQ_STATUS scan;
    hash_seq_init(&scan, roles);
    for (auto* r = static_cast<RoleEntry*>(hash_seq_search(&scan)); r != nullptr;
         r = static_cast<RoleEntry*>(hash_seq_search(&scan))) {
      if (r->count == 0) hash_search(roles, &r->userid, HASH_REMOVE, nullptr);
    }
    ++shared->role_generation;
  }
  bool found;
  auto* role = static_cast<RoleEntry*>(hash_search(roles, &userid, HASH_ENTER_NULL, &found));
  if (role != nullptr && !found) {
    SpinLockInit(&role->mutex);
    role->count = 0;
    role->head = kNone;
    role->tail = kNone;
  }
}

// PostgreSQL calls only (run inside pg::call). Nothing between LWLockAcquire and LWLockRelease
// can report an error.
void write_ring(const CaptureRecord* s) {
  LWLockAcquire(ring_lock(), LW_SHARED);
  RoleEntry* role = nullptr;
  if (role_cache.entry != nullptr && role_cache.userid == s->userid &&
      role_cache.generation == shared->role_generation)
    role = role_cache.entry;
  else
    role = static_cast<RoleEntry*>(hash_search(roles, &s->userid, HASH_FIND, nullptr));
  if (role == nullptr) {
    LWLockRelease(ring_lock());
    LWLockAcquire(ring_lock(), LW_EXCLUSIVE);
    add_role(s->userid);
    LWLockRelease(ring_lock());
    LWLockAcquire(ring_lock(), LW_SHARED);
    // Gone again only if the table filled up meanwhile: the entry is dropped.
    role = static_cast<RoleEntry*>(hash_search(roles, &s->userid, HASH_FIND, nullptr));
  }
  if (role != nullptr) role_cache = {shared->role_generation, s->userid, role};
  pg_atomic_fetch_add_u64(&shared->offered, 1);
  int64 share = share_of(shared->capacity);
  bool written = false;
  for (int attempt = 0; role != nullptr && !written && attempt < kAttempts; ++attempt)
    written = write_offered_slot(role, *s, share);
  if (!written) pg_atomic_fetch_add_u64(&shared->dropped, 1);
  LWLockRelease(ring_lock());
}

// Copies slot `index` into `header`/`text`/`plan` (fixed-size storage) if it holds an entry and
// no writer disturbed the copy. Returns false for an empty or busy slot.
bool read_slot(int32 index, SlotHeader* header, uint64* sequence, char* text, char* plan) {
  Slot* slot = slot_at(index);
  for (int attempt = 0; attempt < 100; ++attempt) {
    uint64 before = pg_atomic_read_u64(&slot->seq);
    if (before & 1) {
      pg_spin_delay();
      continue;
    }
    pg_read_barrier();
    Oid owner = slot->owner;
    *sequence = slot->sequence;
    *header = slot->header;
    uint32 query_len = std::min<uint32>(header->query_len, shared->text_max);
    uint32 plan_len = std::min<uint32>(header->plan_len, shared->plan_max);
    if (text != nullptr) std::memcpy(text, slot_text(slot), query_len);
    if (plan != nullptr) std::memcpy(plan, slot_plan(slot), plan_len);
    pg_read_barrier();
    if (pg_atomic_read_u64(&slot->seq) != before) continue;
    header->query_len = query_len;
    header->plan_len = plan_len;
    return owner != InvalidOid;
  }
  return false;
}

// ---- statistics ---------------------------------------------------------------------------------

// Removes the least recently seen tenth of the keys of `userid` (of every role when InvalidOid).
// Caller holds the statistics lock exclusively. Selection, not sorting, in the scratch array.
void evict_least_recent(Oid userid) {
  TimestampTz* seen = eviction_scratch();
  long n = 0;
  HASH_SEQ_STATUS scan;
  hash_seq_init(&scan, stats_table);
  for (auto* e = static_cast<StatsEntry*>(hash_seq_search(&scan)); e != nullptr;
       e = static_cast<StatsEntry*>(hash_seq_search(&scan))) {
    if ((userid == InvalidOid || e->key.userid == userid) && n < shared->stats_max)
      seen[n++] = e->last_seen;
  }
  if (n == 0) return;
  long k = std::max<long>(1, n / 10);
  std::nth_element(seen, seen + (k - 1), seen + n);
  TimestampTz cutoff = seen[k - 1];
  hash_seq_init(&scan, stats_table);
  for (auto* e = static_cast<StatsEntry*>(hash_seq_search(&scan)); e != nullptr;
       e = static_cast<StatsEntry*>(hash_seq_search(&scan))) {
    if ((userid != InvalidOid && e->key.userid != userid) || e->last_seen > cutoff) continue;
    Oid owner = e->key.userid;
    hash_search(stats_table, &e->key, HASH_REMOVE, nullptr);
    ++shared->stats_generation;
    auto* role = static_cast<StatsRole*>(hash_search(stats_roles, &owner, HASH_FIND, nullptr));
    if (role != nullptr && --role->keys <= 0)
      hash_search(stats_roles, &owner, HASH_REMOVE, nullptr);
  }
}

// Adds a key (caller holds the statistics lock exclusively); nullptr when there is no room.
StatsEntry* add_key(const StatsKey* key) {
  // Another backend may have added it between our shared and exclusive lock.
  auto* existing = static_cast<StatsEntry*>(hash_search(stats_table, key, HASH_FIND, nullptr));
  if (existing != nullptr) return existing;
  bool found;
  auto* role =
      static_cast<StatsRole*>(hash_search(stats_roles, &key->userid, HASH_ENTER_NULL, &found));
  if (role == nullptr) return nullptr;
  if (!found) role->keys = 0;
  if (hash_get_num_entries(stats_table) >= shared->stats_max)
    evict_least_recent(role->keys >= share_of(shared->stats_max) ? key->userid : InvalidOid);
  // The role's entry may have gone with its last key.
  role = static_cast<StatsRole*>(hash_search(stats_roles, &key->userid, HASH_ENTER_NULL, &found));
  if (role == nullptr) return nullptr;
  if (!found) role->keys = 0;
  auto* entry = static_cast<StatsEntry*>(hash_search(stats_table, key, HASH_ENTER_NULL, &found));
  if (entry == nullptr) {
    if (role->keys == 0) hash_search(stats_roles, &key->userid, HASH_REMOVE, nullptr);
    return nullptr;
  }
  if (!found) {
    ++role->keys;
    SpinLockInit(&entry->mutex);
    entry->total_ms = 0;
    entry->last_seen = 0;
    entry->histogram.clear();
    entry->sample_len = 0;
  }
  return entry;
}

// PostgreSQL calls only (run inside pg::call). Nothing between LWLockAcquire and LWLockRelease
// can report an error.
void update_stats(const StatsKey* key, double duration_ms, TimestampTz now, const char* query,
                  int query_len) {
  uint32 hash = stats_key_hash(key, sizeof *key);
  StatsCacheSlot* cached = &stats_cache[hash % kStatsCacheSlots];
  LWLockAcquire(stats_lock(), LW_SHARED);
  StatsEntry* entry = nullptr;
  bool hit = cached->entry != nullptr && cached->generation == shared->stats_generation &&
             std::memcmp(&cached->key, key, sizeof *key) == 0;
  if (hit)
    entry = cached->entry;
  else
    entry = static_cast<StatsEntry*>(
        hash_search_with_hash_value(stats_table, key, hash, HASH_FIND, nullptr));
  if (entry == nullptr) {
    LWLockRelease(stats_lock());
    LWLockAcquire(stats_lock(), LW_EXCLUSIVE);
    entry = add_key(key);
    if (entry == nullptr) {
      LWLockRelease(stats_lock());
      return;
    }
    if (entry->sample_len == 0) {
      entry->sample_len = std::min(query_len, kSampleMax);
      std::memcpy(entry->sample, query, entry->sample_len);
    }
  }
  if (!hit) *cached = {shared->stats_generation, *key, entry};
  SpinLockAcquire(&entry->mutex);
  entry->total_ms += duration_ms;
  entry->last_seen = now;
  entry->histogram.record(duration_ms);
  SpinLockRelease(&entry->mutex);
  LWLockRelease(stats_lock());
}

// Copies up to `capacity` entries into `out` under the shared lock; returns how many the table
// held (more than `capacity` means the copy is incomplete). PostgreSQL calls only.
long copy_stats(StatsEntry* out, long capacity, long* copied) {
  LWLockAcquire(stats_lock(), LW_SHARED);
  long seen = 0;
  HASH_SEQ_STATUS scan;
  hash_seq_init(&scan, stats_table);
  for (auto* e = static_cast<StatsEntry*>(hash_seq_search(&scan)); e != nullptr;
       e = static_cast<StatsEntry*>(hash_seq_search(&scan))) {
    if (seen < capacity) {
      SpinLockAcquire(&e->mutex);
      std::memcpy(static_cast<void*>(&out[seen]), e, sizeof(StatsEntry));
      SpinLockRelease(&e->mutex);
    }
    ++seen;
  }
  LWLockRelease(stats_lock());
  *copied = std::min(seen, capacity);
  return seen;
}

long count_stats() {
  LWLockAcquire(stats_lock(), LW_SHARED);
  long n = hash_get_num_entries(stats_table);
  LWLockRelease(stats_lock());
  return n;
}

}  // namespace

void request_shared_memory() {
  Size size = ring_size();
  size = add_size(size, hash_estimate_size(role_table_size(), sizeof(RoleEntry)));
  size = add_size(size, hash_estimate_size(settings.stats_max, sizeof(StatsEntry)));
  size = add_size(size, hash_estimate_size(stats_role_table_size(), sizeof(StatsRole)));
  RequestAddinShmemSpace(size);
  RequestNamedLWLockTranche(kTrancheName, kLocks);
}

void attach_shared_memory() {
  LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
  bool found;
  shared = static_cast<Shared*>(ShmemInitStruct("pgfast slowlog ring", ring_size(), &found));
  if (!found) {
    shared->locks = GetNamedLWLockTranche(kTrancheName);
    shared->capacity = settings.ring_capacity;
    shared->slot_size = slot_size();
    shared->text_max = settings.text_max;
    shared->plan_max = settings.plan_max;
    shared->stats_max = settings.stats_max;
    pg_atomic_init_u64(&shared->cursor, 0);
    pg_atomic_init_u64(&shared->sequence, 0);
    pg_atomic_init_u64(&shared->offered, 0);
    pg_atomic_init_u64(&shared->dropped, 0);
    shared->since = GetCurrentTimestamp();
    shared->role_generation = 1;
    shared->stats_generation = 1;
    for (int i = 0; i < shared->capacity; ++i) {
      Slot* slot = slot_at(i);
      pg_atomic_init_u64(&slot->seq, 0);
      slot->owner = InvalidOid;
      slot->prev = kNone;
      slot->next = kNone;
      slot->sequence = 0;
    }
  }
  HASHCTL info;
  std::memset(&info, 0, sizeof info);
  info.keysize = sizeof(Oid);
  info.entrysize = sizeof(RoleEntry);
  roles = ShmemInitHash("pgfast slowlog roles", role_table_size(), role_table_size(), &info,
                        HASH_ELEM | HASH_BLOBS);
  std::memset(&info, 0, sizeof info);
  info.keysize = sizeof(StatsKey);
  info.entrysize = sizeof(StatsEntry);
  info.hash = stats_key_hash;
  stats_table = ShmemInitHash("pgfast slowlog stats", settings.stats_max, settings.stats_max, &info,
                              HASH_ELEM | HASH_FUNCTION);
  std::memset(&info, 0, sizeof info);
  info.keysize = sizeof(Oid);
  info.entrysize = sizeof(StatsRole);
  stats_roles = ShmemInitHash("pgfast slowlog stats roles", stats_role_table_size(),
                              stats_role_table_size(), &info, HASH_ELEM | HASH_BLOBS);
  LWLockRelease(AddinShmemInitLock);
  detail::attached =
      shared != nullptr && roles != nullptr && stats_table != nullptr && stats_roles != nullptr;
}

void require_available() {
  if (available()) return;
  throw Error(
      sqlstate::kObjectNotInPrerequisiteState,
      "pgfast slow-query capture is not enabled in this server",
      "The pgfast library was not loaded through shared_preload_libraries.",
      "Add 'pgfast' to shared_preload_libraries in postgresql.conf and restart the server.");
}

void write(const CaptureRecord& record) {
  if (!available()) return;
  write_ring(&record);
  StatsKey key{record.dbid, record.userid, record.queryid};
  update_stats(&key, record.duration_ms, record.captured_at, record.query,
               static_cast<int>(std::min<size_t>(record.query_len, kSampleMax)));
}

void count_failed_capture() noexcept {
  if (!available()) return;
  pg_atomic_fetch_add_u64(&shared->offered, 1);
  pg_atomic_fetch_add_u64(&shared->dropped, 1);
}

std::vector<CapturedStatement> read_ring() {
  require_available();
  int capacity = shared->capacity;
  // Fixed-size storage for one slot's copy, allocated before any slot is read.
  std::vector<char> text(std::max<Size>(1, shared->text_max));
  std::vector<char> plan(std::max<Size>(1, shared->plan_max));
  std::vector<CapturedStatement> rows;
  rows.reserve(static_cast<size_t>(capacity));
  for (int32 i = 0; i < capacity; ++i) {
    SlotHeader h;
    uint64 sequence;
    if (!read_slot(i, &h, &sequence, text.data(), plan.data())) continue;
    CapturedStatement s;
    static_cast<StatementFacts&>(s) = h;
    s.sequence = sequence;
    h.application_name[NAMEDATALEN - 1] = '\0';
    h.client_addr[sizeof h.client_addr - 1] = '\0';
    s.application_name = h.application_name;
    s.client_addr = h.client_addr;
    s.query.assign(text.data(), h.query_len);
    s.plan.assign(plan.data(), h.plan_len);
    rows.push_back(std::move(s));
  }
  std::sort(rows.begin(), rows.end(), [](const CapturedStatement& a, const CapturedStatement& b) {
    return a.sequence < b.sequence;
  });
  return rows;
}

std::vector<StatementStats> read_stats() {
  require_available();
  // The copies go to storage allocated before the lock is taken; a table that grew meanwhile is
  // read again with more room, then as far as the room goes.
  std::vector<StatsEntry> copies;
  long copied = 0;
  for (int attempt = 0; attempt < 3; ++attempt) {
    long expected = pg::call([] { return count_stats(); });
    copies.resize(static_cast<size_t>(std::min<long>(expected + 16, shared->stats_max)));
    StatsEntry* out = copies.data();
    long room = static_cast<long>(copies.size());
    long held = pg::call([out, room, &copied] { return copy_stats(out, room, &copied); });
    if (held <= room) break;
  }
  std::vector<StatementStats> rows;
  rows.reserve(static_cast<size_t>(copied));
  for (long i = 0; i < copied; ++i) {
    const StatsEntry& e = copies[static_cast<size_t>(i)];
    StatementStats r;
    r.dbid = e.key.dbid;
    r.userid = e.key.userid;
    r.queryid = e.key.queryid;
    r.calls = e.histogram.total;
    r.total_ms = e.total_ms;
    r.p50_ms = e.histogram.percentile(0.50);
    r.p95_ms = e.histogram.percentile(0.95);
    r.p99_ms = e.histogram.percentile(0.99);
    r.max_ms = e.histogram.max_ms;
    r.last_seen = e.last_seen;
    r.sample_query.assign(e.sample, static_cast<size_t>(std::clamp(e.sample_len, 0, kSampleMax)));
    rows.push_back(std::move(r));
  }
  return rows;
}

RingInfo info() {
  require_available();
  RingInfo out;
  TimestampTz since = 0;
  uint64 offered = 0;
  uint64 dropped = 0;
  pg::call([&since, &offered, &dropped] {
    LWLockAcquire(ring_lock(), LW_SHARED);
    since = shared->since;
    offered = pg_atomic_read_u64(&shared->offered);
    dropped = pg_atomic_read_u64(&shared->dropped);
    LWLockRelease(ring_lock());
  });
  out.since = since;
  out.capacity = shared->capacity;
  out.max_per_role = share_of(shared->capacity);
  for (int32 i = 0; i < shared->capacity; ++i) {
    SlotHeader h;
    uint64 sequence;
    if (read_slot(i, &h, &sequence, nullptr, nullptr)) ++out.used;
  }
  out.dropped = static_cast<int64_t>(dropped);
  out.overwritten = std::max<int64_t>(0, static_cast<int64_t>(offered) - out.used - out.dropped);
  return out;
}

void reset() {
  require_available();
  pg::call([] {
    // Exclusively: no ring writer runs, so every slot lock is free at once.
    LWLockAcquire(ring_lock(), LW_EXCLUSIVE);
    for (int32 i = 0; i < shared->capacity; ++i) {
      Slot* slot = slot_at(i);
      uint64 seq;
      if (!lock_slot(slot, &seq)) continue;
      slot->owner = InvalidOid;
      slot->prev = kNone;
      slot->next = kNone;
      slot->sequence = 0;
      unlock_slot(slot, seq, true);
    }
    HASH_SEQ_STATUS scan;
    hash_seq_init(&scan, roles);
    for (auto* r = static_cast<RoleEntry*>(hash_seq_search(&scan)); r != nullptr;
         r = static_cast<RoleEntry*>(hash_seq_search(&scan))) {
      hash_search(roles, &r->userid, HASH_REMOVE, nullptr);
    }
    ++shared->role_generation;
    pg_atomic_write_u64(&shared->offered, 0);
    pg_atomic_write_u64(&shared->dropped, 0);
    shared->since = GetCurrentTimestamp();
    LWLockAcquire(stats_lock(), LW_EXCLUSIVE);
    hash_seq_init(&scan, stats_table);
    for (auto* e = static_cast<StatsEntry*>(hash_seq_search(&scan)); e != nullptr;
         e = static_cast<StatsEntry*>(hash_seq_search(&scan))) {
      hash_search(stats_table, &e->key, HASH_REMOVE, nullptr);
    }
    ++shared->stats_generation;
    hash_seq_init(&scan, stats_roles);
    for (auto* r = static_cast<StatsRole*>(hash_seq_search(&scan)); r != nullptr;
         r = static_cast<StatsRole*>(hash_seq_search(&scan))) {
      hash_search(stats_roles, &r->userid, HASH_REMOVE, nullptr);
    }
    LWLockRelease(stats_lock());
    LWLockRelease(ring_lock());
  });
}

}  // namespace pgfast::slowlog::store
