// Conflict / key columns of the bulk functions: named by the caller or the primary key, backed by
// a unique index, present and non-NULL in every staged row, unique within the call.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "bulk/options.hpp"
#include "bulk/stage.hpp"
#include "pg/relation_info.hpp"
#include "pg/spi.hpp"

namespace pgfast::bulk {

// `requested` (validated) or the primary key's columns. With `need_unique_index`, a unique index
// on exactly these columns must exist (what ON CONFLICT needs).
std::vector<std::string> resolve_keys(const pg::RelationInfo& target,
                                      const std::optional<std::vector<std::string>>& requested,
                                      const char* argument, bool need_unique_index);

// Every key column present in the stage and non-NULL in every row (23502 naming column and row).
void check_keys_present(pg::SpiSession& spi, const Stage& stage,
                        const std::vector<std::string>& keys, const char* argument);

// True for one key column of a type with a cheap sort (integers, uuid, dates and timestamps):
// bulk_sql::any_duplicate's sort_distinct.
bool one_fast_sorting_key(const pg::RelationInfo& target, const std::vector<std::string>& keys);

// Applies `on_duplicate`: an error naming both rows, or the losing rows removed from the stage.
// Returns the removed ords.
std::vector<int64_t> resolve_duplicates(pg::SpiSession& spi, const pg::RelationInfo& target,
                                        const Stage& stage, const std::vector<std::string>& keys,
                                        OnDuplicate mode, const char* argument);

// The columns an upsert sets on matched rows: `requested` (update_columns, checked: existing,
// writable, not a key, present in the input when it has rows) or every non-key input column.
// `columns`, `rows`: the input's columns and row count.
std::vector<std::string> resolve_set_columns(
    const pg::RelationInfo& target, const std::vector<std::string>& columns, int64_t rows,
    const std::vector<std::string>& keys, const std::optional<std::vector<std::string>>& requested);

// The ords returned by the last statement's first column.
std::vector<int64_t> ords_of_result(pg::SpiSession& spi);

}  // namespace pgfast::bulk
