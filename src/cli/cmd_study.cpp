// disback study: DisBack against the plain score-distillation baseline, over
// several seeds, with the quality-versus-iteration curves and the speed-up.
#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/json_flags.h"
#include "common/log.h"
#include "common/run_dir.h"
#include "metrics/classifier.h"
#include "metrics/evaluator.h"
#include "nn/model_file.h"
#include "pipeline/config.h"
#include "pipeline/study.h"
#include "pipeline/toy.h"

namespace disback::cli {
namespace {

struct Problem {
  std::string metric;
  // Curve of one method for one seed; `path` empty means the baseline.
  std::function<ToyCurve(uint64_t seed, const std::string& path)> run;
};

Problem toy_problem(const CommandLine& cli) {
  ToyOptions options = toy_defaults();
  if (cli.given("iterations")) options.backtrack.iterations = cli.integer("iterations");
  if (cli.given("eval-every")) options.eval_every = cli.integer("eval-every");
  auto teachers = std::make_shared<std::map<uint64_t, DenoiserPtr>>();
  return {"sliced W1", [options, teachers](uint64_t seed, const std::string& path) {
            ToyOptions seeded = options;
            seeded.seed = seed;
            if (!teachers->count(seed)) (*teachers)[seed] = train_toy_teacher(seeded);
            return distill_toy(*(*teachers)[seed],
                               path.empty() ? std::nullopt : std::optional<std::string>(path),
                               seeded);
          }};
}

Problem fmnist_problem(const CommandLine& cli) {
  nlohmann::json config = default_pipeline_config();
  const DenoiserPtr teacher = load_denoiser(cli.text("teacher"));
  auto detector = load_classifier_detector(cli.text("classifier"));
  auto reference = std::make_shared<FeatureStatistics>(
      fashion_mnist_statistics(*detector, "train", teacher->sample_shape().back()));
  const int64_t iterations = cli.given("iterations") ? cli.integer("iterations") : 1500;
  const int64_t eval_every = cli.given("eval-every") ? cli.integer("eval-every") : 100;
  const int64_t eval_samples = cli.integer("eval-samples");
  return {"FID", [=](uint64_t seed, const std::string& path_file) {
            EvalOptions quick;
            quick.progress = false;
            quick.precision_recall = false;
            Evaluator evaluator(detector, *reference, quick);
            const auto fid = [&](const OneStepGenerator& generator) {
              auto stream = at::detail::createCPUGenerator(seed + 1000);
              return evaluator
                  .evaluate(
                      [&](int64_t n) {
                        torch::NoGradGuard no_grad;
                        return generator(torch::randn({n, 1, 16, 16}, stream));
                      },
                      eval_samples)
                  .fid;
            };
            std::shared_ptr<PathReader> path;
            if (!path_file.empty()) {
              if (!std::filesystem::exists(path_file)) {
                record_degradation(*teacher, {teacher->clone(), 2.5},
                                   degradation_options(config.at("degradation"), seed), path_file);
              }
              path = std::make_shared<PathReader>(path_file);
            }
            nlohmann::json section = config.at("backtrack");
            section["iterations"] = iterations;
            Backtracker backtracker(*teacher, {teacher->clone(), 2.5}, path,
                                    backtrack_options(section, seed));
            ToyCurve curve{{0}, {fid(backtracker.ema_generator())}, {}};
            while (!backtracker.finished()) {
              if (backtracker.step().at("switched") != 0) {
                curve.switches.push_back(backtracker.iteration());
              }
              if (backtracker.iteration() % eval_every == 0) {
                curve.iterations.push_back(backtracker.iteration());
                curve.distance.push_back(fid(backtracker.ema_generator()));
                log_info(path ? "disback" : "baseline", " seed ", seed, " iteration ",
                         backtracker.iteration(), ": FID ", curve.distance.back());
              }
            }
            return curve;
          }};
}

}  // namespace

int study_command(int argc, char** argv) {
  CommandLine cli("study",
                  "Compare DisBack with plain score distillation over several seeds: quality "
                  "against iteration as JSONL, and a table with the speed-up.");
  cli.option("problem", "toy (2-D Gaussian mixture) or fmnist (Fashion-MNIST 16x16)", "toy")
      .option("seeds", "Number of seeds (0, 1, ...)", "3")
      .option("iterations", "Distillation iterations per run (default: problem's)", "0")
      .option("eval-every", "Iterations between evaluations (default: problem's)", "0")
      .option("eval-samples", "fmnist: samples per FID", "1000")
      .option("tolerance", "Relative slack on 'reaches the final quality'", "0.05")
      .option("teacher", "fmnist: teacher model file", "models/fmnist16_teacher.h5")
      .option("classifier", "fmnist: FID detector", kDefaultClassifierPath)
      .required("out", "Folder for curves.jsonl, summary.json and table.md");
  add_runtime_options(cli);
  if (!cli.parse(argc, argv)) return 0;
  apply_runtime_options(cli);
  const std::string problem_name = cli.text("problem");
  if (problem_name != "toy" && problem_name != "fmnist") {
    throw UsageError(str_cat("--problem: expected toy or fmnist, got '", problem_name, "'"));
  }
  const int64_t seeds = cli.integer("seeds");
  if (seeds < 1) throw UsageError(str_cat("--seeds: expected >= 1, got ", seeds));
  const Problem problem = problem_name == "toy" ? toy_problem(cli) : fmnist_problem(cli);

  const std::string out = cli.text("out");
  std::filesystem::create_directories(out);
  std::ofstream curves(out + "/curves.jsonl");
  MethodCurves baseline, disback;
  for (int64_t seed = 0; seed < seeds; ++seed) {
    for (const bool with_path : {false, true}) {
      const std::string path = with_path ? str_cat(out, "/path_seed", seed, ".h5") : std::string();
      const ToyCurve curve = problem.run(seed, path);
      MethodCurves& target = with_path ? disback : baseline;
      target.iterations = curve.iterations;
      target.per_seed.push_back(curve.distance);
      for (size_t i = 0; i < curve.iterations.size(); ++i) {
        curves << nlohmann::json{{"method", with_path ? "disback" : "baseline"},
                                 {"seed", seed},
                                 {"iteration", curve.iterations[i]},
                                 {problem.metric, curve.distance[i]}}
                      .dump()
               << "\n";
      }
      log_info(with_path ? "disback" : "baseline", " seed ", seed, ": ", problem.metric, " ",
               curve.distance.front(), " -> ", curve.distance.back());
    }
  }
  const SpeedUp result = compare_convergence(baseline, disback, cli.real("tolerance"));
  const std::string table = speedup_table(problem_name, problem.metric, result, seeds);
  write_text_atomically(out + "/table.md", table);
  write_text_atomically(out + "/summary.json", nlohmann::json{{"problem", problem_name},
                                                              {"metric", problem.metric},
                                                              {"seeds", seeds},
                                                              {"tolerance", cli.real("tolerance")},
                                                              {"result", result.to_json()}}
                                                   .dump(2));
  std::cout << table;
  return 0;
}

}  // namespace disback::cli
