// The EDM training loss (Karras et al. 2022, Eq. 2 and Table 1): noise levels
// ln(sigma) ~ N(P_mean, P_std^2), loss weight
// lambda(sigma) = (sigma^2 + sd^2) / (sigma sd)^2, which gives every noise
// level unit effective weight under the EDM preconditioning.
#pragma once

#include <torch/torch.h>

#include "nn/denoiser.h"

namespace disback {

struct EdmLossOptions {
  double P_mean = -1.2;
  double P_std = 1.2;
};

/// Mean weighted denoising loss of `denoiser` on clean samples `y`
/// (labels [N, label_dim] or undefined).
torch::Tensor edm_loss(Denoiser& denoiser, const torch::Tensor& y, const torch::Tensor& labels,
                       const EdmLossOptions& options = {});

/// Raises an error naming `what` and the iteration when `loss` is NaN or
/// infinite, so a diverged run stops before it overwrites good checkpoints.
void check_finite(const torch::Tensor& loss, const std::string& what, int64_t iteration);

}  // namespace disback
