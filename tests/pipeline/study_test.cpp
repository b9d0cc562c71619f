#include <gtest/gtest.h>

#include <fstream>

#include "common/error.h"
#include "pipeline/study.h"
#include "pipeline/toy.h"

namespace disback {
namespace {

MethodCurves one_curve(std::vector<double> values) {
  MethodCurves curves;
  for (size_t i = 0; i < values.size(); ++i) curves.iterations.push_back(int64_t(i) * 100);
  curves.per_seed.push_back(std::move(values));
  return curves;
}

TEST(CompareConvergence, ReadsTheSpeedUpOffTheSeedAveragedCurves) {
  MethodCurves baseline = one_curve({1.0, 0.5, 0.3, 0.2, 0.2, 0.2});
  baseline.per_seed.push_back({1.0, 0.7, 0.5, 0.2, 0.2, 0.2});  // mean 0.6, 0.4 at 100, 200
  const MethodCurves disback = one_curve({1.0, 0.25, 0.2, 0.19, 0.18, 0.17});
  const SpeedUp result = compare_convergence(baseline, disback, 0.05, 3);
  EXPECT_DOUBLE_EQ(result.baseline_final, 0.2);
  EXPECT_DOUBLE_EQ(result.disback_final, 0.18);
  EXPECT_DOUBLE_EQ(result.target_value, 0.21);
  EXPECT_EQ(result.baseline_iteration, 300);
  EXPECT_EQ(result.disback_iteration, 200);
  EXPECT_DOUBLE_EQ(result.speedup, 1.5);
  // DisBack ends better: within 5 % of its 0.18 (<= 0.189) from 400 on; the
  // baseline never gets there.
  EXPECT_EQ(result.disback_settles_at, 400);
  EXPECT_EQ(result.baseline_reaches_disback_final_at, -1);
  const std::string table = speedup_table("toy", "sliced W1", result, 2);
  EXPECT_NE(table.find("| toy | 2 | 300 | 200 | 1.50x | 0.2 | 0.18 | 400 | never |"),
            std::string::npos)
      << table;
}

TEST(CompareConvergence, ACurveThatNeverGetsThereHasNoSpeedUp) {
  const MethodCurves baseline = one_curve({1.0, 0.3, 0.2, 0.2});
  const MethodCurves disback = one_curve({1.0, 0.9, 0.8, 0.7});
  const SpeedUp result = compare_convergence(baseline, disback);
  EXPECT_EQ(result.disback_iteration, -1);
  EXPECT_EQ(result.speedup, 0);
  EXPECT_NE(speedup_table("toy", "W1", result, 1).find("| n/a |"), std::string::npos);
}

TEST(CompareConvergence, ReadsCurvesBackFromAStudyFile) {
  const std::string file = ::testing::TempDir() + "/curves.jsonl";
  {
    std::ofstream out(file);
    for (int seed = 0; seed < 2; ++seed) {
      for (const char* method : {"baseline", "disback"}) {
        for (int i = 0; i < 3; ++i) {
          out << nlohmann::json{{"method", method},
                                {"seed", seed},
                                {"iteration", 10 * i},
                                {"FID", 10.0 - i - seed}}
              << "\n";
        }
      }
    }
  }
  const auto curves = read_study_curves(file, "FID");
  ASSERT_EQ(curves.size(), 2u);
  EXPECT_EQ(curves.at("disback").iterations, (std::vector<int64_t>{0, 10, 20}));
  EXPECT_EQ(curves.at("baseline").per_seed.at(1), (std::vector<double>{9, 8, 7}));
  try {
    read_study_curves(file, "sliced W1");
    FAIL() << "a missing metric column was accepted";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("curves.jsonl:1"), std::string::npos) << error.what();
  }
}

TEST(CompareConvergence, RefusesCurvesReadAtDifferentIterations) {
  MethodCurves disback = one_curve({1.0, 0.5});
  disback.iterations = {0, 50};
  EXPECT_THROW(compare_convergence(one_curve({1.0, 0.5}), disback), Error);
  MethodCurves ragged = one_curve({1.0, 0.5});
  ragged.per_seed.push_back({1.0});
  EXPECT_THROW(ragged.mean(), Error);
}

TEST(CompareConvergence, TheFinalValueNeverCountsTheUntrainedStart) {
  const SpeedUp result =
      compare_convergence(one_curve({1.0, 0.2, 0.1}), one_curve({1.0, 0.2, 0.1}));
  EXPECT_DOUBLE_EQ(result.baseline_final, 0.15);
  EXPECT_THROW(compare_convergence(one_curve({1.0}), one_curve({1.0})), Error);
}

TEST(StudyConfig, SettingsAStudyCannotUseAreRefusedByKey) {
  const auto refusal = [](const std::string& section, const std::string& key,
                          nlohmann::json value) {
    nlohmann::json config = default_study_config("toy");
    config[section][key] = value;
    try {
      validate_study_config(config);
    } catch (const Error& error) {
      return std::string(error.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(refusal("study", "eval_every", 0).find("study.eval_every"), std::string::npos);
  EXPECT_NE(refusal("study", "eval_every", 100000).find("study.eval_every"), std::string::npos);
  EXPECT_NE(refusal("study", "tolerance", -0.1).find("study.tolerance"), std::string::npos);
  EXPECT_NE(refusal("study", "eval_samples", 0).find("study.eval_samples"), std::string::npos);
  EXPECT_NE(refusal("backtrack", "iterations_per_target", 0).find("iterations_per_target"),
            std::string::npos);
  EXPECT_NE(refusal("backtrack", "objective", "nope").find("backtrack.objective"),
            std::string::npos);
  EXPECT_EQ(refusal("study", "tolerance", 0.1), "accepted");
}

TEST(StudyConfig, TheLastIterationIsAlwaysEvaluated) {
  ToyOptions options = toy_options(default_study_config("toy"));
  options.teacher_iterations = 20;
  options.backtrack.iterations = 10;
  options.eval_every = 4;
  options.eval_samples = 64;
  const ToyCurve curve = distill_toy(*train_toy_teacher(options), std::nullopt, options);
  EXPECT_EQ(curve.iterations, (std::vector<int64_t>{0, 4, 8, 10}));
}

TEST(StudyConfig, ToyOptionsComeFromTheToyStudyConfig) {
  const nlohmann::json config = default_study_config("toy");
  const ToyOptions options = toy_options(config, 7);
  EXPECT_EQ(options.seed, 7u);
  EXPECT_EQ(options.backtrack.seed, 7u);
  EXPECT_EQ(options.degradation.seed, 7u);
  EXPECT_EQ(options.degradation.num_checkpoints, config["degradation"]["num_checkpoints"]);
  EXPECT_EQ(options.backtrack.iterations, config["backtrack"]["iterations"]);
  EXPECT_EQ(options.backtrack.switching.iterations_per_target,
            config["backtrack"]["iterations_per_target"]);
  EXPECT_EQ(options.eval_every, config["study"]["eval_every"]);
  // The toy's own scale: big batches and a larger learning rate than images.
  EXPECT_EQ(options.backtrack.batch_size, 256);
  EXPECT_DOUBLE_EQ(options.backtrack.generator_lr, 1e-3);
  EXPECT_EQ(default_study_config("fmnist")["backtrack"]["batch_size"], 32);
  EXPECT_THROW(default_study_config("cifar"), Error);
}

}  // namespace
}  // namespace disback
