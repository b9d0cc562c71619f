#include <gtest/gtest.h>

#include <cmath>

#include "nn/denoiser.h"

namespace disback {
namespace {

TEST(EdmPreconditioning, MatchesTheClosedForms) {
  const double sd = 0.5;
  for (double s : {0.002, 0.5, 2.5, 80.0}) {
    const auto c = edm_preconditioning(torch::tensor({s}, torch::kFloat64), sd);
    const double norm = std::sqrt(s * s + sd * sd);
    EXPECT_NEAR(c.c_skip.item<double>(), sd * sd / (s * s + sd * sd), 1e-12) << "sigma " << s;
    EXPECT_NEAR(c.c_out.item<double>(), s * sd / norm, 1e-12) << "sigma " << s;
    EXPECT_NEAR(c.c_in.item<double>(), 1 / norm, 1e-12) << "sigma " << s;
    EXPECT_NEAR(c.c_noise.item<double>(), std::log(s) / 4, 1e-12) << "sigma " << s;
  }
}

TEST(EdmPreconditioning, UnitVarianceTargetsAndSkipLimits) {
  // c_skip -> 1 as sigma -> 0 (D passes x through); c_skip -> 0 for large sigma.
  const auto tiny = edm_preconditioning(torch::tensor({1e-4}, torch::kFloat64), 0.5);
  const auto huge = edm_preconditioning(torch::tensor({1e4}, torch::kFloat64), 0.5);
  EXPECT_NEAR(tiny.c_skip.item<double>(), 1.0, 1e-6);
  EXPECT_NEAR(huge.c_skip.item<double>(), 0.0, 1e-6);
  EXPECT_NEAR(huge.c_out.item<double>(), 0.5, 1e-6);
}

TEST(Denoiser, CloneIsDeepAndEqual) {
  torch::manual_seed(0);
  Denoiser original({{"model_type", "MlpNet"}, {"img_channels", 2}, {"hidden", 16}});
  original.eval();
  auto copy = original.clone();
  const auto x = torch::randn({4, 2});
  const auto sigma = torch::full({4}, 1.0);
  EXPECT_TRUE(torch::equal(original.forward(x, sigma), copy->forward(x, sigma)));
  {
    torch::NoGradGuard no_grad;
    for (auto& p : copy->parameters()) p.add_(1.0);
  }
  EXPECT_FALSE(torch::equal(original.forward(x, sigma), copy->forward(x, sigma)));
}

TEST(Denoiser, RejectsWrongInputRank) {
  Denoiser denoiser({{"model_type", "MlpNet"}, {"img_channels", 2}});
  EXPECT_THROW(denoiser.forward(torch::randn({4, 2, 3}), torch::ones({4})), std::exception);
}

}  // namespace
}  // namespace disback
