#include <gtest/gtest.h>

#include <unistd.h>
#include <filesystem>
#include <fstream>

#include <unistd.h>
#include <fstream>

#include "common/error.h"
#include "data/fashion_mnist.h"
#include "data/idx.h"

namespace disback {
namespace {

std::string temp_path(const std::string& name) {
  return testing::TempDir() + "/" + std::to_string(getpid()) + "_" + name;
}

TEST(Idx, RoundTripsGzipFiles) {
  const auto data = torch::randint(0, 256, {5, 3, 4}, torch::kInt64).to(torch::kUInt8);
  const std::string path = temp_path("images-idx3-ubyte.gz");
  write_idx_gz(path, data);
  EXPECT_TRUE(torch::equal(read_idx(path), data));
}

TEST(Idx, RejectsTruncatedAndForeignFiles) {
  const std::string path = temp_path("bad.idx");
  std::ofstream(path, std::ios::binary) << std::string(
      "\x00\x00\x08\x01\x00\x00\x00\x05"
      "ab",
      10);
  try {
    read_idx(path);
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("truncated"), std::string::npos) << error.what();
  }
  std::ofstream(path, std::ios::binary) << "GIF89a....";
  EXPECT_THROW(read_idx(path), Error);
}

TEST(FashionMnist, LoadsASyntheticFolderScaledToPlusMinusOne) {
  const std::string folder = temp_path("fmnist");
  std::filesystem::create_directories(folder);
  auto images = torch::zeros({6, 28, 28}, torch::kUInt8);
  images[1].fill_(255);
  write_idx_gz(folder + "/t10k-images-idx3-ubyte.gz", images);
  write_idx_gz(folder + "/t10k-labels-idx1-ubyte.gz", torch::arange(6).to(torch::kUInt8));
  const ImageDataset data = load_fashion_mnist(folder, "test", 14);
  EXPECT_EQ(data.images.sizes(), torch::IntArrayRef({6, 1, 14, 14}));
  EXPECT_FLOAT_EQ(data.images[0].max().item<float>(), -1.0f);
  EXPECT_FLOAT_EQ(data.images[1].min().item<float>(), 1.0f);
  EXPECT_EQ(data.labels[5].item<int64_t>(), 5);
}

TEST(FashionMnist, MissingFolderNamesPathAndPackage) {
  try {
    load_fashion_mnist("/no/such/folder", "train");
    FAIL() << "expected an error";
  } catch (const Error& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("/no/such/folder"), std::string::npos) << message;
    EXPECT_NE(message.find("dataset-fashion-mnist"), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace disback
