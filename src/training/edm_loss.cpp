#include "training/edm_loss.h"

#include "common/error.h"

namespace disback {

torch::Tensor edm_loss(Denoiser& denoiser, const torch::Tensor& y, const torch::Tensor& labels,
                       const EdmLossOptions& options) {
  const double sd = denoiser.sigma_data();
  const torch::Tensor sigma =
      (torch::randn({y.size(0)}, y.options()) * options.P_std + options.P_mean).exp();
  std::vector<int64_t> broadcast(y.dim(), 1);
  broadcast[0] = y.size(0);
  const torch::Tensor s = sigma.reshape(broadcast);
  const torch::Tensor weight = (s.square() + sd * sd) / (s * sd).square();
  const torch::Tensor noisy = y + torch::randn_like(y) * s;
  const torch::Tensor denoised = denoiser.forward(noisy, sigma, labels);
  return (weight * (denoised - y).square()).mean();
}

void check_finite(const torch::Tensor& loss, const std::string& what, int64_t iteration) {
  const double value = loss.item<double>();
  DISBACK_CHECK(std::isfinite(value), what, " became ", value, " at iteration ", iteration,
                "; stopping (checkpoints written so far are kept). Lower the learning rate ",
                "or enable gradient clipping.");
}

}  // namespace disback
