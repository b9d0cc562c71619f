// One suite over every sampler of the family, on a problem with a known
// answer: data y ~ N(mu, s^2 I) has the exact denoiser
//   D(x; sigma) = (s^2 x + sigma^2 mu) / (s^2 + sigma^2),
// and the probability-flow ODE maps x_T = sigma_max z to
//   mu + s / sqrt(s^2 + sigma_max^2) (x_T - mu).
// Plus the golden test: Heun and Euler with the reference network.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <ostream>
#include <string>
#include <vector>

#include "common/error.h"
#include "io/hdf5_file.h"
#include "nn/model_file.h"
#include "samplers/generate.h"
#include "samplers/sampler.h"

namespace disback {
namespace {

constexpr double kMu = 0.3;
constexpr double kStd = 0.5;

torch::Tensor gaussian_denoiser(const torch::Tensor& x, const torch::Tensor& sigma,
                                const torch::Tensor&) {
  std::vector<int64_t> shape(x.dim(), 1);
  shape[0] = x.size(0);
  const torch::Tensor sigma2 = sigma.to(torch::kFloat64).reshape(shape).square();
  return (kStd * kStd * x.to(torch::kFloat64) + sigma2 * kMu) / (kStd * kStd + sigma2);
}

// The probability-flow ODE solution from x_T = sigma_max z down to sigma = 0.
torch::Tensor exact_ode_solution(const torch::Tensor& z, double sigma_max) {
  const torch::Tensor x_T = z.to(torch::kFloat64) * sigma_max;
  return kMu + kStd / std::sqrt(kStd * kStd + sigma_max * sigma_max) * (x_T - kMu);
}

// What a perfect solver on the EDM schedule returns: the exact ODE solution
// down to sigma_min, then the last step to t_N = 0, which every sampler takes
// as x = D(x; sigma_min). It differs from the sigma = 0 solution by a factor
// s / sqrt(s^2 + sigma_min^2) on (x - mu), about 1e-5 here.
torch::Tensor exact_schedule_solution(const torch::Tensor& z, const SamplerOptions& options) {
  const double s2 = kStd * kStd;
  const double scale = std::sqrt((s2 + options.sigma_min * options.sigma_min) /
                                 (s2 + options.sigma_max * options.sigma_max));
  const torch::Tensor x_min = kMu + scale * (z.to(torch::kFloat64) * options.sigma_max - kMu);
  return gaussian_denoiser(x_min, torch::full({z.size(0)}, options.sigma_min), {});
}

enum class Kind { kOde, kStochastic, kOneStep };

struct SamplerCase {
  std::string label;  // test-name suffix
  std::string name;   // make_sampler name
  SamplerOptions options;
  Kind kind;
  bool corrector;  // a second evaluation on every step but the last
  int order;       // convergence order of an ODE solver
};

// gtest prints the label of a failing case instead of its bytes.
void PrintTo(const SamplerCase& c, std::ostream* out) { *out << c.label; }

std::vector<SamplerCase> sampler_cases() {
  return {
      {"heun", "heun", SamplerOptions(), Kind::kOde, true, 2},
      {"euler", "euler", SamplerOptions(), Kind::kOde, false, 1},
      {"edm_stochastic", "edm-stochastic", SamplerOptions(), Kind::kStochastic, true, 0},
      {"ddim", "ddim", SamplerOptions(), Kind::kOde, false, 1},
      {"ddim_eta1", "ddim", SamplerOptions().with_eta(1), Kind::kStochastic, false, 0},
      {"dpmpp_2m", "dpmpp-2m", SamplerOptions(), Kind::kOde, false, 2},
      {"onestep", "onestep", SamplerOptions(), Kind::kOneStep, false, 0},
  };
}

int64_t expected_nfe(const SamplerCase& c, int64_t steps) {
  if (c.kind == Kind::kOneStep) return 1;
  return c.corrector ? 2 * steps - 1 : steps;
}

class SamplerFamily : public ::testing::TestWithParam<SamplerCase> {
 protected:
  void SetUp() override { torch::manual_seed(0); }

  SamplerPtr sampler(int64_t steps) const {
    SamplerOptions options = GetParam().options;
    return make_sampler(GetParam().name, options.with_num_steps(steps));
  }

