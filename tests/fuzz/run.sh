#!/usr/bin/env bash
# Builds tests/fuzz/cursor_decode_fuzz.cpp with libFuzzer + ASan + UBSan (clang++-14) into a
# temporary directory and runs it. FUZZ_RUNS (default 200000) sets the number of inputs,
# FUZZ_SEED a fixed seed (default: random). Exits non-zero on a crash or a broken property; the
# crashing input is then kept in the directory printed at the end.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

CXX_FUZZ="${CXX_FUZZ:-clang++-14}"
if ! command -v "$CXX_FUZZ" >/dev/null 2>&1; then
  echo "tests/fuzz/run.sh: $CXX_FUZZ not found; the libFuzzer target needs clang 14" \
       "(Debian: apt-get install clang-14)" >&2
  exit 1
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/pgfast-fuzz.XXXXXX")"
keep=0
cleanup() { if [ "$keep" = 0 ]; then rm -rf "$work"; fi; }
trap cleanup EXIT

"$CXX_FUZZ" -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
  -Wall -Wextra -Werror -I"$root/extension" \
  "$here/cursor_decode_fuzz.cpp" "$root/extension/core/cursor_codec.cpp" \
  "$root/extension/core/error.cpp" \
  -lcrypto -o "$work/cursor_decode_fuzz"

mkdir -p "$work/corpus"
status=0
(cd "$work" && ./cursor_decode_fuzz -runs="${FUZZ_RUNS:-200000}" -max_len=4096 \
  -seed="${FUZZ_SEED:-0}" -print_final_stats=1 -artifact_prefix="$work/" corpus) || status=$?
if [ "$status" != 0 ]; then
  keep=1
  echo "tests/fuzz/run.sh: the fuzzer failed (exit $status); inputs and binary kept in $work" >&2
  exit "$status"
fi
echo "tests/fuzz/run.sh: ${FUZZ_RUNS:-200000} runs, no failure"
