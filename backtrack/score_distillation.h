// Score distillation of a one-step generator (Diff-Instruct, Luo et al. 2023;
// DMD, Yin et al. 2024). For generator samples x, noise levels sigma and
// x_t = x + sigma eps, the KL gradient with respect to x is the score
// difference s_fake(x_t) - s_target(x_t) = (D_fake - D_target) / sigma^2,
// where D_fake is fitted to the generator's own samples.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "nn/denoiser.h"

namespace disback {

struct ScoreDistillationOptions {
  /// "diff-instruct": direction D_fake - D_target (the score difference
  /// weighted by sigma^2); "dmd": the same divided per sample by
  /// mean|x - D_target| (DMD's normalised gradient, Eq. 8).
  std::string objective = "diff-instruct";
  /// "lognormal": ln sigma ~ N(P_mean, P_std^2) (EDM); "karras": uniform
  /// over a grid of `grid_size` levels spaced as EDM's sampler steps.
  std::string sigma_sampling = "lognormal";
  double P_mean = -1.2, P_std = 1.2;
  double sigma_min = 0.002, sigma_max = 80.0, rho = 7.0;
  int64_t grid_size = 1000;

  nlohmann::json to_json() const;
  void validate() const;
};

/// Noise levels [n] for the distillation losses.
torch::Tensor sample_distillation_sigmas(int64_t n, const ScoreDistillationOptions& options);

/// The gradient direction for samples x (no autograd): positive along the
/// direction the loss increases, so x moves by -direction.
torch::Tensor distillation_direction(const torch::Tensor& x, Denoiser& fake, Denoiser& target,
                                     const torch::Tensor& class_labels,
                                     const ScoreDistillationOptions& options);

/// The surrogate loss 0.5 mean((x - sg(x - direction))^2), whose gradient
/// with respect to x is direction / numel: backpropagating it through the
/// generator applies the score-difference update to its weights.
torch::Tensor generator_surrogate_loss(const torch::Tensor& x, const torch::Tensor& direction);

/// Mean squared difference between the fake and target denoisers on fixed
/// noisy samples: small when the generator has caught up with the target.
double score_discrepancy(Denoiser& fake, Denoiser& target, const torch::Tensor& x_noisy,
                         const torch::Tensor& sigma, const torch::Tensor& class_labels);

}  // namespace disback
