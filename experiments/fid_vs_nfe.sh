#!/usr/bin/env bash
# FID versus the number of network evaluations (NFE) for every sampler of the
# family on the Fashion-MNIST teacher. Each configuration draws COUNT samples
# with 'disback sample' (same seed, so all samplers start from the same
# latents) and scores them with 'disback eval' against training-set
# statistics. Writes experiments/results/fid_vs_nfe.{md,png,csv}.
#
# Environment (defaults in brackets):
#   DISBACK   the program                        [./build/disback]
#   TEACHER   teacher model file                 [models/fmnist16_teacher.h5, else the newest
#                                                 runs/*-teacher/teacher-snapshot.h5]
#   DETECTOR  FID feature network                [models/fmnist_classifier.h5]
#   REF       reference statistics               [computed from fashion-mnist:train with
#                                                 this DISBACK and DETECTOR, ~1-2 min]
#   COUNT     samples per configuration          [2000]
#   THREADS   LibTorch threads                   [2]
#   SEED      latent seed                        [0]
#   GRID      full: 1-35 NFE, 24 configurations (316 NFE per sample in all);
#             small: 1-17 NFE, 12 configurations (63 NFE per sample)  [full]
#
# Cost: COUNT x (total NFE) network evaluations, plus the FID features. The
# full grid at COUNT=2000 is ~630k sample evaluations: allow an hour or more on
# two busy CPU cores; GRID=small COUNT=1000 takes about a tenth of that.
set -euo pipefail
cd "$(dirname "$0")/.."

DISBACK=${DISBACK:-./build/disback}
COUNT=${COUNT:-2000}
THREADS=${THREADS:-2}
SEED=${SEED:-0}
DETECTOR=${DETECTOR:-models/fmnist_classifier.h5}
WORK=runs/fid_vs_nfe
OUT=experiments/results
mkdir -p "$WORK" "$OUT"

if [[ -z "${TEACHER:-}" ]]; then
  TEACHER=models/fmnist16_teacher.h5
  if [[ ! -f "$TEACHER" ]]; then
    TEACHER=$(ls -t runs/*-teacher/teacher-snapshot.h5 2>/dev/null | head -n 1 || true)
    echo "fid_vs_nfe: models/fmnist16_teacher.h5 missing; using the snapshot '$TEACHER'" >&2
  fi
fi
[[ -f "$TEACHER" ]] || { echo "fid_vs_nfe: no teacher model (set TEACHER)" >&2; exit 1; }
# A training run rewrites its snapshot: every configuration must see the same weights.
cp "$TEACHER" "$WORK/teacher.h5"
TEACHER_NAME=$(basename "$TEACHER")
TEACHER=$WORK/teacher.h5
[[ -x "$DISBACK" ]] || { echo "fid_vs_nfe: '$DISBACK' is not built" >&2; exit 1; }
"$DISBACK" --help | grep -q '^  eval ' || { echo "fid_vs_nfe: '$DISBACK' has no eval" >&2; exit 1; }
[[ -f "$DETECTOR" ]] || { echo "fid_vs_nfe: detector '$DETECTOR' missing (disback train-classifier)" >&2; exit 1; }

# Statistics from another build or detector give meaningless distances (a real test set
# scored FID 510 against one), so by default the reference is made by this very program.
if [[ -z "${REF:-}" ]]; then
  REF=$WORK/fmnist16_train_stats.h5
  "$DISBACK" stats fashion-mnist:train --output "$REF" --detector "$DETECTOR" \
    --threads "$THREADS" --quiet
fi

# label sampler steps [extra flags]; NFE = steps, 2 steps - 1 (heun, edm-stochastic) or 1 (onestep).
CONFIGS=(
  "onestep onestep 1"
  "euler euler 1" "euler euler 2" "euler euler 4" "euler euler 8" "euler euler 16"
  "euler euler 32"
  "heun heun 2" "heun heun 3" "heun heun 5" "heun heun 9" "heun heun 18"
  "dpmpp-2m dpmpp-2m 2" "dpmpp-2m dpmpp-2m 4" "dpmpp-2m dpmpp-2m 8" "dpmpp-2m dpmpp-2m 16"
  "dpmpp-2m dpmpp-2m 32"
  "ddim-eta1 ddim 4 --eta 1" "ddim-eta1 ddim 8 --eta 1" "ddim-eta1 ddim 16 --eta 1"
  "ddim-eta1 ddim 32 --eta 1"
  "edm-stochastic edm-stochastic 5" "edm-stochastic edm-stochastic 9"
  "edm-stochastic edm-stochastic 18"
)
if [[ "${GRID:-full}" == small ]]; then
  CONFIGS=(
    "onestep onestep 1"
    "euler euler 2" "euler euler 4" "euler euler 8"
    "heun heun 2" "heun heun 3" "heun heun 5"
    "dpmpp-2m dpmpp-2m 2" "dpmpp-2m dpmpp-2m 4" "dpmpp-2m dpmpp-2m 8"
    "ddim-eta1 ddim 8 --eta 1"
    "edm-stochastic edm-stochastic 5"
  )
fi

RECORDS=$WORK/records.tsv
printf 'label\tsampler\tsteps\tnfe\tsample_seconds\teval_json\n' > "$RECORDS"
for config in "${CONFIGS[@]}"; do
  read -r label sampler steps extra <<< "$config"
  samples=$WORK/${label}_${steps}.h5
  result=$WORK/${label}_${steps}.json
  # shellcheck disable=SC2086  # extra holds flags
  line=$("$DISBACK" sample --model "$TEACHER" --sampler "$sampler" --steps "$steps" $extra \
    --count "$COUNT" --seed "$SEED" --h5 "$samples" --threads "$THREADS" --quiet)
  nfe=$(grep -o 'NFE [0-9]*' <<< "$line" | cut -d' ' -f2)
  seconds=$(grep -o 'time [0-9.e+-]*' <<< "$line" | cut -d' ' -f2)
  "$DISBACK" eval "$samples" --ref "$REF" --detector "$DETECTOR" --num "$COUNT" --no-pr \
    --kid-subsets 20 --output "$result" --threads "$THREADS" --quiet > /dev/null
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$sampler" "$steps" "$nfe" "$seconds" "$result" \
    >> "$RECORDS"
  echo "fid_vs_nfe: $label steps $steps NFE $nfe: $(grep -o '"fid": [0-9.]*' "$result")"
  rm -f "$samples"
done

# The floor: real test images, as many as the samples, scored the same way (NFE 0).
"$DISBACK" eval fashion-mnist:test --ref "$REF" --detector "$DETECTOR" --num "$COUNT" --no-pr \
  --kid-subsets 20 --output "$WORK/real-test.json" --threads "$THREADS" --quiet > /dev/null
printf 'real-test\treal\t0\t0\t0\t%s\n' "$WORK/real-test.json" >> "$RECORDS"

/usr/bin/python3 experiments/plot_fid_vs_nfe.py "$RECORDS" "$OUT/fid_vs_nfe" \
  --title "Fashion-MNIST 16px teacher ($TEACHER_NAME), $COUNT samples"
