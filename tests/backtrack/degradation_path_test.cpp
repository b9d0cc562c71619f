#include <gtest/gtest.h>

#include <filesystem>

#include "backtrack/backtrack_fixture.h"
#include "common/error.h"
#include "nn/model_file.h"

namespace disback {
namespace {

using testing_support::same_weights;
using testing_support::TinyPath;

TEST(DegradationPath, StoresTeacherAndCheckpointsExactly) {
  TinyPath path(3, 4, "exact.h5");
  ASSERT_EQ(path.reader->num_checkpoints(), 3);
  EXPECT_TRUE(same_weights(*path.reader->load(0), *path.teacher));
  // Every checkpoint differs from the teacher and from its predecessor.
  for (int64_t k = 1; k <= 3; ++k) {
    EXPECT_FALSE(same_weights(*path.reader->load(k), *path.reader->load(k - 1))) << "k = " << k;
  }
  const auto metadata = path.reader->metadata();
  EXPECT_EQ(metadata["N"], 3);
  EXPECT_EQ(metadata["K"], 4);
  EXPECT_EQ(metadata["steps"], 12);
  EXPECT_DOUBLE_EQ(metadata["sigma_init"].get<double>(), 2.5);
  EXPECT_EQ(metadata["checkpoint_losses"].size(), 3u);
}

TEST(DegradationPath, XorStorageReconstructsTheLastCheckpointBitForBit) {
  torch::manual_seed(5);
  Denoiser teacher(testing_support::tiny_mlp_config());
  DenoiserPtr moved = teacher.clone();
  {
    torch::NoGradGuard no_grad;
    for (auto& p : moved->parameters()) p.add_(torch::randn_like(p) * 1e-3);
  }
  const std::string file = testing_support::temp_file("xor.h5");
  PathWriter writer(file, teacher);
  writer.add_checkpoint(*moved);
  writer.finish({{"note", "test"}});
  EXPECT_TRUE(same_weights(*PathReader(file).load(1), *moved));
}

TEST(DegradationPath, UnfinishedWriterLeavesAnEarlierFileIntact) {
  TinyPath path(1, 2, "keep.h5");
  const auto size_before = std::filesystem::file_size(path.file);
  {
    PathWriter interrupted(path.file, *path.teacher);  // destroyed without finish()
  }
  EXPECT_EQ(std::filesystem::file_size(path.file), size_before);
  EXPECT_EQ(PathReader(path.file).num_checkpoints(), 1);
  EXPECT_FALSE(std::filesystem::exists(path.file + ".tmp"));
}

TEST(DegradationPath, RejectsOtherFilesAndOutOfRangeCheckpoints) {
  TinyPath path(2, 2, "range.h5");
  EXPECT_THROW(path.reader->load(3), Error);
  EXPECT_THROW(path.reader->load(-1), Error);
  const std::string model = testing_support::temp_file("not_a_path.h5");
  save_denoiser(model, *path.teacher);
  try {
    PathReader reader(model);
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("not a degradation path"), std::string::npos);
  }
}

}  // namespace
}  // namespace disback
