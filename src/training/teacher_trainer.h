// Trains a teacher denoiser from scratch with the EDM loss.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "common/run_dir.h"
#include "nn/denoiser.h"
#include "training/edm_loss.h"

namespace disback {

struct TeacherTrainOptions {
  int64_t iterations = 8000;
  int64_t batch_size = 128;
  double learning_rate = 1e-3;
  int64_t warmup_iterations = 200;  // linear learning-rate warm-up
  double ema_half_life_samples = 50000;
  double grad_clip = 1.0;           // max global gradient norm; 0 disables
  int64_t checkpoint_every = 1000;  // snapshot of the EMA weights
  int64_t log_every = 50;           // metrics.jsonl cadence
  bool conditional = false;         // train with class labels
  uint64_t seed = 0;
  EdmLossOptions loss;

  nlohmann::json to_json() const;
};

/// Trains `denoiser` on `images` [N, ...] (labels [N] integer, used when
/// conditional), writing snapshots and metrics into `run`. Returns the EMA
/// weights, also saved as teacher.h5 in the run folder.
DenoiserPtr train_teacher(const DenoiserPtr& denoiser, const torch::Tensor& images,
                          const torch::Tensor& labels, const TeacherTrainOptions& options,
                          const RunDir& run);

}  // namespace disback
