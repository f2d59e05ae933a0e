#include "pgfast/db/indexes.hpp"

#include "pgfast/db/connection.hpp"
#include "pgfast/db/params.hpp"
#include "pgfast/db/result.hpp"

namespace pgfast {

namespace {

// The options object is built by the server from typed parameters (no JSON written here).
constexpr char kEnsureIndexSql[] =
    "SELECT pgfast.ensure_index($1::regclass, $2::text[], pg_catalog.jsonb_strip_nulls("
    "pg_catalog.jsonb_build_object('method', $3::text, 'where', $4::text, 'include', $5::text[], "
    "'unique', $6::bool, 'name', $7::text, 'concurrently', $8::bool)))";

constexpr char kFtsSearchSql[] =
    "SELECT p ->> 'next_cursor', (p ->> 'has_next')::bool, (p ->> 'page_size')::int, "
    "(e.item -> 'row')::text, (e.item ->> 'rank')::float8, e.item ->> 'headline' "
    "FROM pgfast.fts_search($1::regclass, $2, $3, $4, pg_catalog.jsonb_build_object("
    "'prefix', $5::bool, 'rank', $6::text, 'headline', $7::bool)) p "
    "LEFT JOIN LATERAL pg_catalog.jsonb_array_elements(p -> 'items') WITH ORDINALITY "
    "AS e(item, ord) ON true ORDER BY e.ord";

}  // namespace

std::string ensure_index(Connection& connection, const IndexSpec& spec) {
  Result r = connection.execute_prepared(
      kEnsureIndexSql,
      params(spec.table, array_literal(spec.columns), spec.method, spec.where,
             array_literal(spec.include), spec.unique, spec.name, spec.concurrently));
  return std::string(r.get(0, 0));
}

std::optional<std::int64_t> index_job_id(Connection& connection, const std::string& index_name) {
  Result r = connection.execute_prepared(
      "SELECT max(job_id) FROM pgfast.index_jobs WHERE index_name = $1", params(index_name));
  if (r.is_null(0, 0)) return std::nullopt;
  return r.as<std::int64_t>(0, 0);
}

std::string wait_index_job(Connection& connection, std::int64_t job_id, int timeout_ms) {
  Result r = connection.execute_prepared("SELECT pgfast.wait_index_job($1, $2)",
                                         params(job_id, timeout_ms));
  return std::string(r.get(0, 0));
}

FtsPage fts_search(Connection& connection, const FtsSearchRequest& request) {
  Result r = connection.execute_prepared(
      kFtsSearchSql,
      params(request.table, request.query, request.page_size, request.after, request.prefix,
             request.cover_density ? "ts_rank_cd" : "ts_rank", request.headlines));
  FtsPage page;
  page.next_cursor = r.get_optional(0, 0);
  page.has_next = r.as<bool>(0, 1);
  page.page_size = r.as<int>(0, 2);
  for (int row = 0; row < r.rows(); ++row) {
    if (r.is_null(row, 3)) continue;  // an empty page is one row without an item
    FtsHit hit;
    hit.row = std::string(r.get(row, 3));
    hit.rank = r.as<double>(row, 4);
    hit.headline = r.get_optional(row, 5);
    page.items.push_back(std::move(hit));
  }
  return page;
}

}  // namespace pgfast
