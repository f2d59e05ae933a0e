// SQL text of the bulk operations (pure C++). Every statement works on a staging table that holds
// the input rows with their 1-based input position in an internal column (Tables::ord, a name no
// column of the target has; see extension/bulk/stage.hpp). Names are quoted here; table names and
// the ord column arrive already quoted. No statement here is worse than O(n log n) in the staged
// rows (no self-join of the stage: duplicates are found with window functions over one sort).
#pragma once

#include <string>
#include <vector>

namespace pgfast::bulk_sql {

struct Tables {
  std::string target;  // quoted, qualified
  std::string stage;   // quoted, qualified
  std::string ord;     // quoted: the stage's input-position column
};

// "t"."k1" = "s"."k1" AND ...
std::string key_join(const std::vector<std::string>& keys);

// First ord whose key column `column` is NULL (one row: min(ord), NULL when none).
std::string first_null_key(const Tables& t, const std::string& column);

// Two ords (earlier, later) that share a key: the smallest later ord with the first ord of its
// key; no row if none. One window over a sort of the stage by key.
std::string first_duplicate(const Tables& t, const std::vector<std::string>& keys);

// One row if any key occurs twice in the stage (cheaper than the window of
// first_duplicate/remove_duplicates, which then only run when needed). With `sort_distinct` (one
// key column of a type with a fast sort) it compares count(*) with count(DISTINCT key), a datum
// sort about 2.5x faster than the hash aggregate used otherwise, which spills on large calls. A
// NULL key would make it answer yes wrongly; that only costs the exact check.
std::string any_duplicate(const Tables& t, const std::vector<std::string>& keys,
                          bool sort_distinct);

// Deletes from the stage every row that shares its key with a later row (keep_last) or an earlier
// one (keep first); returns the removed ords. The losers are numbered by one window over the
// stage sorted by key, and deleted by ctid (a TID scan, whatever the planner thinks of the stage).
std::string remove_duplicates(const Tables& t, const std::vector<std::string>& keys,
                              bool keep_last);

// Locks the target rows that match staged keys, in key order (so concurrent calls with
// overlapping keys take their locks in the same order and cannot deadlock); returns their ords.
std::string lock_existing(const Tables& t, const std::vector<std::string>& keys);

// Creates the temporary table `matched` (quoted, qualified) of the staged rows whose key is in the
// target: (ord, differs), differs = any of `compare_columns` differs from the target row. One
// statement, one snapshot decides which rows are new; cheaper than marking the stage's own rows,
// which would rewrite every matched row.
std::string collect_matched(const Tables& t, const std::vector<std::string>& keys,
                            const std::vector<std::string>& compare_columns,
                            const std::string& matched);

// One row: how many rows of the `matched` table differ.
std::string count_differing(const std::string& matched);

// lock_existing restricted to matched rows where any of `compare_columns` differs: the rows an
// update will write, locked in key order; unchanged rows are neither locked nor written.
std::string lock_differing(const Tables& t, const std::vector<std::string>& keys,
                           const std::vector<std::string>& compare_columns);

// Updates matched rows from the stage; with only_changed, rows whose `set_columns` already hold
// the staged values are left alone (no new row version). RETURNING the stage's ord with
// `return_ords`.
// With `sorted_stage` the stage is read sorted by key (the outer side of a nested loop then
// drives the update in key order).
std::string update_from_stage(const Tables& t, const std::vector<std::string>& keys,
                              const std::vector<std::string>& set_columns, bool only_changed,
                              bool return_ords = true, bool sorted_stage = false);

// Inserts the staged rows whose ord is not in the table `matched` (see collect_matched; all rows
// when it is empty), in key order. With `on_conflict`, a row another transaction inserted
// meanwhile is updated instead if it differs (ON CONFLICT DO UPDATE ... WHERE changed), or skipped
// when `set_columns` is empty; without, such a row is a unique violation (the plain INSERT is about
// twice as fast: no speculative insertion). Returns (ord, inserted) with inserted = false for
// conflict updates; without `tell_conflicts` (partitioned targets, where RETURNING cannot read
// xmax) every returned row counts as inserted. Without `with_ords` one row (inserted count,
// conflict-updated count), with no join back to the stage.
std::string insert_missing(const Tables& t, const std::vector<std::string>& keys,
                           const std::vector<std::string>& columns,
                           const std::vector<std::string>& set_columns, const std::string& matched,
                           bool on_conflict = true, bool tell_conflicts = true,
                           bool with_ords = true);

// One row: how many staged rows have their key in the target, and how many of those differ in
// `compare_columns` (0 when empty). Any join method: nothing is locked or written.
std::string match_counts(const Tables& t, const std::vector<std::string>& keys,
                         const std::vector<std::string>& compare_columns);

// bulk_upsert_from reading its source in place (no stage: the source's columns have the target's
// types). One statement, one snapshot, returning one row (updated, inserted):
// - with `update`, CTE "u" updates the target rows that match a source key (those that differ
//   with `only_changed`), reading the source sorted by key, so it writes and locks in key order;
//   the sort also checks that no key repeats: a repeated key divides by zero (22012) in the
//   column named `check` (a name no column of the source has), which ends the statement;
// Without `update`, it is a plain INSERT of every source row in key order (its row count is the
// number inserted).
// - with `insert`, CTE "i" inserts the source rows in key order: after an update, only if it did
//   not update $1 (bigint: the source's row count) rows and only rows whose key the target does
//   not hold; without an update, every row (the caller found no key of the source in the target:
//   one that is there now is a unique violation, as is a key repeated among the rows).
struct InPlace {
  std::string target;  // quoted, qualified
  std::string source;  // quoted, qualified
  std::string check;   // quoted
  std::vector<std::string> keys;
  std::vector<std::string> columns;  // the source's columns
  std::vector<std::string> set_columns;
  bool only_changed = true;
  bool update = true;
  bool insert = true;
};
std::string upsert_in_place(const InPlace& p);

// Inserts every staged row in ord order; returns ord and the target's `returning` columns as a
// jsonb object. With `returning` empty there is no RETURNING (it would need SELECT on the target)
// and the statement returns nothing; the caller numbers the inserted rows itself.
std::string insert_all(const Tables& t, const std::vector<std::string>& columns,
                       const std::vector<std::string>& returning);

// Deletes the target rows matching staged keys (lock them first with lock_existing, for the key
// order).
std::string delete_matching(const Tables& t, const std::vector<std::string>& keys);

// jsonb_build_object('k1', "s"."k1", ...) over the stage alias "s".
std::string key_json(const std::vector<std::string>& keys);

// True for the errors that a bad input value can cause: data exceptions (class 22), integrity
// violations (class 23, e.g. a domain's CHECK) and 42804 datatype mismatch. Only these make a bulk
// function search for the input row to blame; anything else (a cancel or timeout, lock or deadlock
// errors, serialization failures, out of memory, shutdown, internal errors) ends the call at once,
// unchanged.
bool blames_row(const std::string& sqlstate);

}  // namespace pgfast::bulk_sql
