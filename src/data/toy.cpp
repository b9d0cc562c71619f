#include "data/toy.h"

#include <cmath>

#include "common/error.h"

namespace disback {

torch::Tensor GaussianMixture2d::centres() const {
  auto angles = torch::arange(modes, torch::kFloat32) * (2 * M_PI / double(modes));
  return torch::stack({angles.cos(), angles.sin()}, 1) * radius;
}

torch::Tensor GaussianMixture2d::sample(int64_t count, torch::Generator generator) const {
  auto which = torch::randint(modes, {count}, generator, torch::kInt64);
  auto noise = torch::randn({count, 2}, generator, torch::kFloat32) * spread;
  return centres().index_select(0, which) + noise;
}

double sliced_wasserstein(const torch::Tensor& a_in, const torch::Tensor& b_in, int64_t projections,
                          uint64_t seed) {
  DISBACK_CHECK(a_in.dim() == 2 && b_in.dim() == 2 && a_in.size(1) == b_in.size(1),
                "sliced Wasserstein needs [N, D] and [M, D] point clouds, got ", a_in.sizes(),
                " and ", b_in.sizes());
  torch::NoGradGuard no_grad;
  const auto a = a_in.to(torch::kCPU, torch::kFloat64), b = b_in.to(torch::kCPU, torch::kFloat64);
  auto generator = at::detail::createCPUGenerator(seed);
  auto directions = torch::randn({a.size(1), projections}, generator, torch::kFloat64);
  directions = directions / directions.norm(2, 0, true);
  // Compare the sorted projections at common quantiles.
  const int64_t quantiles = std::max(a.size(0), b.size(0));
  auto levels = (torch::arange(quantiles, torch::kFloat64) + 0.5) / double(quantiles);
  auto quantile_of = [&](const torch::Tensor& points) {
    auto sorted = std::get<0>(torch::matmul(points, directions).sort(0));
    auto index = (levels * double(points.size(0))).floor().to(torch::kInt64);
    return sorted.index_select(0, index);
  };
  return (quantile_of(a) - quantile_of(b)).abs().mean().item<double>();
}

}  // namespace disback
