// Backtracking, the second stage of DisBack (Zhang et al., ICLR 2025,
// Sec. 3.3 and Alg. 1): the fake denoiser starts from s_N, the end of the
// degradation path, and the generator is distilled against the targets
// s_{N-1}, s_{N-2}, ..., s_0 = teacher in turn. Each target is close to the
// generator's current distribution, so the score difference that drives
// the generator is an accurate guide all the way.
//
// Without a path the same loop is plain score distillation (the baseline):
// the fake denoiser starts from the teacher and the target is the teacher.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "backtrack/score_distillation.h"
#include "backtrack/switch_rule.h"
#include "degradation/degradation_path.h"
#include "nn/generator.h"
#include "training/edm_loss.h"
#include "training/ema.h"

namespace disback {

struct BacktrackOptions {
  int64_t iterations = 2000;  // generator updates in all, over every target
  int64_t batch_size = 32;
  double generator_lr = 1e-4;
  double fake_lr = 1e-4;
  double beta1 = 0.0, beta2 = 0.99;  // Adam betas of both optimisers
  int64_t fake_updates = 1;          // fake-denoiser updates per generator update
  double ema_half_life = 0;          // generator EMA half-life in samples; 0: off
  double grad_clip = 1.0;            // max gradient norm of both; 0: off
  int64_t holdout_size = 64;         // held-out noise for the discrepancy
  uint64_t seed = 0;
  ScoreDistillationOptions distillation;
  SwitchRuleOptions switching;
  EdmLossOptions fake_loss;

  nlohmann::json to_json() const;
  void validate() const;
};

/// Metrics of one step: iteration, target, generator_loss, fake_loss,
/// direction_norm, and when measured discrepancy and switched (0/1).
using StepMetrics = std::map<std::string, double>;

class Backtracker {
 public:
  /// `path` null: the baseline (target = teacher throughout). The generator
  /// is trained in place.
  Backtracker(const Denoiser& teacher, OneStepGenerator generator,
              std::shared_ptr<const PathReader> path, BacktrackOptions options);

  /// One iteration: `fake_updates` fake-denoiser steps, one generator step,
  /// then the switching rule.
  StepMetrics step();
  bool finished() const { return iteration_ >= options_.iterations; }
  int64_t iteration() const { return iteration_; }

  /// Index of the current target on the path (N-1 .. 0; 0 is the teacher).
  int64_t target_index() const { return target_index_; }
  const Denoiser& target() const { return *target_; }
  const Denoiser& fake() const { return *fake_; }
  /// The generator being trained, and its EMA (the generator itself when
  /// the EMA is off).
  const OneStepGenerator& generator() const { return generator_; }
  OneStepGenerator ema_generator() const;

  /// Fake-versus-target discrepancy on the held-out noise, now.
  double discrepancy();

  /// Everything a resumed run needs: weights, optimiser moments, EMA, RNG
  /// state, target, iteration and the switching rule's reference.
  void save_checkpoint(const std::string& file) const;
  /// Restores a checkpoint written by a run with the same teacher, path
  /// and architecture.
  void load_checkpoint(const std::string& file);

  const BacktrackOptions& options() const { return options_; }

 private:
  double update_fake(const torch::Tensor& labels);
  std::pair<double, double> update_generator(const torch::Tensor& labels);
  void load_target(int64_t k);
  torch::Tensor random_labels(int64_t n) const;

  BacktrackOptions options_;
  std::shared_ptr<const PathReader> path_;
  DenoiserPtr teacher_copy_;  // baseline target source (no path)
  OneStepGenerator generator_;
  DenoiserPtr fake_, target_;
  std::unique_ptr<Ema> ema_;
  std::unique_ptr<torch::optim::Adam> generator_optimizer_, fake_optimizer_;
  SwitchRule switch_rule_;
  int64_t iteration_ = 0, iterations_on_target_ = 0, target_index_ = 0;
  torch::Tensor holdout_z_, holdout_sigma_, holdout_eps_, holdout_labels_;
};

/// Saves a generator as a model file whose metadata carries sigma_init.
void save_generator(const std::string& file, const OneStepGenerator& generator,
                    nlohmann::json metadata = nlohmann::json::object());
/// Loads a generator file (sigma_init from its metadata, or `sigma_init`
/// when the file has none).
OneStepGenerator load_generator(const std::string& file, std::optional<double> sigma_init = {});

}  // namespace disback