  static GenerateOptions generate_options(int64_t count, int64_t batch, uint64_t seed) {
    GenerateOptions options;
    options.count = count;
    options.batch_size = batch;
    options.seed = seed;
    options.progress = false;
    return options;
  }
};

TEST_P(SamplerFamily, ProducesFiniteFloat32SamplesShapedLikeTheLatents) {
  const auto result = sampler(6)->sample(gaussian_denoiser, torch::randn({5, 2, 3}));
  EXPECT_EQ(result.samples.sizes(), c10::IntArrayRef({5, 2, 3}));
  EXPECT_EQ(result.samples.scalar_type(), torch::kFloat32);
  EXPECT_TRUE(torch::isfinite(result.samples).all().item<bool>());
}

TEST_P(SamplerFamily, IsReproducibleFromASeed) {
  const SamplerPtr s = sampler(6);
  const auto a = generate_samples(*s, gaussian_denoiser, {4}, 0, generate_options(9, 4, 7));
  const auto b = generate_samples(*s, gaussian_denoiser, {4}, 0, generate_options(9, 4, 7));
  const auto c = generate_samples(*s, gaussian_denoiser, {4}, 0, generate_options(9, 4, 8));
  EXPECT_TRUE(torch::equal(a.images, b.images));
  EXPECT_FALSE(torch::equal(a.images, c.images));
}

TEST_P(SamplerFamily, DoesNotDependOnTheBatchSize) {
  const SamplerPtr s = sampler(6);
  const auto whole =
      generate_samples(*s, gaussian_denoiser, {3, 2}, 0, generate_options(10, 10, 3));
  const auto split = generate_samples(*s, gaussian_denoiser, {3, 2}, 0, generate_options(10, 3, 3));
  const double error = (whole.images - split.images).abs().max().item<double>();
  const double tolerance = 1e-6;
  std::printf("[ %-14s ] batch 10 vs 3: max difference %.3g (tolerance %.1g)\n",
              GetParam().label.c_str(), error, tolerance);
  EXPECT_LE(error, tolerance);
}

TEST_P(SamplerFamily, CountsItsNetworkEvaluations) {
  for (int64_t steps : {1, 2, 7}) {
    int64_t calls = 0;
    const DenoiseFn counting = [&](const torch::Tensor& x, const torch::Tensor& sigma,
                                   const torch::Tensor& labels) {
      ++calls;
      return gaussian_denoiser(x, sigma, labels);
    };
    const SamplerPtr s = sampler(steps);
    const auto result = s->sample(counting, torch::randn({2, 3}));
    EXPECT_EQ(result.nfe, expected_nfe(GetParam(), steps)) << "steps " << steps;
    EXPECT_EQ(result.nfe, s->nfe()) << "steps " << steps;
    EXPECT_EQ(result.nfe, calls) << "steps " << steps;
  }
}

TEST_P(SamplerFamily, ConvergesToTheExactOdeSolution) {
  const SamplerCase& c = GetParam();
  if (c.kind != Kind::kOde) GTEST_SKIP() << "not an ODE solver";
  const torch::Tensor z = torch::randn({64, 4}, torch::kFloat64);
  const SamplerOptions defaults;
  const torch::Tensor exact = exact_schedule_solution(z, defaults);
  const double truncation =
      (exact - exact_ode_solution(z, defaults.sigma_max)).abs().max().item<double>();
  std::printf("[ %-14s ] schedule end vs sigma = 0 solution: %.3e\n", c.label.c_str(), truncation);

  // sigma_max / s = 160 makes the first steps stiff; the asymptotic order shows from ~8 steps.
  std::vector<double> errors;
  for (int64_t steps = 8; steps <= 1024; steps *= 2) {
    const auto result = sampler(steps)->sample(gaussian_denoiser, z);
    errors.push_back((result.samples.to(torch::kFloat64) - exact).abs().max().item<double>());
    std::printf("[ %-14s ] %4lld steps (%4lld NFE): max error %.3e\n", c.label.c_str(),
                static_cast<long long>(steps), static_cast<long long>(result.nfe), errors.back());
    if (errors.size() > 1) EXPECT_LT(errors.back(), errors[errors.size() - 2]) << "steps " << steps;
  }
  const double order = std::log2(errors[errors.size() - 2] / errors.back());
  const double tolerance = c.order == 1 ? 1e-2 : 1e-4;
  std::printf("[ %-14s ] final error %.3e (tolerance %.0e), observed order %.2f (expected %d)\n",
              c.label.c_str(), errors.back(), tolerance, order, c.order);
  EXPECT_LT(errors.back(), tolerance);
  EXPECT_GT(order, c.order - 0.3);
}

TEST_P(SamplerFamily, MatchesTheTargetMeanAndStd) {
  const SamplerCase& c = GetParam();
  if (c.kind == Kind::kOneStep) GTEST_SKIP() << "a one-step denoiser is no sampler";
  const int64_t count = 8000, dims = 4, steps = 256;
  const auto out = sampler(steps)->sample(gaussian_denoiser, torch::randn({count, dims}));
  const double mean = out.samples.mean().item<double>();
  const double std = out.samples.std().item<double>();
  // Five standard errors of the sample mean and std, plus a discretisation bias of 1%.
  const double n = double(count * dims);
  const double mean_tolerance = 5 * kStd / std::sqrt(n) + 5e-3;
  const double std_tolerance = 5 * kStd / std::sqrt(2 * n) + 5e-3;
  std::printf(
      "[ %-14s ] %lld steps: mean %.4f (target %.2f, tolerance %.4f), std %.4f (target "
      "%.2f, tolerance %.4f)\n",
      c.label.c_str(), static_cast<long long>(steps), mean, kMu, mean_tolerance, std, kStd,
      std_tolerance);
  EXPECT_NEAR(mean, kMu, mean_tolerance);
  EXPECT_NEAR(std, kStd, std_tolerance);
}

INSTANTIATE_TEST_SUITE_P(AllSamplers, SamplerFamily, ::testing::ValuesIn(sampler_cases()),
                         [](const auto& info) { return info.param.label; });

TEST(OneStepSampler, IsTheGeneratorFormula) {
  const torch::Tensor z = torch::randn({8, 3}, torch::kFloat64);
  const double sigma_init = 2.5;
  const auto result = make_sampler("onestep", SamplerOptions().with_sigma_init(sigma_init))
                          ->sample(gaussian_denoiser, z);
  const torch::Tensor expected =
      gaussian_denoiser(z * sigma_init, torch::full({8}, sigma_init), {});
  const double error = (result.samples.to(torch::kFloat64) - expected).abs().max().item<double>();
  std::printf("onestep vs D(sigma_init z; sigma_init): max error %.3g (tolerance 1e-6)\n", error);
  EXPECT_LE(error, 1e-6);
}

TEST(EdmTimeSteps, RunFromSigmaMaxToSigmaMinThenZero) {
  const auto t = edm_time_steps(SamplerOptions().with_num_steps(8));
  ASSERT_EQ(t.size(), 9u);
  EXPECT_DOUBLE_EQ(t[0], 80.0);
  EXPECT_NEAR(t[7], 0.002, 1e-12);
  EXPECT_EQ(t[8], 0.0);
  for (size_t i = 1; i < t.size(); ++i) EXPECT_LT(t[i], t[i - 1]) << "index " << i;
  const auto single = edm_time_steps(SamplerOptions().with_num_steps(1));
  EXPECT_EQ(single, (std::vector<double>{80.0, 0.0}));
}

TEST(MakeSampler, RejectsUnknownNamesListingTheValidOnes) {
  try {
    make_sampler("heunn");
    FAIL() << "expected an error";
  } catch (const Error& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("'heunn'"), std::string::npos) << message;
    for (const auto& name : sampler_names()) {
      EXPECT_NE(message.find(name), std::string::npos) << message;
    }
  }
}

TEST(MakeSampler, RejectsInvalidOptionsNamingTheValue) {
  EXPECT_THROW(make_sampler("heun", SamplerOptions().with_num_steps(0)), Error);
  EXPECT_THROW(make_sampler("heun", SamplerOptions().with_sigma_min(100)), Error);
  EXPECT_THROW(make_sampler("ddim", SamplerOptions().with_eta(-1)), Error);
  EXPECT_THROW(make_sampler("onestep", SamplerOptions().with_sigma_init(0)), Error);
}

TEST(SaveSamplesH5, WritesClampedImagesAndTheSamplerAttributes) {
  const SamplerPtr sampler = make_sampler("onestep");
  GeneratedSamples samples;
  samples.images = torch::tensor({-3.0f, -0.5f, 0.25f, 2.0f}).reshape({1, 1, 2, 2});
  samples.nfe = 1;
  const std::string path = ::testing::TempDir() + "sampler_test_samples.h5";
  save_samples_h5(path, samples, *sampler, 42);
  Hdf5File file(path, Hdf5File::Mode::kRead);
  const torch::Tensor images = file.read("images");
  EXPECT_EQ(images.scalar_type(), torch::kFloat32);
  EXPECT_TRUE(torch::equal(images, samples.images.clamp(-1, 1)));
  EXPECT_EQ(file.attr_string("/", "sampler"), "onestep");
  EXPECT_EQ(file.attr_int("/", "steps"), 1);
  EXPECT_EQ(file.attr_int("/", "nfe"), 1);
  EXPECT_EQ(file.attr_int("/", "seed"), 42);
  std::remove(path.c_str());
}

// Heun and Euler with the golden network against the reference Python sampler.
class GoldenSampler : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenSampler, ReproducesTheReferenceSamples) {
  const std::string path = std::string(DISBACK_TEST_DATA) + "/golden/edm_ddpmpp_uncond_16px.h5";
  const DenoiserPtr denoiser = load_denoiser(path);
  Hdf5File file(path, Hdf5File::Mode::kRead);
  const torch::Tensor latents = file.read("sampler/latents");
  const torch::Tensor expected = file.read("sampler/" + GetParam() + "_8steps").to(torch::kFloat64);
  const auto result = make_sampler(GetParam(), SamplerOptions().with_num_steps(8))
                          ->sample(denoiser_fn(denoiser), latents);
  const double scale = expected.abs().max().item<double>();
  const double error = (result.samples.to(torch::kFloat64) - expected).abs().max().item<double>();
  const double tolerance = 1e-4 * scale;
  std::printf(
      "[ %-5s ] 8 steps, %lld NFE: max error %.3e (tolerance %.3e = 1e-4 x max |ref| %.3f)\n",
      GetParam().c_str(), static_cast<long long>(result.nfe), error, tolerance, scale);
  EXPECT_LE(error, tolerance);
}

INSTANTIATE_TEST_SUITE_P(HeunAndEuler, GoldenSampler, ::testing::Values("heun", "euler"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace disback
