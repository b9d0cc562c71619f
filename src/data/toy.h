// 2-D toy distributions with known structure, for fast end-to-end checks of
// the whole pipeline, and a distance between point clouds.
#pragma once

#include <torch/torch.h>

namespace disback {

/// A mixture of `modes` isotropic Gaussians (std `spread`) with centres
/// evenly spaced on a circle of `radius`.
struct GaussianMixture2d {
  int64_t modes = 8;
  double radius = 1.0;
  double spread = 0.05;
  torch::Tensor sample(int64_t count, torch::Generator generator = {}) const;
  torch::Tensor centres() const;
};

/// Sliced Wasserstein-1 distance between point clouds a [N, D] and b [M, D]
/// over `projections` random directions (seeded; N and M may differ).
double sliced_wasserstein(const torch::Tensor& a, const torch::Tensor& b, int64_t projections = 256,
                          uint64_t seed = 0);

}  // namespace disback
