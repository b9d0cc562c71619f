#include <gtest/gtest.h>

#include "backtrack/backtrack_fixture.h"
#include "common/error.h"

namespace disback {
namespace {

using testing_support::same_weights;
using testing_support::TinyPath;

BacktrackOptions small_options(const std::string& rule) {
  BacktrackOptions options;
  options.iterations = 12;
  options.batch_size = 8;
  options.holdout_size = 8;
  options.switching.rule = rule;
  options.switching.iterations_per_target = 2;
  options.switching.check_every = 1;
  options.switching.min_iterations = 1;
  options.switching.max_iterations = 3;
  return options;
}

// Walks the whole path and checks the target after every switch.
void expect_switches_load_each_checkpoint(const std::string& rule) {
  TinyPath path(3, 2, "switch_" + rule + ".h5");
  Backtracker backtracker(*path.teacher, {path.teacher->clone(), 2.5}, path.reader,
                          small_options(rule));
  ASSERT_EQ(backtracker.target_index(), 2);
  EXPECT_TRUE(same_weights(backtracker.target(), *path.reader->load(2)));
  EXPECT_TRUE(same_weights(backtracker.fake(), *path.reader->load(3)));  // fake starts at s_N
  std::vector<int64_t> visited = {2};
  while (!backtracker.finished()) {
    const auto metrics = backtracker.step();
    if (metrics.at("switched") == 0) continue;
    const int64_t k = backtracker.target_index();
    EXPECT_EQ(k, visited.back() - 1) << "targets go s_{N-1}, ..., s_0 one at a time";
    EXPECT_TRUE(same_weights(backtracker.target(), *path.reader->load(k))) << "target s_" << k;
    EXPECT_FALSE(same_weights(backtracker.target(), *path.reader->load(k + 1)))
        << "target s_" << k << " still holds s_" << k + 1;
    visited.push_back(k);
  }
  EXPECT_EQ(visited, (std::vector<int64_t>{2, 1, 0})) << "rule " << rule;
  EXPECT_TRUE(same_weights(backtracker.target(), *path.teacher))
      << "the last target is the teacher";
}

TEST(Backtracker, FixedRuleLoadsEveryCheckpointInTurn) {
  expect_switches_load_each_checkpoint("fixed");
}

TEST(Backtracker, ConvergenceRuleLoadsEveryCheckpointInTurn) {
  expect_switches_load_each_checkpoint("convergence");
}

TEST(Backtracker, BaselineTargetsTheTeacherThroughout) {
  TinyPath path(1, 1, "baseline.h5");
  Backtracker baseline(*path.teacher, {path.teacher->clone(), 2.5}, nullptr,
                       small_options("fixed"));
  EXPECT_TRUE(same_weights(baseline.fake(), *path.teacher));
  while (!baseline.finished()) {
    EXPECT_EQ(baseline.step().at("switched"), 0.0);
    EXPECT_EQ(baseline.target_index(), 0);
  }
  EXPECT_TRUE(same_weights(baseline.target(), *path.teacher));
}

TEST(Backtracker, ResumedRunMatchesAnUninterruptedOne) {
  TinyPath path(3, 2, "resume.h5");
  BacktrackOptions options = small_options("convergence");
  options.ema_half_life = 50;
  auto run = [&](int64_t stop_at, const std::string& checkpoint, bool resume) {
    torch::manual_seed(11);
    Backtracker backtracker(*path.teacher, {path.teacher->clone(), 2.5}, path.reader, options);
    if (resume) backtracker.load_checkpoint(checkpoint);
    while (!backtracker.finished() && backtracker.iteration() < stop_at) backtracker.step();
    if (!checkpoint.empty() && !resume) backtracker.save_checkpoint(checkpoint);
    return std::make_tuple(backtracker.generator().network->clone(),
                           backtracker.ema_generator().network->clone(),
                           backtracker.target_index());
  };
  const std::string checkpoint = testing_support::temp_file("resume_checkpoint.h5");
  const auto [straight, straight_ema, straight_target] = run(12, "", false);
  run(5, checkpoint, false);
  const auto [resumed, resumed_ema, resumed_target] = run(12, checkpoint, true);
  EXPECT_TRUE(same_weights(*straight, *resumed));
  EXPECT_TRUE(same_weights(*straight_ema, *resumed_ema));
  EXPECT_EQ(straight_target, resumed_target);
}

TEST(Backtracker, RejectsNonsenseOptions) {
  TinyPath path(1, 1, "options.h5");
  BacktrackOptions options = small_options("fixed");
  options.generator_lr = -1;
  EXPECT_THROW(Backtracker(*path.teacher, {path.teacher->clone(), 2.5}, path.reader, options),
               Error);
  options = small_options("sometimes");
  EXPECT_THROW(Backtracker(*path.teacher, {path.teacher->clone(), 2.5}, path.reader, options),
               Error);
}

TEST(Backtracker, StopsWithAClearErrorWhenTrainingDiverges) {
  TinyPath path(1, 1, "nan.h5");
  auto generator = path.teacher->clone();
  {
    torch::NoGradGuard no_grad;
    generator->parameters().front().fill_(std::numeric_limits<float>::quiet_NaN());
  }
  Backtracker backtracker(*path.teacher, {generator, 2.5}, path.reader, small_options("fixed"));
  try {
    backtracker.step();
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("nan"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace disback
