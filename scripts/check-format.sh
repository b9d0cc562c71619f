#!/usr/bin/env bash
# Fails if a C++ file differs from what clang-format (.clang-format) makes of it.
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files '*.cpp' '*.h' 2>/dev/null || find src degradation backtrack samplers python tests -name '*.cpp' -o -name '*.h')
clang-format --dry-run -Werror $files
echo "check-format: $(echo "$files" | wc -w) files formatted"
