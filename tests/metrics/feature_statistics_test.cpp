// Feature statistics: batch-size independence and the .h5 / .npz files,
// the latter checked against numpy itself.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "common/error.h"
#include "io/npz.h"
#include "metrics/feature_statistics.h"

namespace disback {
namespace {

const char* kPython = "/usr/bin/python3";

std::string temp_path(const std::string& name) {
  return testing::TempDir() + "/" + std::to_string(getpid()) + "_" + name;
}

// Runs a Python script; returns its exit status (77: numpy is missing).
int run_python(const std::string& script, const std::string& argument) {
  const std::string path = temp_path("script.py");
  std::ofstream(path) << "import sys\ntry:\n    import numpy as np\nexcept ImportError:\n"
                      << "    sys.exit(77)\n"
                      << script;
  const int status = std::system((std::string(kPython) + " " + path + " " + argument).c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

double max_relative_error(const torch::Tensor& measured, const torch::Tensor& expected) {
  return ((measured - expected).abs().max() / expected.abs().max()).item<double>();
}

TEST(FeatureAccumulator, ResultDoesNotDependOnBatchSize) {
  torch::manual_seed(0);
  // A large common offset, as post-ReLU features have, tests for cancellation.
  const torch::Tensor features = torch::randn({1000, 24}) * 0.1 + 50;
  const torch::Tensor x = features.to(torch::kFloat64);
  const torch::Tensor centred = x - x.mean(0);
  const torch::Tensor sigma_reference = centred.t().mm(centred) / 999;
  const double tolerance = 1e-12;
  for (const int64_t batch : {1, 7, 128, 1000}) {
    FeatureAccumulator accumulator;
    for (int64_t start = 0; start < 1000; start += batch) {
      accumulator.add(features.slice(0, start, start + batch));
    }
    const FeatureStatistics stats = accumulator.statistics("test");
    const double mu_error = max_relative_error(stats.mu, x.mean(0));
    const double sigma_error = max_relative_error(stats.sigma, sigma_reference);
    std::printf("  batch %4lld: mu rel. error %.2e, sigma rel. error %.2e (tolerance %.0e)\n",
                static_cast<long long>(batch), mu_error, sigma_error, tolerance);
    EXPECT_EQ(stats.count, 1000);
    EXPECT_LE(mu_error, tolerance);
    EXPECT_LE(sigma_error, tolerance);
  }
}

TEST(FeatureAccumulator, KeepsAReservoirOfFeatureRows) {
  torch::manual_seed(1);
  const torch::Tensor features = torch::randn({1000, 4});
  FeatureAccumulator accumulator(/*keep_features=*/100, /*seed=*/3);
  for (int64_t start = 0; start < 1000; start += 64) {
    accumulator.add(features.slice(0, start, start + 64));
  }
  const torch::Tensor kept = accumulator.statistics().features;
  ASSERT_EQ(kept.sizes(), (c10::IntArrayRef{100, 4}));
  // Every kept row is one of the inputs, and they are not just the first 100.
  const torch::Tensor distances =
      torch::cdist(kept.to(torch::kFloat64), features.to(torch::kFloat64));
  EXPECT_LT(std::get<0>(distances.min(1)).max().item<double>(), 1e-6);
  EXPECT_GT(std::get<1>(distances.min(1)).max().item<int64_t>(), 100);
}

TEST(FeatureStatistics, RoundTripsThroughHdf5) {
  torch::manual_seed(2);
  FeatureAccumulator accumulator(/*keep_features=*/50);
  accumulator.add(torch::randn({200, 6}));
  const FeatureStatistics stats = accumulator.statistics("fmnist-classifier:test.h5");
  const std::string path = temp_path("stats.h5");
  stats.save(path);
  const FeatureStatistics loaded = FeatureStatistics::load(path);
  EXPECT_TRUE(torch::equal(loaded.mu, stats.mu));
  EXPECT_TRUE(torch::equal(loaded.sigma, stats.sigma));
  EXPECT_TRUE(torch::equal(loaded.features, stats.features));
  EXPECT_EQ(loaded.count, 200);
  EXPECT_EQ(loaded.detector, "fmnist-classifier:test.h5");
}

TEST(Npz, NumpyReadsWhatWeWrite) {
  torch::manual_seed(3);
  const FeatureStatistics stats = FeatureStatistics::of(torch::randn({50, 5}), "torchscript:x.pt");
  const std::string path = temp_path("ours.npz");
  stats.save(path);
  // numpy checks the values it reads against the ones we print into the script.
  std::ostringstream script;
  script.precision(17);
  script << "f = np.load(sys.argv[1])\n"
         << "assert f['mu'].dtype == np.float64 and f['mu'].shape == (5,), f['mu']\n"
         << "assert f['sigma'].shape == (5, 5)\n"
         << "assert abs(f['mu'][2] - " << stats.mu[2].item<double>() << ") < 1e-15\n"
         << "assert abs(f['sigma'][1, 3] - " << stats.sigma[1][3].item<double>() << ") < 1e-15\n"
         << "assert int(f['n']) == 50\n"
         << "assert bytes(f['detector']).decode() == 'torchscript:x.pt'\n";
  const int status = run_python(script.str(), path);
  if (status == 77) GTEST_SKIP() << kPython << " has no numpy; cannot check .npz against numpy";
  EXPECT_EQ(status, 0) << "numpy rejected " << path;
}

TEST(Npz, ReadsStoredAndDeflatedFilesWrittenByNumpy) {
  const std::string path = temp_path("numpy");
  // Known values: mu = arange(4) / 8, sigma = eye(4) * 2 + 0.25, and arrays
  // of other types and orders that the reader must also decode.
  const int status = run_python(
      "mu = np.arange(4) / 8.0\n"
      "sigma = np.eye(4) * 2 + 0.25\n"
      "extra = dict(f32=np.arange(6, dtype=np.float32).reshape(2, 3),\n"
      "             fortran=np.asfortranarray(np.arange(6, dtype=np.int64).reshape(2, 3)),\n"
      "             scalar=np.array(7, dtype=np.int32), flags=np.array([True, False]))\n"
      "np.savez(sys.argv[1] + '_stored.npz', mu=mu, sigma=sigma, **extra)\n"
      "np.savez_compressed(sys.argv[1] + '_deflated.npz', mu=mu, sigma=sigma, **extra)\n",
      path);
  if (status == 77) GTEST_SKIP() << kPython << " has no numpy; cannot write .npz with numpy";
  ASSERT_EQ(status, 0);
  for (const std::string kind : {"_stored.npz", "_deflated.npz"}) {
    const FeatureStatistics stats = FeatureStatistics::load(path + kind);
    EXPECT_TRUE(torch::equal(stats.mu, torch::arange(4, torch::kFloat64) / 8)) << kind;
    EXPECT_TRUE(torch::equal(stats.sigma, torch::eye(4, torch::kFloat64) * 2 + 0.25)) << kind;
    EXPECT_EQ(stats.count, 0) << "numpy's file says nothing about n";
    const auto arrays = read_npz(path + kind);
    EXPECT_TRUE(torch::equal(arrays.at("f32"), torch::arange(6, torch::kFloat32).reshape({2, 3})));
    EXPECT_TRUE(
        torch::equal(arrays.at("fortran"), torch::arange(6, torch::kInt64).reshape({2, 3})));
    EXPECT_EQ(arrays.at("scalar").dim(), 0);
    EXPECT_EQ(arrays.at("scalar").item<int32_t>(), 7);
    EXPECT_TRUE(torch::equal(arrays.at("flags"), torch::tensor({true, false})));
  }
}

TEST(Npz, RoundTripsEveryWrittenType) {
  const std::map<std::string, torch::Tensor> arrays = {
      {"f32", torch::randn({3, 2})},
      {"f64", torch::randn({4}, torch::kFloat64)},
      {"i64", torch::arange(5, torch::kInt64)},
      {"u8", torch::randint(0, 255, {2, 2, 2}, torch::kUInt8)},
      {"scalar", torch::tensor(3.5, torch::kFloat64).reshape({})},
      {"empty", torch::zeros({0, 3})}};
  for (const bool compress : {false, true}) {
    const std::string path = temp_path(compress ? "deflated.npz" : "stored.npz");
    write_npz(path, arrays, compress);
    const auto loaded = read_npz(path);
    ASSERT_EQ(loaded.size(), arrays.size());
    for (const auto& [name, tensor] : arrays) {
      EXPECT_TRUE(torch::equal(loaded.at(name), tensor)) << name << (compress ? " deflated" : "");
      EXPECT_EQ(loaded.at(name).sizes(), tensor.sizes()) << name;
    }
  }
}

TEST(Npz, ErrorsNameTheFile) {
  const std::string path = temp_path("not_a_zip.npz");
  std::ofstream(path) << "plain text";
  try {
    read_npz(path);
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find(path), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace disback
