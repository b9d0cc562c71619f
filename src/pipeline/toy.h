// DisBack on a 2-D mixture of Gaussians: a problem small enough to run the
// whole method in seconds, with the sliced Wasserstein distance to fresh
// data as its quality measure (lower is better).
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "backtrack/backtracker.h"
#include "data/toy.h"
#include "degradation/recorder.h"
#include "training/teacher_trainer.h"

namespace disback {

struct ToyOptions {
  GaussianMixture2d data;
  int64_t teacher_iterations = 3000;
  int64_t teacher_batch = 256;
  double teacher_lr = 2e-3;
  double sigma_init = 2.5;
  DegradationOptions degradation;  // defaults: default_study_config("toy")
  BacktrackOptions backtrack;
  int64_t eval_every = 100;
  int64_t eval_samples = 4000;
  uint64_t seed = 0;
};

/// Settings that converge in seconds on a CPU.
ToyOptions toy_defaults();

/// The toy's options from a study config (see default_study_config).
ToyOptions toy_options(const nlohmann::json& study_config, uint64_t seed = 0);

/// Trains an MLP teacher on the mixture (no files written).
DenoiserPtr train_toy_teacher(const ToyOptions& options);

/// The sliced Wasserstein distance of a generator's samples to fresh data.
double toy_distance(const OneStepGenerator& generator, const ToyOptions& options);

struct ToyCurve {
  std::vector<int64_t> iterations;  // 0 = the initial generator
  std::vector<double> distance;
  std::vector<int64_t> switches;  // iterations at which the target moved
};

/// Runs `backtracker` to its end, reading `quality` of its EMA generator at
/// the start, every `eval_every` iterations and at the last iteration.
ToyCurve trace_quality(Backtracker& backtracker, int64_t eval_every,
                       const std::function<double(const OneStepGenerator&)>& quality);

/// Distils a one-step generator from `teacher`: DisBack when `path_file` is
/// given (recorded first if it does not exist), else the baseline.
ToyCurve distill_toy(const Denoiser& teacher, const std::optional<std::string>& path_file,
                     const ToyOptions& options);

}  // namespace disback
