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
#include "degradation/recorder.h"
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

std::string metric_name(const std::string& problem) {
  return problem == "toy" ? "sliced W1" : "FID";
}

Problem toy_problem(const nlohmann::json& config) {
  auto teachers = std::make_shared<std::map<uint64_t, DenoiserPtr>>();
  return {metric_name("toy"), [config, teachers](uint64_t seed, const std::string& path) {
            const ToyOptions options = toy_options(config, seed);
            if (!teachers->count(seed)) (*teachers)[seed] = train_toy_teacher(options);
            return distill_toy(*(*teachers)[seed],
                               path.empty() ? std::nullopt : std::optional<std::string>(path),
                               options);
          }};
}

// Distils one seed, reading the FID of the EMA generator as the toy reads
// its sliced W1.
ToyCurve fmnist_curve(const Denoiser& teacher, std::shared_ptr<PathReader> path,
                      const nlohmann::json& config, uint64_t seed,
                      const std::function<double(const OneStepGenerator&)>& fid) {
  const double sigma_init = config.at("generator").at("sigma_init");
  Backtracker backtracker(teacher, {teacher.clone(), sigma_init}, path,
                          backtrack_options(config.at("backtrack"), seed));
  return trace_quality(backtracker, config.at("study").at("eval_every"),
                       [&](const OneStepGenerator& generator) {
                         const double value = fid(generator);
                         log_info(path ? "disback" : "baseline", " seed ", seed, " iteration ",
                                  backtracker.iteration(), ": FID ", value);
                         return value;
                       });
}

Problem fmnist_problem(const CommandLine& cli, const nlohmann::json& config) {
  const DenoiserPtr teacher = load_denoiser(cli.text("teacher"));
  auto detector = load_classifier_detector(cli.text("classifier"));
  auto reference = std::make_shared<FeatureStatistics>(
      fashion_mnist_statistics(*detector, "train", teacher->sample_shape().back()));
  const int64_t eval_samples = config.at("study").at("eval_samples");
  return {metric_name("fmnist"), [=](uint64_t seed, const std::string& path_file) {
            std::shared_ptr<PathReader> path;
            if (!path_file.empty()) {
              const double sigma_init = config.at("generator").at("sigma_init");
              path = open_or_record_path(*teacher, {teacher->clone(), sigma_init},
                                         degradation_options(config.at("degradation"), seed),
                                         path_file);
            }
            // The same latents at every reading, so the curve shows the
            // generator changing, not the sampling noise.
            const auto fid = [&](const OneStepGenerator& generator) {
              return generator_fid(detector, *reference, generator, eval_samples, seed + 1000);
            };
            return fmnist_curve(*teacher, path, config, seed, fid);
          }};
}

nlohmann::json study_config(const CommandLine& cli) {
  nlohmann::json config = default_study_config(cli.text("problem"));
  if (cli.given("config")) {
    config = merge_config(config, read_json_file(cli.text("config")), cli.text("config"));
  }
  if (!cli.text("set").empty()) config = apply_set_overrides(config, cli.text("set"));
  if (cli.given("seeds")) {
    const int64_t seeds = cli.integer("seeds");
    if (seeds < 1) throw UsageError(str_cat("--seeds: expected >= 1, got ", seeds));
    config["study"]["seeds"] = seeds;
  }
  validate_study_config(config);
  return config;
}

std::string path_file(const std::string& out, int64_t seed) {
  return str_cat(out, "/path_seed", seed, ".h5");
}

// A stale path file is refused before any run, not after the first baseline.
void check_existing_paths(const std::string& out, const nlohmann::json& config) {
  const int64_t seeds = config.at("study").at("seeds");
  for (int64_t seed = 0; seed < seeds; ++seed) {
    if (!std::filesystem::exists(path_file(out, seed))) continue;
    check_path_matches(PathReader(path_file(out, seed)),
                       degradation_options(config.at("degradation"), seed),
                       config.at("generator").at("sigma_init"));
  }
}

// Writes config.json, summary.json and table.md of a finished study.
void tabulate(const std::string& out, const nlohmann::json& config, const std::string& problem,
              const std::map<std::string, MethodCurves>& curves, const nlohmann::json& switches) {
  for (const char* method : {"baseline", "disback"}) {
    DISBACK_CHECK(curves.count(method), out, "/curves.jsonl has no ", method, " rows");
  }
  const nlohmann::json& study = config.at("study");
  const double tolerance = study.at("tolerance");
  const SpeedUp result =
      compare_convergence(curves.at("baseline"), curves.at("disback"), tolerance);
  const int64_t seeds = curves.at("disback").per_seed.size();
  const std::string table = speedup_table(study.at("label"), metric_name(problem), result, seeds);
  write_text_atomically(out + "/config.json", config.dump(2) + "\n");
  write_text_atomically(out + "/table.md", table);
  write_text_atomically(out + "/summary.json",
                        nlohmann::json{{"problem", problem},
                                       {"label", study.at("label")},
                                       {"metric", metric_name(problem)},
                                       {"seeds", seeds},
                                       {"tolerance", tolerance},
                                       {"disback_switch_iterations", switches},
                                       {"result", result.to_json()}}
                            .dump(2));
  std::cout << table;
}

