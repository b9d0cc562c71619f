// Conformance of the C++ EDM networks with the reference Python
// implementation: every tests/data/golden/edm_*.h5 file holds a network's
// weights, inputs and the reference's D(x; sigma, labels) in float32.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "common/error.h"
#include "io/hdf5_file.h"
#include "nn/model_file.h"

namespace disback {
namespace {

const std::string kGoldenDir = std::string(DISBACK_TEST_DATA) + "/golden";
// Float32 on a CPU agrees to about 1e-5 of the output's scale; anything
// above 1e-4 means the architecture differs.
constexpr double kRelativeTolerance = 1e-4;

std::vector<std::string> golden_files() {
  std::vector<std::string> files;
  if (!std::filesystem::is_directory(kGoldenDir)) return files;
  for (const auto& entry : std::filesystem::directory_iterator(kGoldenDir)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("edm_", 0) == 0 && entry.path().extension() == ".h5") {
      files.push_back(entry.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = std::filesystem::path(info.param).stem().string();
  std::replace_if(
      name.begin(), name.end(), [](char c) { return !std::isalnum(c); }, '_');
  return name;
}

class EdmGolden : public ::testing::TestWithParam<std::string> {};

TEST(EdmGoldenFiles, AllFiveNetworksArePresent) {
  EXPECT_GE(golden_files().size(), 5u) << "golden folder " << kGoldenDir;
}

TEST_P(EdmGolden, DenoiserReproducesReferenceOutput) {
  torch::NoGradGuard no_grad;
  const std::string path = GetParam();
  const DenoiserPtr denoiser = load_denoiser(path);
  Hdf5File file(path, Hdf5File::Mode::kRead);
  const torch::Tensor labels =
      file.has("inputs/class_labels") ? file.read("inputs/class_labels") : torch::Tensor();
  const torch::Tensor expected = file.read("outputs/D").to(torch::kFloat32);
  const torch::Tensor actual =
      denoiser->forward(file.read("inputs/x"), file.read("inputs/sigma"), labels);
  ASSERT_EQ(actual.sizes(), expected.sizes()) << path;

  const double scale = expected.abs().max().item<double>();
  const double error = (actual - expected).abs().max().item<double>();
  const double tolerance = kRelativeTolerance * scale;
  std::printf("%-32s max|err| %.3e  output scale %.3e  tolerance %.3e\n",
              std::filesystem::path(path).filename().c_str(), error, scale, tolerance);
  EXPECT_LE(error, tolerance) << path << ": max abs error " << error << " > tolerance " << tolerance
                              << " (" << kRelativeTolerance << " of scale " << scale << ")";
}

TEST_P(EdmGolden, ConfigAloneRebuildsEveryStoredTensor) {
  const std::string path = GetParam();
  Denoiser rebuilt(read_model_config(path));
  int64_t module_scalars = 0;
  for (const auto& item : rebuilt.named_parameters()) module_scalars += item.value().numel();
  for (const auto& item : rebuilt.named_buffers()) module_scalars += item.value().numel();
  const auto module_count =
      static_cast<int64_t>(rebuilt.named_parameters().size() + rebuilt.named_buffers().size());

  Hdf5File file(path, Hdf5File::Mode::kRead);
  const auto stored = file.datasets_below("params");
  int64_t file_scalars = 0;
  for (const auto& name : stored) {
    int64_t numel = 1;
    for (int64_t size : file.shape("params/" + name)) numel *= size;
    file_scalars += numel;
  }
  EXPECT_EQ(module_count, static_cast<int64_t>(stored.size())) << path;
  EXPECT_EQ(module_scalars, file_scalars)
      << path << ": rebuilt " << rebuilt.parameter_count() << " trainable scalars";
}

INSTANTIATE_TEST_SUITE_P(GoldenFiles, EdmGolden, ::testing::ValuesIn(golden_files()), test_name);

// A copy of a golden file's params with one tensor dropped, one reshaped and
// one added, so that a by-name load has something of each kind to report.
class DamagedModelFile : public ::testing::Test {
 protected:
  void SetUp() override {
    source_ = kGoldenDir + "/edm_ddpmpp_uncond_16px.h5";
    damaged_ = (std::filesystem::temp_directory_path() /
                ("disback_damaged_" + std::to_string(::getpid()) + ".h5"))
                   .string();
    Hdf5File in(source_, Hdf5File::Mode::kRead);
    Hdf5File out(damaged_, Hdf5File::Mode::kCreate);
    for (const auto& name : in.datasets_below("params")) {
      if (name == kDropped) continue;
      torch::Tensor value = in.read("params/" + name);
      if (name == kReshaped) value = value.reshape({-1});
      out.write("params/" + name, value);
    }
    out.write("params/" + std::string(kAdded), torch::zeros({3}));
  }
  void TearDown() override { std::filesystem::remove(damaged_); }

  static constexpr const char* kDropped = "model.map_layer1.bias";
  static constexpr const char* kReshaped = "model.enc.16x16_conv.weight";
  static constexpr const char* kAdded = "model.enc.extra.weight";
  std::string source_, damaged_;
};

TEST_F(DamagedModelFile, ReportNamesMissingUnexpectedAndMisshapenTensors) {
  Denoiser denoiser(read_model_config(source_));
  Hdf5File file(damaged_, Hdf5File::Mode::kRead);
  const LoadReport report = load_state(denoiser, file, "params", /*strict=*/false);
  EXPECT_EQ(report.missing, std::vector<std::string>{kDropped});
  EXPECT_EQ(report.unexpected, std::vector<std::string>{kAdded});
  ASSERT_EQ(report.mismatched.size(), 1u) << report.describe();
  EXPECT_EQ(report.mismatched[0].rfind(kReshaped, 0), 0u) << report.mismatched[0];

  try {
    load_state(denoiser, file);
    ADD_FAILURE() << "a strict load of a damaged file did not throw";
  } catch (const Error& error) {
    const std::string message = error.what();
    for (const char* name : {kDropped, kReshaped, kAdded}) {
      EXPECT_NE(message.find(name), std::string::npos) << "'" << name << "' not in: " << message;
    }
  }
}

}  // namespace
}  // namespace disback
