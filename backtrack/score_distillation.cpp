#include "backtrack/score_distillation.h"

#include <cmath>

#include "common/error.h"

namespace disback {

nlohmann::json ScoreDistillationOptions::to_json() const {
  return {{"objective", objective},
          {"sigma_sampling", sigma_sampling},
          {"P_mean", P_mean},
          {"P_std", P_std},
          {"sigma_min", sigma_min},
          {"sigma_max", sigma_max},
          {"rho", rho},
          {"grid_size", grid_size}};
}

void ScoreDistillationOptions::validate() const {
  DISBACK_CHECK(objective == "diff-instruct" || objective == "dmd",
                "backtrack.objective: expected diff-instruct or dmd, got '", objective, "'");
  DISBACK_CHECK(sigma_sampling == "lognormal" || sigma_sampling == "karras",
                "backtrack.sigma_sampling: expected lognormal or karras, got '", sigma_sampling,
                "'");
  DISBACK_CHECK(sigma_min > 0 && sigma_max > sigma_min, "expected 0 < sigma_min < sigma_max, got ",
                sigma_min, " and ", sigma_max);
  DISBACK_CHECK(grid_size >= 2, "expected a Karras grid of >= 2 levels, got ", grid_size);
}

torch::Tensor sample_distillation_sigmas(int64_t n, const ScoreDistillationOptions& options) {
  if (options.sigma_sampling == "lognormal") {
    return (torch::randn({n}) * options.P_std + options.P_mean).exp();
  }
  // sigma_i = (sigma_max^(1/rho) + i/(M-1) (sigma_min^(1/rho) - sigma_max^(1/rho)))^rho
  const auto index = torch::randint(options.grid_size, {n}, torch::kFloat64);
  const double hi = std::pow(options.sigma_max, 1 / options.rho);
  const double lo = std::pow(options.sigma_min, 1 / options.rho);
  return (hi + index / double(options.grid_size - 1) * (lo - hi))
      .pow(options.rho)
      .to(torch::kFloat32);
}

torch::Tensor distillation_direction(const torch::Tensor& x_in, Denoiser& fake, Denoiser& target,
                                     const torch::Tensor& class_labels,
                                     const ScoreDistillationOptions& options) {
  torch::NoGradGuard no_grad;
  const torch::Tensor x = x_in.detach();
  const torch::Tensor sigma = sample_distillation_sigmas(x.size(0), options).to(x.device());
  std::vector<int64_t> broadcast(x.dim(), 1);
  broadcast[0] = x.size(0);
  const torch::Tensor x_t = x + torch::randn_like(x) * sigma.reshape(broadcast);
  const torch::Tensor D_fake = fake.forward(x_t, sigma, class_labels);
  const torch::Tensor D_target = target.forward(x_t, sigma, class_labels);
  torch::Tensor direction = D_fake - D_target;
  if (options.objective == "dmd") {
    std::vector<int64_t> sample_dims;
    for (int64_t d = 1; d < x.dim(); ++d) sample_dims.push_back(d);
    const torch::Tensor scale = (x - D_target).abs().mean(sample_dims, /*keepdim=*/true);
    direction = direction / scale.clamp_min(1e-8);
  }
  return torch::nan_to_num(direction);
}

torch::Tensor generator_surrogate_loss(const torch::Tensor& x, const torch::Tensor& direction) {
  return 0.5 * (x - (x - direction).detach()).square().mean();
}

double score_discrepancy(Denoiser& fake, Denoiser& target, const torch::Tensor& x_noisy,
                         const torch::Tensor& sigma, const torch::Tensor& class_labels) {
  torch::NoGradGuard no_grad;
  return (fake.forward(x_noisy, sigma, class_labels) - target.forward(x_noisy, sigma, class_labels))
      .square()
      .mean()
      .item<double>();
}

}  // namespace disback
