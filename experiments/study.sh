#!/bin/bash
# Runs the convergence studies of experiments/README.md: DisBack against the
# plain baseline, one folder per config in experiments/results/, each with
# curves.jsonl, summary.json, table.md and curves.png.
#
# usage: experiments/study.sh [NAME ...]
#   NAME: a config experiments/configs/study_NAME.json (default: all of them);
#   names starting with "toy" are the 2-D problem, the others Fashion-MNIST.
#   THREADS (default 1) sets LibTorch's threads per run.
set -euo pipefail
cd "$(dirname "$0")/.."
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for config in experiments/configs/study_*.json; do
    name=$(basename "$config" .json)
    names+=("${name#study_}")
  done
fi
for name in "${names[@]}"; do
  config=experiments/configs/study_$name.json
  [ -f "$config" ] || { echo "study.sh: no config '$config'" >&2; exit 2; }
  problem=fmnist
  [[ $name == toy* ]] && problem=toy
  out=experiments/results/$name
  mkdir -p "$out"
  build/disback study --problem "$problem" --config "$config" --out "$out" \
    --threads "${THREADS:-1}" 2>&1 | tee "$out/log.txt"
  /usr/bin/python3 experiments/plot_study.py "$out"
done
