// FID, KID and precision/recall against the reference vectors in
// data/golden/fid_reference.h5 (computed in float64 by the Python tools).
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/log.h"
#include "io/hdf5_file.h"
#include "metrics/distances.h"
#include "metrics/feature_statistics.h"

namespace disback {
namespace {

const std::string kGolden = std::string(DISBACK_TEST_DATA) + "/golden/fid_reference.h5";

struct GoldenCase {
  std::string group;
  double fid_tolerance;  // relative, except for identical_64d (see below)
};

// Singular covariances leave tr sqrtm(S_a S_b) sensitive to how the square
// root is taken, hence the looser tolerance for rank_deficient_256d.
const std::vector<GoldenCase> kCases = {{"correlated_64d", 1e-6},
                                        {"identical_64d", 1e-6},
                                        {"rank_deficient_256d", 1e-4},
                                        {"nonnegative_512d", 1e-6}};

struct CaptureWarnings {
  std::vector<std::string> messages;
  CaptureWarnings() {
    set_log_sink([this](LogLevel level, const std::string& message) {
      if (level == LogLevel::kWarning) messages.push_back(message);
    });
  }
  ~CaptureWarnings() { set_log_sink({}); }
};

TEST(FrechetDistance, MatchesGoldenReference) {
  CaptureWarnings quiet;  // rank_deficient_256d warns that n < d, as it should
  Hdf5File file(kGolden, Hdf5File::Mode::kRead);
  for (const auto& golden : kCases) {
    const auto a = FeatureStatistics::of(file.read(golden.group + "/features_a"));
    const auto b = FeatureStatistics::of(file.read(golden.group + "/features_b"));
    const double expected = file.attr_double(golden.group, "fid");
    const double measured = frechet_distance(a, b);
    // For the identical sets the expected value is rounding noise around 0,
    // so the error is taken relative to the scale of the terms, tr(S_a) + tr(S_b).
    const double scale = golden.group == "identical_64d"
                             ? (a.sigma.trace() + b.sigma.trace()).item<double>()
                             : std::abs(expected);
    const double error = std::abs(measured - expected) / scale;
    std::printf("  %-20s FID measured %.12g expected %.12g  rel. error %.2e (tolerance %.0e)\n",
                golden.group.c_str(), measured, expected, error, golden.fid_tolerance);
    EXPECT_LE(error, golden.fid_tolerance) << golden.group;
  }
}

TEST(Kid, FullSetMatchesGoldenReference) {
  Hdf5File file(kGolden, Hdf5File::Mode::kRead);
  const double tolerance = 1e-9;
  for (const auto& golden : kCases) {
    const double expected = file.attr_double(golden.group, "kid_full");
    const double measured = mmd2_polynomial(file.read(golden.group + "/features_a"),
                                            file.read(golden.group + "/features_b"));
    const double error = std::abs(measured - expected) / std::abs(expected);
    std::printf("  %-20s KID measured %.12g expected %.12g  rel. error %.2e (tolerance %.0e)\n",
                golden.group.c_str(), measured, expected, error, tolerance);
    EXPECT_LE(error, tolerance) << golden.group;
  }
}

TEST(Kid, SubsetsAreSeededAndCentredOnTheFullSetValue) {
  Hdf5File file(kGolden, Hdf5File::Mode::kRead);
  const torch::Tensor a = file.read("correlated_64d/features_a");
  const torch::Tensor b = file.read("correlated_64d/features_b");
  KidOptions options;
  options.subsets = 10;
  const KidResult first = kernel_inception_distance(a, b, options);
  const KidResult again = kernel_inception_distance(a, b, options);
  EXPECT_EQ(first.mean, again.mean);
  EXPECT_EQ(first.subset_size, 1000);
  // Each subset's MMD^2 is unbiased, so the mean lies near the full-set value.
  const double full = file.attr_double("correlated_64d", "kid_full");
  const double allowed = 4 * first.std / std::sqrt(10.0);
  std::printf("  subsets mean %.6f ± %.6f, full set %.6f, allowed difference %.6f\n", first.mean,
              first.std, full, allowed);
  EXPECT_LE(std::abs(first.mean - full), allowed);
}

TEST(PrecisionRecall, IdenticalSetsAreFullyCoveredAndFarSetsNot) {
  torch::manual_seed(0);
  const torch::Tensor real = torch::randn({400, 2});
  const PrecisionRecall same = precision_recall(real, real, 3);
  EXPECT_DOUBLE_EQ(same.precision, 1.0);
  EXPECT_DOUBLE_EQ(same.recall, 1.0);
  const PrecisionRecall far = precision_recall(real, torch::randn({300, 2}) + 100, 3);
  EXPECT_DOUBLE_EQ(far.precision, 0.0);
  EXPECT_DOUBLE_EQ(far.recall, 0.0);
  // A generator that covers only half of the data: high precision, low recall.
  const torch::Tensor half = real.index({real.select(1, 0) > 0});
  const PrecisionRecall mode_dropping = precision_recall(real, half, 3);
  std::printf("  half the data: precision %.3f recall %.3f\n", mode_dropping.precision,
              mode_dropping.recall);
  EXPECT_GT(mode_dropping.precision, 0.9);
  EXPECT_LT(mode_dropping.recall, 0.8);
}

TEST(FeatureStatistics, FewerThanTwoSamplesIsAnError) {
  EXPECT_THROW(FeatureStatistics::of(torch::randn({1, 4})), Error);
  EXPECT_THROW(mmd2_polynomial(torch::randn({1, 4}), torch::randn({5, 4})), Error);
  try {
    FeatureStatistics::of(torch::randn({1, 4}), "det");
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("at least 2 samples, got 1"), std::string::npos)
        << error.what();
  }
}

TEST(FeatureStatistics, FewerSamplesThanDimensionsWarnsWhy) {
  CaptureWarnings warnings;
  FeatureStatistics::of(torch::randn({10, 32}), "det");
  ASSERT_EQ(warnings.messages.size(), 1u);
  const std::string& message = warnings.messages[0];
  EXPECT_NE(message.find("10 samples for 32-dimensional"), std::string::npos) << message;
  EXPECT_NE(message.find("unreliable"), std::string::npos) << message;
  warnings.messages.clear();
  FeatureStatistics::of(torch::randn({40, 32}), "det");
  EXPECT_TRUE(warnings.messages.empty());
}

TEST(FrechetDistance, DimensionMismatchIsAnError) {
  const auto a = FeatureStatistics::of(torch::randn({20, 4}));
  const auto b = FeatureStatistics::of(torch::randn({20, 5}));
  EXPECT_THROW(frechet_distance(a, b), Error);
}

}  // namespace
}  // namespace disback
