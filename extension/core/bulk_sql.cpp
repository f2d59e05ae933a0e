#include "core/bulk_sql.hpp"

#include "core/error.hpp"
#include "core/sql_text.hpp"

namespace pgfast::bulk_sql {

namespace {

std::string col(const char* alias, const std::string& name) {
  return std::string("\"") + alias + "\"." + quote_identifier(name);
}

std::string list(const std::vector<std::string>& names, const char* alias) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ", ";
    out += alias ? col(alias, names[i]) : quote_identifier(names[i]);
  }
  return out;
}

// ("t"."a", "t"."b") IS DISTINCT FROM ("s"."a", "s"."b"); ROW() keeps one column a row too.
std::string changed(const std::vector<std::string>& columns, const char* left, const char* right) {
  return "ROW(" + list(columns, left) + ") IS DISTINCT FROM ROW(" + list(columns, right) + ")";
}

std::string set_list(const std::vector<std::string>& columns, const char* source) {
  std::string out;
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i > 0) out += ", ";
    out += quote_identifier(columns[i]) + " = " + col(source, columns[i]);
  }
  return out;
}

// A jsonb object of the named columns of `alias`, keyed by their names, without writing any name as
// a string literal: to_jsonb of a one-row subquery whose output columns are those columns.
// "k".* is a whole-row reference even when some column (of "k" or of an outer relation) is named
// k, which a bare "k" would resolve to first.
std::string row_json(const std::vector<std::string>& columns, const char* alias) {
  return "(SELECT pg_catalog.to_jsonb(\"k\".*) FROM (SELECT " + list(columns, alias) +
         ") AS \"k\")";
}

std::string ord(const char* alias, const Tables& t) {
  return std::string("\"") + alias + "\"." + t.ord;
}

}  // namespace

std::string key_join(const std::vector<std::string>& keys) {
  std::string out;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (i > 0) out += " AND ";
    out += col("t", keys[i]) + " = " + col("s", keys[i]);
  }
  return out;
}

std::string key_json(const std::vector<std::string>& keys) {
  return row_json(keys, "s");
}

std::string first_null_key(const Tables& t, const std::string& column) {
  return "SELECT min(" + ord("s", t) + ") FROM " + t.stage + " \"s\" WHERE " + col("s", column) +
         " IS NULL";
}

std::string first_duplicate(const Tables& t, const std::vector<std::string>& keys) {
  return "SELECT \"d\".first, \"d\".ord FROM (SELECT " + ord("s", t) + " AS ord, pg_catalog.min(" +
         ord("s", t) + ") OVER (PARTITION BY " + list(keys, "s") + ") AS first FROM " + t.stage +
         " \"s\") AS \"d\" WHERE \"d\".first < \"d\".ord ORDER BY " + "\"d\".ord LIMIT 1";
}

std::string any_duplicate(const Tables& t, const std::vector<std::string>& keys,
                          bool sort_distinct) {
  if (sort_distinct && keys.size() == 1) {
    return "SELECT 1 FROM " + t.stage + " \"s\" HAVING count(*) > count(DISTINCT " +
           col("s", keys[0]) + ")";
  }
  return "SELECT 1 FROM " + t.stage + " \"s\" GROUP BY " + list(keys, "s") +
         " HAVING count(*) > 1 LIMIT 1";
}

std::string remove_duplicates(const Tables& t, const std::vector<std::string>& keys,
                              bool keep_last) {
  return "DELETE FROM " + t.stage + " \"s\" WHERE \"s\".ctid = ANY (ARRAY(SELECT \"d\".tid FROM " +
         "(SELECT \"w\".ctid AS tid, pg_catalog.row_number() OVER (PARTITION BY " +
         list(keys, "w") + " ORDER BY " + ord("w", t) + (keep_last ? " DESC" : "") +
         ") AS n FROM " + t.stage + " \"w\") AS \"d\" WHERE \"d\".n > 1)) RETURNING " + ord("s", t);
}

std::string lock_existing(const Tables& t, const std::vector<std::string>& keys) {
  return "SELECT " + ord("s", t) + " FROM " + t.target + " \"t\" JOIN " + t.stage + " \"s\" ON " +
         key_join(keys) + " ORDER BY " + list(keys, "t") + " FOR UPDATE OF \"t\"";
}

