#include "pipeline/pipeline.h"

#include <filesystem>

#include "common/log.h"
#include "common/progress.h"
#include "common/run_dir.h"
#include "data/fashion_mnist.h"
#include "io/image_grid.h"
#include "metrics/classifier.h"
#include "metrics/evaluator.h"
#include "nn/model_file.h"
#include "nn/presets.h"
#include "pipeline/config.h"
#include "pipeline/distill.h"
#include "samplers/generate.h"
#include "training/teacher_trainer.h"

namespace disback {
namespace {

struct StageTimer {
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
};

DenoiserPtr obtain_teacher(const nlohmann::json& config, const RunDir& run) {
  const auto& section = config.at("teacher");
  const std::string file = section.at("file").get<std::string>();
  if (std::filesystem::exists(file)) {
    log_info("teacher: loading ", file);
    return load_denoiser(file);
  }
  log_info("teacher: '", file, "' does not exist; training one (", section.at("iterations"),
           " iterations)");
  nlohmann::json network;
  try {
    network = network_preset(section.at("arch"));
  } catch (const Error& error) {
    throw Error(str_cat("config teacher.arch: ", error.what()));
  }
  const ImageDataset data =
      load_fashion_mnist(config.at("data").at("dir"), "train", config.at("data").at("resolution"));
  DISBACK_CHECK(network.value("img_channels", 0) == data.images.size(1), "config teacher.arch '",
                section.at("arch").get<std::string>(), "' makes ", network.value("img_channels", 0),
                "-channel images; Fashion-MNIST has ", data.images.size(1));
  network["img_resolution"] = data.images.size(-1);  // the preset's layout at data.resolution
  TeacherTrainOptions options;
  options.iterations = section.at("iterations");
  options.batch_size = section.at("batch_size");
  options.learning_rate = section.at("learning_rate");
  options.ema_half_life_samples = 20000;
  options.seed = config.at("seed");
  DenoiserPtr teacher =
      train_teacher(std::make_shared<Denoiser>(network), data.images, data.labels, options, run);
  std::filesystem::create_directories(std::filesystem::path(file).parent_path());
  save_denoiser(file, *teacher, read_model_metadata(run.file("teacher.h5")));
  return teacher;
}

nlohmann::json evaluate_and_draw(Evaluator& evaluator, const torch::Tensor& images,
                                 const std::string& name, const RunDir& run, int64_t grid) {
  save_image_grid(run.file(name + ".png"), images.slice(0, 0, std::min(grid, images.size(0))));
  const EvalResult result = evaluator.evaluate_images(images);
  log_info(name, ": ", result.summary());
  return result.to_json();
}

void print_summary(const nlohmann::json& results) {
  log_info("");
  log_info("DisBack on Fashion-MNIST, FID with the detector '",
           results.at("detector").get<std::string>(), "' (", results.at("eval_samples"),
           " samples against the training split)");
  char line[160];
  for (const char* name : {"teacher", "initial_generator", "distilled_generator"}) {
    const auto& entry = results.at(name);
    std::snprintf(line, sizeof(line), "  %-20s NFE %3lld   FID %8.3f", name,
                  static_cast<long long>(entry.at("nfe").get<int64_t>()),
                  entry.at("fid").get<double>());
    log_info(line);
  }
  for (const auto& [stage, seconds] : results.at("stage_seconds").items()) {
    log_info("  stage ", stage, ": ", format_duration(seconds.get<double>()));
  }
}

}  // namespace

nlohmann::json run_pipeline(const nlohmann::json& config) {
  const uint64_t seed = config.at("seed");
  const auto& eval = config.at("eval");
  const int64_t samples = eval.at("samples"), grid = eval.at("grid");
  RunDir run = RunDir::create(config.at("out"), "disback");
  run.save_options(config);
  log_info("run folder: ", run.path());
  torch::manual_seed(seed);
  nlohmann::json results = {{"run", run.path()}, {"eval_samples", samples}};
  nlohmann::json& seconds = results["stage_seconds"] = nlohmann::json::object();

  StageTimer timer;
  const DenoiserPtr teacher = obtain_teacher(config, run);
  seconds["teacher"] = timer.seconds();

  timer = {};
  const std::string classifier = config.at("classifier").at("file");
  DISBACK_CHECK(std::filesystem::exists(classifier), "classifier '", classifier,
                "' does not exist; train it with 'disback train-classifier --output ", classifier,
                "'");
  FeatureExtractorPtr detector = load_classifier_detector(classifier);
  FeatureStatistics reference = fashion_mnist_statistics(
      *detector, "train", config.at("data").at("resolution"), config.at("data").at("dir"));
  Evaluator evaluator(detector, reference, EvalOptions{});
  results["detector"] = detector->name();
  seconds["reference_statistics"] = timer.seconds();

  // The teacher's multi-step samples: the quality bar.
  timer = {};
  SamplerOptions sampler_options;
  sampler_options.num_steps = eval.at("teacher_steps");
  const SamplerPtr sampler = make_sampler(eval.at("teacher_sampler"), sampler_options);
  GenerateOptions generate;
  generate.count = samples;
  generate.seed = seed;
  const GeneratedSamples teacher_samples = generate_samples(*sampler, teacher, generate);
  results["teacher"] = evaluate_and_draw(evaluator, teacher_samples.images, "teacher", run, grid);
  results["teacher"]["nfe"] = teacher_samples.nfe;
  results["teacher"]["sampler"] = sampler->name();
  seconds["teacher_samples"] = timer.seconds();

  // G_0: the teacher's one-step guess from pure noise.
  timer = {};
  const double sigma_init = config.at("generator").at("sigma_init");
  const OneStepGenerator initial{teacher->clone(), sigma_init};
  results["initial_generator"] = evaluate_and_draw(
      evaluator, generator_sampler(initial, seed + 1)(samples), "initial_generator", run, grid);
  results["initial_generator"]["nfe"] = 1;
  seconds["initial_generator"] = timer.seconds();

  timer = {};
  const std::string path_file = run.file("path.h5");
  record_degradation(*teacher, initial, degradation_options(config.at("degradation"), seed),
                     path_file, {{"teacher", config.at("teacher").at("file")}});
  seconds["degradation"] = timer.seconds();
  results["path_file_bytes"] = std::filesystem::file_size(path_file);

  timer = {};
  Backtracker backtracker(*teacher, {teacher->clone(), sigma_init},
                          std::make_shared<PathReader>(path_file),
                          backtrack_options(config.at("backtrack"), seed));
  DistillJobOptions job;
  job.eval_every = eval.at("every");
  job.checkpoint_every = config.at("backtrack").at("checkpoint_every");
  const int64_t every_samples = eval.at("every_samples");
  job.evaluate = [&](const OneStepGenerator& generator) {
    return std::map<std::string, double>{
        {"fid", generator_fid(detector, reference, generator, every_samples, seed + 2)}};
  };
  run_distillation(backtracker, run, job);
  const OneStepGenerator distilled = backtracker.ema_generator();
  save_generator(run.file("generator.h5"), distilled,
                 {{"teacher", config.at("teacher").at("file")},
                  {"path", path_file},
                  {"iterations", backtracker.iteration()}});
  seconds["backtracking"] = timer.seconds();

  timer = {};
  results["distilled_generator"] = evaluate_and_draw(
      evaluator, generator_sampler(distilled, seed + 1)(samples), "distilled_generator", run, grid);
  results["distilled_generator"]["nfe"] = 1;
  seconds["final_evaluation"] = timer.seconds();

  write_text_atomically(run.file("results.json"), results.dump(2) + "\n");
  print_summary(results);
  return results;
}

}  // namespace disback
