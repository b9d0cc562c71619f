#include <gtest/gtest.h>

#include <unistd.h>
#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "io/hdf5_file.h"
#include "nn/model_file.h"

namespace disback {
namespace {

std::string temp_path(const std::string& name) {
  return testing::TempDir() + "/" + std::to_string(getpid()) + "_" + name;
}

TEST(Hdf5File, RoundTripsTensorsOfEveryStoredType) {
  const std::string path = temp_path("roundtrip.h5");
  torch::manual_seed(0);
  const auto f32 = torch::randn({3, 4, 5});
  const auto f64 = torch::randn({7}, torch::kFloat64);
  const auto i64 = torch::arange(10, torch::kInt64).reshape({2, 5});
  const auto u8 = torch::randint(0, 255, {4, 4}, torch::kUInt8);
  const auto f16 = torch::randn({80, 80}).to(torch::kFloat16);
  {
    Hdf5File file(path, Hdf5File::Mode::kCreate);
    file.write("a/b/f32", f32);
    file.write("f64", f64, /*compress=*/true);
    file.write("i64", i64);
    file.write("u8", u8);
    file.write("f16", f16, /*compress=*/true);
    file.set_attr("/", "config", std::string("{\"x\": 1}"));
    file.set_attr("a", "scale", 2.5);
    file.set_attr("/", "count", int64_t{42});
  }
  Hdf5File file(path, Hdf5File::Mode::kRead);
  EXPECT_TRUE(torch::equal(file.read("a/b/f32"), f32));
  EXPECT_TRUE(torch::equal(file.read("f64"), f64));
  EXPECT_TRUE(torch::equal(file.read("i64"), i64));
  EXPECT_TRUE(torch::equal(file.read("u8"), u8));
  EXPECT_EQ(file.read("f16").scalar_type(), torch::kFloat16);
  EXPECT_TRUE(torch::equal(file.read("f16"), f16));
  EXPECT_EQ(file.attr_string("/", "config"), "{\"x\": 1}");
  EXPECT_DOUBLE_EQ(file.attr_double("a", "scale"), 2.5);
  EXPECT_EQ(file.attr_int("/", "count"), 42);
  EXPECT_EQ(file.datasets_below("/"),
            (std::vector<std::string>{"a/b/f32", "f16", "f64", "i64", "u8"}));
}

TEST(Hdf5File, MissingAndCorruptFilesNameThePath) {
  try {
    Hdf5File file("/nonexistent/model.h5", Hdf5File::Mode::kRead);
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("/nonexistent/model.h5"), std::string::npos);
  }
  const std::string corrupt = temp_path("corrupt.h5");
  std::ofstream(corrupt) << "this is not hdf5";
  try {
    Hdf5File file(corrupt, Hdf5File::Mode::kRead);
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("not a readable HDF5"), std::string::npos)
        << error.what();
  }
}

TEST(ModelFile, SavesAndLoadsADenoiserExactly) {
  const nlohmann::json config = {{"model_type", "SongUNet"}, {"img_resolution", 8},
                                 {"img_channels", 1},        {"model_channels", 8},
                                 {"channel_mult", {1, 2}},   {"num_blocks", 1},
                                 {"attn_resolutions", {4}},  {"dropout", 0.0}};
  torch::manual_seed(1);
  Denoiser original(config);
  const std::string path = temp_path("model.h5");
  save_denoiser(path, original, {{"note", "test"}});
  const DenoiserPtr loaded = load_denoiser(path);
  const auto x = torch::randn({2, 1, 8, 8});
  const auto sigma = torch::tensor({0.5f, 3.0f});
  original.eval();
  EXPECT_TRUE(torch::equal(original.forward(x, sigma), loaded->forward(x, sigma)));
  EXPECT_EQ(read_model_metadata(path)["note"], "test");
}

TEST(ModelFile, LoadReportNamesMissingUnexpectedAndMisshapenTensors) {
  const nlohmann::json small = {
      {"model_type", "MlpNet"}, {"img_channels", 2}, {"hidden", 16}, {"num_layers", 1}};
  nlohmann::json wider = small;
  wider["hidden"] = 32;
  wider["num_layers"] = 2;
  const std::string path = temp_path("wider.h5");
  save_denoiser(path, Denoiser(wider));
  Denoiser target(small);
  Hdf5File file(path, Hdf5File::Mode::kRead);
  const LoadReport report = load_state(target, file, "params", /*strict=*/false);
  EXPECT_TRUE(report.missing.empty());
  EXPECT_EQ(report.unexpected.size(), 2u) << report.describe();  // hidden.1.{weight,bias}
  EXPECT_FALSE(report.mismatched.empty());
  EXPECT_NE(report.describe().find("model.input.weight"), std::string::npos) << report.describe();
  EXPECT_THROW(load_state(target, file), Error);
}

}  // namespace
}  // namespace disback