std::string collect_matched(const Tables& t, const std::vector<std::string>& keys,
                            const std::vector<std::string>& compare_columns,
                            const std::string& matched) {
  std::string differs =
      compare_columns.empty() ? std::string("false") : changed(compare_columns, "t", "s");
  return "CREATE TEMPORARY TABLE " + matched + " ON COMMIT DROP AS SELECT " + ord("s", t) +
         " AS ord, " + differs + " AS differs FROM " + t.stage + " \"s\" JOIN " + t.target +
         " \"t\" ON " + key_join(keys);
}

std::string count_differing(const std::string& matched) {
  return "SELECT count(*) FROM " + matched + " WHERE differs";
}

std::string lock_differing(const Tables& t, const std::vector<std::string>& keys,
                           const std::vector<std::string>& compare_columns) {
  return "SELECT " + ord("s", t) + " FROM " + t.target + " \"t\" JOIN " + t.stage + " \"s\" ON " +
         key_join(keys) + " AND " + changed(compare_columns, "t", "s") + " ORDER BY " +
         list(keys, "t") + " FOR UPDATE OF \"t\"";
}

std::string update_from_stage(const Tables& t, const std::vector<std::string>& keys,
                              const std::vector<std::string>& set_columns, bool only_changed,
                              bool return_ords, bool sorted_stage) {
  // A subquery with ORDER BY is not flattened: its Sort stays below the join.
  std::string stage = sorted_stage
                          ? "(SELECT * FROM " + t.stage + " ORDER BY " + list(keys, nullptr) + ")"
                          : t.stage;
  std::string sql = "UPDATE " + t.target + " \"t\" SET " + set_list(set_columns, "s") + " FROM " +
                    stage + " \"s\" WHERE " + key_join(keys);
  if (only_changed) sql += " AND " + changed(set_columns, "t", "s");
  return return_ords ? sql + " RETURNING " + ord("s", t) : sql;
}

std::string insert_missing(const Tables& t, const std::vector<std::string>& keys,
                           const std::vector<std::string>& columns,
                           const std::vector<std::string>& set_columns, const std::string& matched,
                           bool on_conflict, bool tell_conflicts, bool with_ords) {
  std::string conflict;
  if (!on_conflict) {
    tell_conflicts = false;
  } else if (set_columns.empty()) {
    conflict = " DO NOTHING";
  } else {
    conflict = " DO UPDATE SET ";
    for (size_t i = 0; i < set_columns.size(); ++i) {
      if (i > 0) conflict += ", ";
      conflict +=
          quote_identifier(set_columns[i]) + " = \"excluded\"." + quote_identifier(set_columns[i]);
    }
    // Always only where changed: the UPDATE before the insert may have written the row already.
    conflict += " WHERE " + changed(set_columns, "t", "excluded");
  }
  // The key columns identify the returned row in the stage again (keys are unique there).
  std::string returned_keys;
  for (size_t i = 0; i < keys.size(); ++i) {
    returned_keys += ", " + col("t", keys[i]) + " AS " + quote_identifier("k" + std::to_string(i));
  }
  std::string match;
  for (size_t i = 0; i < keys.size(); ++i) {
    match += (i ? " AND " : "") + std::string("\"i\".") +
             quote_identifier("k" + std::to_string(i)) + " = " + col("s", keys[i]);
  }
  return "WITH \"i\" AS (INSERT INTO " + t.target + " AS \"t\" (" + list(columns, nullptr) +
         ") SELECT " + list(columns, "s") + " FROM " + t.stage + " \"s\"" +
         (matched.empty() ? std::string()
                          : " WHERE NOT EXISTS (SELECT 1 FROM " + matched +
                                " \"m\" WHERE \"m\".ord = " + ord("s", t) + ")") +
         " ORDER BY " + list(keys, "s") +
         (on_conflict ? " ON CONFLICT (" + list(keys, nullptr) + ")" + conflict : std::string()) +
         " RETURNING " + (tell_conflicts ? "(\"t\".xmax = 0)" : "true") + " AS inserted" +
         returned_keys + ")" +
         (with_ords ? " SELECT " + ord("s", t) + ", \"i\".inserted FROM \"i\" JOIN " + t.stage +
                          " \"s\" ON " + match
                    : std::string(" SELECT count(*) FILTER (WHERE \"i\".inserted), count(*) FILTER "
                                  "(WHERE NOT \"i\".inserted) FROM \"i\""));
}

