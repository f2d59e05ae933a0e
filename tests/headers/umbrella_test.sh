#!/usr/bin/env bash
# The umbrella header pgfast/pgfast.hpp includes every public header (each of which also compiles
# on its own: the pgfast_header_check target in tests/CMakeLists.txt).
set -euo pipefail
include_dir=${1:?usage: umbrella_test.sh <client/include>}
umbrella="$include_dir/pgfast/pgfast.hpp"
[ -f "$umbrella" ] || { echo "missing $umbrella"; exit 1; }
missing=0
for h in "$include_dir"/pgfast/*.hpp; do
  name=$(basename "$h")
  [ "$name" = pgfast.hpp ] && continue
  if ! grep -q "^#include \"pgfast/$name\"" "$umbrella"; then
    echo "pgfast/pgfast.hpp does not include pgfast/$name"
    missing=1
  fi
done
# Nothing below pgfast/detail is public API, and no public header declares an Impl class.
if grep -n "class Impl\b" "$include_dir"/pgfast/*.hpp; then
  echo "a public header declares an Impl class"
  missing=1
fi
[ "$missing" = 0 ] && echo "umbrella includes all $(ls "$include_dir"/pgfast/*.hpp | wc -l) public headers"
exit "$missing"
