#!/usr/bin/env bash
# The client as `cmake --install` installs it from this build (the static libpgfast.a by default),
# used by an outside project: tests/package/consumer configured with find_package(pgfast <VERSION>
# EXACT) against the installed CMake package, and main.cpp compiled with the installed pgfast.pc.
# Both must build, link and, run against the test servers (DATABASE_URL with pgfast created,
# REDIS_URL), pass their checks (scripts/package-test runs them on the Debian packages too).
# CTest: integration.package.installed_consumer.
#
#   installed_consumer_test.sh <build dir> [extra compile and link flags, e.g. sanitizers]
set -euo pipefail
build=$1
flags=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
version=$(head -1 "$here/../../VERSION")
tmp=$(mktemp -d /tmp/pgfast-installed-consumer.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
cmake -S "$here/consumer" -B "$tmp/consumer" -DCMAKE_PREFIX_PATH="$tmp/prefix" \
  -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON -DPGFAST_EXPECTED_VERSION="$version" \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="$flags" >"$tmp/configure.log" 2>&1 ||
  { cat "$tmp/configure.log"; exit 1; }
grep "pgfast $version from $tmp/prefix/" "$tmp/configure.log" ||
  { echo "find_package(pgfast) did not find the installed package:"; cat "$tmp/configure.log"; exit 1; }
cmake --build "$tmp/consumer" >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; exit 1; }
echo "find_package(pgfast): built $tmp/consumer/pgfast_consumer"

pc=$(find "$tmp/prefix" -name pgfast.pc)
export PKG_CONFIG_PATH
PKG_CONFIG_PATH=$(dirname "$pc")
[ "$(pkg-config --modversion pgfast)" = "$version" ] || { echo "pgfast.pc is not version $version"; exit 1; }
# shellcheck disable=SC2046,SC2086
g++ -std=c++17 -Wall -Wextra -Werror $flags "$here/consumer/main.cpp" -o "$tmp/consumer-pkg-config" \
  $(pkg-config --cflags --libs pgfast)
echo "pkg-config pgfast: built $tmp/consumer-pkg-config"

: "${DATABASE_URL:?run through scripts/with-services (make test does)}"
# The consumer calls pgfast.version(): a database of its own with the extension.
psql -X -q -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS pgfast_consumer" -c "CREATE DATABASE pgfast_consumer"
psql -X -q -v ON_ERROR_STOP=1 -d pgfast_consumer -c "CREATE EXTENSION pgfast"
export DATABASE_URL="${DATABASE_URL%/*}/pgfast_consumer"
rc=0
for exe in "$tmp/consumer/pgfast_consumer" "$tmp/consumer-pkg-config"; do
  echo "-- $(basename "$exe")"
  "$exe" || rc=1
done
psql -X -q -c "DROP DATABASE pgfast_consumer"
exit "$rc"