std::string match_counts(const Tables& t, const std::vector<std::string>& keys,
                         const std::vector<std::string>& compare_columns) {
  std::string differs =
      compare_columns.empty() ? std::string("false") : changed(compare_columns, "t", "s");
  return "SELECT pg_catalog.count(*), pg_catalog.count(*) FILTER (WHERE " + differs + ") FROM " +
         t.stage + " \"s\" JOIN " + t.target + " \"t\" ON " + key_join(keys);
}

std::string upsert_in_place(const InPlace& p) {
  if (!p.update) {
    return "INSERT INTO " + p.target + " AS \"t\" (" + list(p.columns, nullptr) + ") SELECT " +
           list(p.columns, "s") + " FROM " + p.source + " \"s\" ORDER BY " + list(p.keys, "s");
  }
  std::string sql = "WITH ";
  if (p.update) {
    // One lag() per key column: comparing ROW()s costs a record per row.
    std::string repeated;
    for (size_t i = 0; i < p.keys.size(); ++i) {
      repeated += (i ? " AND " : "") + col("w", p.keys[i]) + " = pg_catalog.lag(" +
                  col("w", p.keys[i]) + ") OVER (ORDER BY " + list(p.keys, "w") + ")";
    }
    sql += "\"u\" AS (UPDATE " + p.target + " \"t\" SET " + set_list(p.set_columns, "s") +
           " FROM (SELECT \"w\".*, 1 / CASE WHEN " + repeated + " THEN 0 ELSE 1 END AS " + p.check +
           " FROM " + p.source + " \"w\" ORDER BY " + list(p.keys, "w") + ") AS \"s\" WHERE " +
           key_join(p.keys) + " AND \"s\"." + p.check + " = 1";
    if (p.only_changed) sql += " AND " + changed(p.set_columns, "t", "s");
    sql += " RETURNING 1), \"c\" AS (SELECT pg_catalog.count(*) AS n FROM \"u\")";
  }
  if (p.insert) {
    std::string where;
    if (p.update) {
      std::string existing;
      for (size_t i = 0; i < p.keys.size(); ++i) {
        existing += (i ? " AND " : "") + col("e", p.keys[i]) + " = " + col("s", p.keys[i]);
      }
      where = " WHERE (SELECT \"c\".n FROM \"c\") < $1 AND NOT EXISTS (SELECT 1 FROM " + p.target +
              " \"e\" WHERE " + existing + ")";
    }
    sql += std::string(p.update ? ", " : "") + "\"i\" AS (INSERT INTO " + p.target + " AS \"t\" (" +
           list(p.columns, nullptr) + ") SELECT " + list(p.columns, "s") + " FROM " + p.source +
           " \"s\"" + where + " ORDER BY " + list(p.keys, "s") + " RETURNING 1)";
  }
  return sql + " SELECT " + (p.update ? "(SELECT \"c\".n FROM \"c\")" : "0::bigint") + ", " +
         (p.insert ? "(SELECT pg_catalog.count(*) FROM \"i\")" : "0::bigint");
}

std::string insert_all(const Tables& t, const std::vector<std::string>& columns,
                       const std::vector<std::string>& returning) {
  // INSERT ... SELECT ... ORDER BY inserts, and RETURNs, in that order; row_number() over the
  // returned rows gives back each row's input position.
  std::string insert = "INSERT INTO " + t.target + " AS \"t\" (" + list(columns, nullptr) +
                       ") SELECT " + list(columns, "s") + " FROM " + t.stage + " \"s\" ORDER BY " +
                       ord("s", t);
  if (returning.empty()) return insert;
  return "WITH \"i\" AS (" + insert + " RETURNING " + row_json(returning, "t") +
         " AS key) SELECT pg_catalog.row_number() OVER (), \"i\".key FROM \"i\"";
}

std::string delete_matching(const Tables& t, const std::vector<std::string>& keys) {
  return "DELETE FROM " + t.target + " \"t\" USING " + t.stage + " \"s\" WHERE " + key_join(keys);
}

bool blames_row(const std::string& code) {
  return code.compare(0, 2, "22") == 0 || code.compare(0, 2, "23") == 0 ||
         code == sqlstate::kDatatypeMismatch;
}

}  // namespace pgfast::bulk_sql
