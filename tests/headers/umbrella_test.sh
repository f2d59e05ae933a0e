#!/usr/bin/env bash
# The umbrella header pgfast/pgfast.hpp includes every public header (each of which also compiles
# on its own: the pgfast_header_check target in tests/CMakeLists.txt).
set -euo pipefail
include_dir=${1:?usage: umbrella_test.sh <client/include>}
umbrella="$include_dir/pgfast/pgfast.hpp"
[ -f "$umbrella" ] || { echo "missing $umbrella"; exit 1; }
missing=0
headers=$(cd "$include_dir" && find pgfast -name '*.hpp' ! -path pgfast/pgfast.hpp | sort)
for name in $headers; do
  if ! grep -q "^#include \"$name\"" "$umbrella"; then
    echo "pgfast/pgfast.hpp does not include $name"
    missing=1
  fi
done
# No public header declares a class named Impl (implementations are detail::<Name>Impl).
if grep -rn "class Impl\b" "$include_dir"/pgfast; then
  echo "a public header declares an Impl class"
  missing=1
fi
[ "$missing" = 0 ] && echo "umbrella includes all $(echo "$headers" | wc -l) public headers"
exit "$missing"
