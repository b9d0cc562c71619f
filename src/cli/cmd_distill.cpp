// disback distill: backtracking along a degradation path (DisBack stage 2),
// or plain score distillation against the teacher (--path omitted).
#include <filesystem>

#include "backtrack/backtracker.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/json_flags.h"
#include "common/log.h"
#include "common/run_dir.h"
#include "metrics/classifier.h"
#include "metrics/evaluator.h"
#include "nn/model_file.h"
#include "pipeline/config.h"
#include "pipeline/distill.h"

namespace disback::cli {
namespace {

GeneratorEvaluation fid_evaluation(const CommandLine& cli) {
  if (cli.integer("eval-every") <= 0) return {};
  auto detector = load_classifier_detector(cli.text("classifier"));
  auto reference = std::make_shared<FeatureStatistics>(
      fashion_mnist_statistics(*detector, "train", cli.integer("resolution"), cli.text("data")));
  const int64_t count = cli.integer("eval-samples");
  const uint64_t seed = cli.integer("seed") + 2;
  return [detector, reference, count, seed](const OneStepGenerator& generator) {
    return std::map<std::string, double>{
        {"fid", generator_fid(detector, *reference, generator, count, seed)}};
  };
}

}  // namespace

int distill_command(int argc, char** argv) {
  nlohmann::json defaults = default_pipeline_config().at("backtrack");
  CommandLine cli("distill",
                  "Distil a one-step generator. With --path: DisBack backtracking from s_N to the "
                  "teacher. Without: plain score distillation against the teacher (baseline).");
  cli.option("teacher", "Teacher model file", "models/fmnist16_teacher.h5")
      .option("path", "Degradation path file (empty: baseline)", "")
      .option("sigma-init", "Noise level of the generator", "2.5")
      .option("resume", "Continue from this checkpoint.h5 of an earlier run", "")
      .option("out", "Folder that receives the numbered run folder", "runs")
      .option("eval-every", "Iterations between FID evaluations (0: off)", "0")
      .option("eval-samples", "Samples per in-training FID", "500")
      .option("classifier", "FID detector model file", kDefaultClassifierPath)
      .option("data", "Fashion-MNIST folder (reference statistics)", kDefaultFashionMnistDir)
      .option("resolution", "Resolution of the reference statistics", "16");
  add_json_flags(cli, "backtrack", defaults);
  add_runtime_options(cli);
  if (!cli.parse(argc, argv)) return 0;
  apply_runtime_options(cli);

  const nlohmann::json section = read_json_flags(cli, defaults);
  BacktrackOptions options;
  try {
    options = backtrack_options(section, cli.integer("seed"));
  } catch (const UsageError&) {
    throw;
  } catch (const Error& error) {
    throw UsageError(error.what());
  }
  const double sigma_init = cli.real("sigma-init");
  if (!(sigma_init > 0)) throw UsageError(str_cat("--sigma-init: expected > 0, got ", sigma_init));

  const DenoiserPtr teacher = load_denoiser(cli.text("teacher"));
  std::shared_ptr<PathReader> path;
  if (!cli.text("path").empty()) path = std::make_shared<PathReader>(cli.text("path"));
  RunDir run = RunDir::create(cli.text("out"), path ? "disback" : "baseline");
  run.save_options(
      {{"command", "distill"}, {"cli", cli.resolved()}, {"backtrack", options.to_json()}});
  Backtracker backtracker(*teacher, {teacher->clone(), sigma_init}, path, options);
  if (!cli.text("resume").empty()) {
    backtracker.load_checkpoint(cli.text("resume"));
    log_info("resumed from ", cli.text("resume"), " at iteration ", backtracker.iteration());
  }
  DistillJobOptions job;
  job.eval_every = cli.integer("eval-every");
  job.evaluate = fid_evaluation(cli);
  job.checkpoint_every = section.at("checkpoint_every");
  job.label = path ? "backtrack" : "baseline";
  run_distillation(backtracker, run, job);
  save_generator(run.file("generator.h5"), backtracker.ema_generator(),
                 {{"teacher", cli.text("teacher")},
                  {"path", cli.text("path")},
                  {"iterations", backtracker.iteration()}});
  log_info("generator saved to ", run.file("generator.h5"));
  return 0;
}

}  // namespace disback::cli
