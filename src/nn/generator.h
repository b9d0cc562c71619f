// The one-step generator of DisBack: a denoiser evaluated at one fixed noise
// level, G(z) = D(sigma_init * z; sigma_init) with z ~ N(0, I). Initialised
// from the teacher, G_0 is the teacher's one-step guess from pure noise.
#pragma once

#include "nn/denoiser.h"

namespace disback {

struct OneStepGenerator {
  DenoiserPtr network;
  double sigma_init = 2.5;

  /// Samples [N, ...] from latents z [N, ...] (labels as for the denoiser).
  torch::Tensor operator()(const torch::Tensor& z, const torch::Tensor& class_labels = {}) const {
    return network->forward(z * sigma_init, torch::full({z.size(0)}, sigma_init, z.options()),
                            class_labels);
  }
};

}  // namespace disback