// Runs both methods for every seed; returns their curves and DisBack's
// switch iterations by seed.
std::pair<std::map<std::string, MethodCurves>, nlohmann::json> run_study(const Problem& problem,
                                                                         const std::string& out,
                                                                         int64_t seeds) {
  // Rows are appended as runs finish (a long study can be watched); they
  // replace an earlier study's curves only when this one is complete.
  const std::string curves_file = out + "/curves.jsonl";
  std::ofstream rows(curves_file + ".partial");
  std::map<std::string, MethodCurves> curves;
  nlohmann::json switches = nlohmann::json::object();
  for (int64_t seed = 0; seed < seeds; ++seed) {
    for (const bool with_path : {false, true}) {
      const std::string method = with_path ? "disback" : "baseline";
      const std::string path = with_path ? path_file(out, seed) : std::string();
      const ToyCurve curve = problem.run(seed, path);
      curves[method].iterations = curve.iterations;
      curves[method].per_seed.push_back(curve.distance);
      if (with_path) switches[std::to_string(seed)] = curve.switches;
      for (size_t i = 0; i < curve.iterations.size(); ++i) {
        rows << nlohmann::json{{"method", method},
                               {"seed", seed},
                               {"iteration", curve.iterations[i]},
                               {problem.metric, curve.distance[i]}}
                    .dump()
             << std::endl;
      }
      log_info(method, " seed ", seed, ": ", problem.metric, " ", curve.distance.front(), " -> ",
               curve.distance.back());
    }
  }
  rows.close();
  std::filesystem::rename(curves_file + ".partial", curves_file);
  return {curves, switches};
}

}  // namespace

int study_command(int argc, char** argv) {
  CommandLine cli("study",
                  "Compare DisBack with plain score distillation over several seeds: quality "
                  "against iteration as JSONL, and a table with the speed-up.");
  cli.option("problem", "toy (2-D Gaussian mixture) or fmnist (Fashion-MNIST 16x16)", "toy")
      .required("config", "JSON file overriding the problem's study config (see --print-config)")
      .option("set", "Overrides, e.g. backtrack.iterations=800,study.eval_every=25", "")
      .required("seeds", "Number of seeds (0, 1, ...); overrides study.seeds")
      .flag("print-config", "Print the study config that would run, and exit")
      .flag("tabulate-only",
            "Recompute summary.json and table.md from --out's curves.jsonl (e.g. with another "
            "study.tolerance) without running anything")
      .option("teacher", "fmnist: teacher model file", "models/fmnist16_teacher.h5")
      .option("classifier", "fmnist: FID detector", kDefaultClassifierPath)
      .required("out", "Folder for config.json, curves.jsonl, summary.json and table.md");
  add_runtime_options(cli);
  if (!cli.parse(argc, argv)) return 0;
  apply_runtime_options(cli);
  const std::string problem_name = cli.text("problem");
  if (problem_name != "toy" && problem_name != "fmnist") {
    throw UsageError(str_cat("--problem: expected toy or fmnist, got '", problem_name, "'"));
  }
  const nlohmann::json config = study_config(cli);
  if (cli.enabled("print-config")) {
    std::cout << config.dump(2) << "\n";
    return 0;
  }
  const std::string out = cli.text("out");
  if (cli.enabled("tabulate-only")) {
    nlohmann::json switches = nlohmann::json::object();
    if (std::filesystem::exists(out + "/summary.json")) {
      switches = read_json_file(out + "/summary.json").value("disback_switch_iterations", switches);
    }
    tabulate(out, config, problem_name,
             read_study_curves(out + "/curves.jsonl", metric_name(problem_name)), switches);
    return 0;
  }
  check_existing_paths(out, config);
  const Problem problem = problem_name == "toy" ? toy_problem(config) : fmnist_problem(cli, config);
  std::filesystem::create_directories(out);
  const auto [curves, switches] = run_study(problem, out, config.at("study").at("seeds"));
  tabulate(out, config, problem_name, curves, switches);
  return 0;
}

}  // namespace disback::cli
