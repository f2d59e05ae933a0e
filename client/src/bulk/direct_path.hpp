// Whether BulkWriter may COPY chunks straight into the target (docs/bulk.md, "Direct path: when it
// is used"): a pure decision over the catalog facts BulkWriter reads once at construction, with the
// reason when it may not.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "pgfast/bulk/bulk_writer.hpp"

namespace pgfast {

// One column of the target, as pg_attribute (and pg_index) describe it.
struct DirectPathColumn {
  std::string name;
  unsigned type_oid = 0;
  bool has_default = false;  // a default expression or an identity
  char identity = '\0';      // pg_attribute.attidentity: 'a' always, 'd' by default, '\0' none
  bool generated = false;
  bool in_primary_key = false;
};

struct DirectPathFacts {
  bool exists = false;         // the target names a relation
  bool plain_table = false;    // a table or partitioned table, no row level security, no rules
  bool user_triggers = false;  // on the table or its partitions, besides pgfast's notify trigger
  bool may_update = false;     // the role has UPDATE on the table
  // A valid, non-partial, immediate unique index on NOT NULL columns that are exactly the conflict
  // columns (none given: the primary key).
  bool conflict_index = false;
  std::vector<DirectPathColumn> columns;
};

struct DirectPathDecision {
  bool direct = false;
  std::string reason;  // why not; empty when direct
  // Upsert, direct: positions (in the writer's columns) of the key columns the first row is looked
  // up by; empty when they are not all bigint, integer or text (then no probe).
  std::vector<std::size_t> probe_keys;
};

// Whether the binary form of `type` is exactly the input of the column type `type_oid`.
bool takes_binary(BulkType type, unsigned type_oid);

DirectPathDecision decide_direct_path(const DirectPathFacts& facts,
                                      const BulkWriterOptions& options);

}  // namespace pgfast
