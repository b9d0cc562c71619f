#!/usr/bin/env bash
# Configures and builds disback into build/ (Release, Ninja, tests and the
# Python module included).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)"
