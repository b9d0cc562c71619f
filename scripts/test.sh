#!/usr/bin/env bash
# Every check from a fresh clone: install, build, check the format, run all
# tests (GoogleTest and pytest, through ctest).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
scripts/check-format.sh
cd build
ctest --output-on-failure -j 2 --timeout 900
