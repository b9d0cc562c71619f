#!/usr/bin/env bash
# The main job from a fresh clone: install, build, then run the whole DisBack
# pipeline on Fashion-MNIST (16x16) with the built-in default configuration.
# Extra arguments go to 'disback run' (e.g. a config file).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
exec ./build/disback run "$@"
