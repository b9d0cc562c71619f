#include <gtest/gtest.h>

#include <cmath>
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
  PathWriter writer(file, teacher, "exact");
  EXPECT_EQ(writer.add_checkpoint(*moved), 0.0);
  writer.finish({{"note", "test"}});
  EXPECT_EQ(PathReader(file).storage(), "exact");
  EXPECT_TRUE(same_weights(*PathReader(file).load(1), *moved));
}

// Fine-tuning moves weights by far less than their size: storing only the
// move in float16 halves the file and errs by at most |move| * 2^-11.
TEST(DegradationPath, Float16DeltaShrinksTheFileWithinItsReportedError) {
  torch::manual_seed(5);
  nlohmann::json config = testing_support::tiny_mlp_config();
  config["hidden"] = 256;  // large tensors, so the weights outweigh the file's headers
  Denoiser teacher(config);
  DenoiserPtr moved = teacher.clone();
  {
    torch::NoGradGuard no_grad;
    for (auto& p : moved->parameters()) p.add_(torch::randn_like(p) * 1e-3);
  }
  std::map<std::string, double> reported;
  std::map<std::string, int64_t> bytes;
  for (const std::string storage : {"exact", "float16-delta"}) {
    const std::string file = testing_support::temp_file(storage + ".h5");
    PathWriter writer(file, teacher, storage);
    for (int k = 0; k < 3; ++k) reported[storage] = writer.add_checkpoint(*moved);
    writer.finish({});
    bytes[storage] = std::filesystem::file_size(file);
  }
  const PathReader reader(testing_support::temp_file("float16-delta.h5"));
  EXPECT_EQ(reader.storage(), "float16-delta");
  const DenoiserPtr loaded = reader.load(3);
  double max_error = 0;
  auto loaded_parameters = loaded->parameters(), moved_parameters = moved->parameters(),
       teacher_parameters = teacher.parameters();
  for (size_t i = 0; i < loaded_parameters.size(); ++i) {
    const torch::Tensor move = (moved_parameters[i] - teacher_parameters[i]).abs();
    const torch::Tensor error = (loaded_parameters[i] - moved_parameters[i]).abs();
    EXPECT_TRUE((error <= move * std::pow(2.0, -11) + 1e-7).all().item<bool>()) << "tensor " << i;
    max_error = std::max(max_error, error.max().item<double>());
  }
  EXPECT_GT(max_error, 0.0) << "float16 rounding must be visible";
  EXPECT_NEAR(reported["float16-delta"], max_error, 1e-9);
  std::cout << "path bytes: exact " << bytes["exact"] << ", float16-delta "
            << bytes["float16-delta"] << "; max error " << max_error << "\n";
  // Teacher + 3 checkpoints as plain float32 would be 4 parts; float16
  // deltas make it 1 + 3/2 = 2.5 parts before gzip.
  const double float32_bytes = 4.0 * double(teacher.parameter_count()) * 4;
  EXPECT_LT(bytes["float16-delta"], 0.63 * float32_bytes);
  EXPECT_LT(bytes["float16-delta"], bytes["exact"]);
}

TEST(DegradationPath, ExistingPathIsReusedOnlyWhenRecordedWithTheSameOptions) {
  torch::manual_seed(3);
  const auto teacher = std::make_shared<Denoiser>(testing_support::tiny_mlp_config());
  DegradationOptions options;
  options.num_checkpoints = 2;
  options.interval = 2;
  options.batch_size = 8;
  const std::string file = testing_support::temp_file("reuse.h5");
  std::filesystem::remove(file);
  const OneStepGenerator g0{teacher->clone(), 2.5};
  open_or_record_path(*teacher, g0, options, file);
  const auto written = std::filesystem::last_write_time(file);
  EXPECT_EQ(open_or_record_path(*teacher, g0, options, file)->num_checkpoints(), 2);

  options.learning_rate = 1e-5;
  try {
    open_or_record_path(*teacher, g0, options, file);
    FAIL() << "a path recorded with another learning rate was reused";
  } catch (const Error& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find(file), std::string::npos) << message;
    EXPECT_NE(message.find("1e-05"), std::string::npos) << message;
  }
  EXPECT_EQ(std::filesystem::last_write_time(file), written) << "the file must be left alone";
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

TEST(DegradationPath, AWriteThatCannotLandLeavesNoTemporaryFile) {
  torch::manual_seed(5);
  Denoiser teacher(testing_support::tiny_mlp_config());
  const std::string folder = testing_support::temp_file("taken_by_a_folder.h5");
  std::filesystem::create_directories(folder);
  PathWriter writer(folder, teacher);
  writer.add_checkpoint(teacher);
  EXPECT_THROW(writer.finish({}), Error);
  EXPECT_FALSE(std::filesystem::exists(folder + ".tmp"));
  EXPECT_TRUE(std::filesystem::is_directory(folder));
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
