#!/usr/bin/env bash
# The upgrade path: a database created at every earlier released version and brought forward with
# ALTER EXTENSION pgfast UPDATE must hold exactly the objects and privileges of a fresh install of
# the current version (extension_objects.sql lists them), and keep its data (the cursor key, a
# cursor issued before the upgrade). Runs against the server scripts/with-services started.
#
#   tests/integration/upgrade_test.sh [from_version ...]     default: every pgfast--X.sql but the current
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
current=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" "$root/extension/pgfast.control")
fail() { echo "FAIL [upgrade]: $*" >&2; exit 1; }
q() { PGOPTIONS="-c client_min_messages=warning" psql -X -v ON_ERROR_STOP=1 -qAt "$@"; }
snapshot() { q -d "$1" -f "$here/extension_objects.sql"; }

froms=("$@")
if [ ${#froms[@]} -eq 0 ]; then
  for f in "$root"/extension/pgfast--*.sql; do
    v=$(basename "$f" .sql); v=${v#pgfast--}
    case "$v" in *--*|"$current") ;; *) froms+=("$v") ;; esac
  done
fi
[ ${#froms[@]} -gt 0 ] || fail "no earlier version to upgrade from"

work=$(mktemp -d)
dbs=(pgfast_upgrade_fresh)
cleanup() { for db in "${dbs[@]}"; do q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true; done; rm -rf "$work"; }
trap cleanup EXIT

q -d postgres -c "DROP DATABASE IF EXISTS pgfast_upgrade_fresh" -c "CREATE DATABASE pgfast_upgrade_fresh"
q -d pgfast_upgrade_fresh -c "CREATE EXTENSION pgfast"
snapshot pgfast_upgrade_fresh >"$work/fresh.txt"
[ "$(grep -c '^function ' "$work/fresh.txt")" -gt 10 ] || fail "the snapshot lists too few functions"

for from in "${froms[@]}"; do
  db="pgfast_upgrade_from_${from//./_}"
  dbs+=("$db")
  q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
  q -d "$db" -c "CREATE EXTENSION pgfast VERSION '$from'"
  # Data made under the old version: a table and a cursor over it.
  q -d "$db" -c "CREATE TABLE items (id int PRIMARY KEY)" -c "INSERT INTO items SELECT generate_series(1, 10)"
  cursor=$(q -d "$db" -c "SELECT pgfast.page('items', page_size => 3)->>'next_cursor'")
  key_before=$(q -d "$db" -c "SELECT md5(key) FROM pgfast.cursor_key")
  q -d "$db" -c "ALTER EXTENSION pgfast UPDATE"
  [ "$(q -d "$db" -c "SELECT extversion FROM pg_extension WHERE extname = 'pgfast'")" = "$current" ] ||
    fail "$from: ALTER EXTENSION UPDATE did not reach $current"
  snapshot "$db" >"$work/upgraded.txt"
  if ! diff -u "$work/fresh.txt" "$work/upgraded.txt" >"$work/diff.txt"; then
    cat "$work/diff.txt" >&2
    fail "$from -> $current differs from a fresh $current install (- fresh, + upgraded)"
  fi
  [ "$(q -d "$db" -c "SELECT md5(key) FROM pgfast.cursor_key")" = "$key_before" ] || fail "$from: cursor key changed"
  [ "$(q -d "$db" -c "SELECT pgfast.page('items', page_size => 3, after => '$cursor')->'items'->0->>'id'")" = 4 ] ||
    fail "$from: a cursor issued before the upgrade is not accepted after it"
  echo "ok: $from -> $current matches a fresh install ($(wc -l <"$work/fresh.txt") catalog lines)"
done

# The comparison can fail: one changed privilege shows in the snapshot.
q -d pgfast_upgrade_fresh -c "GRANT EXECUTE ON FUNCTION pgfast.slow_queries_reset() TO PUBLIC"
snapshot pgfast_upgrade_fresh >"$work/changed.txt"
! diff -q "$work/fresh.txt" "$work/changed.txt" >/dev/null || fail "the snapshot does not see a changed privilege"
echo "ok: the snapshot sees a changed privilege"
