#include "pipeline/toy.h"

#include <filesystem>

#include "common/log.h"

namespace disback {

ToyOptions toy_defaults() {
  ToyOptions options;
  options.degradation.num_checkpoints = 4;
  options.degradation.interval = 150;
  options.degradation.batch_size = 256;
  options.degradation.learning_rate = 1e-3;
  options.backtrack.iterations = 1200;
  options.backtrack.batch_size = 256;
  options.backtrack.generator_lr = 1e-3;
  options.backtrack.fake_lr = 1e-3;
  options.backtrack.holdout_size = 512;
  options.backtrack.switching.iterations_per_target = 100;
  options.backtrack.switching.check_every = 20;
  options.backtrack.switching.min_iterations = 40;
  options.backtrack.switching.max_iterations = 200;
  return options;
}

DenoiserPtr train_toy_teacher(const ToyOptions& options) {
  torch::manual_seed(options.seed);
  auto teacher = std::make_shared<Denoiser>(nlohmann::json{
      {"model_type", "MlpNet"}, {"img_channels", 2}, {"hidden", 128}, {"num_layers", 3}});
  teacher->train();
  torch::optim::Adam optimizer(teacher->parameters(),
                               torch::optim::AdamOptions(options.teacher_lr));
  for (int64_t step = 1; step <= options.teacher_iterations; ++step) {
    const torch::Tensor loss =
        edm_loss(*teacher, options.data.sample(options.teacher_batch), {}, EdmLossOptions{});
    check_finite(loss, "toy teacher loss", step);
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
  }
  teacher->eval();
  return teacher;
}

double toy_distance(const OneStepGenerator& generator, const ToyOptions& options) {
  torch::NoGradGuard no_grad;
  auto stream = at::detail::createCPUGenerator(options.seed + 101);
  const torch::Tensor samples = generator(torch::randn({options.eval_samples, 2}, stream));
  const torch::Tensor data = options.data.sample(options.eval_samples, stream);
  return sliced_wasserstein(samples, data, 256, options.seed);
}

ToyCurve distill_toy(const Denoiser& teacher, const std::optional<std::string>& path_file,
                     const ToyOptions& options) {
  std::shared_ptr<PathReader> path;
  if (path_file) {
    if (!std::filesystem::exists(*path_file)) {
      DegradationOptions degradation = options.degradation;
      degradation.seed = options.seed;
      DegradationRecorder recorder(teacher, {teacher.clone(), options.sigma_init}, degradation,
                                   *path_file);
      while (!recorder.finished()) recorder.step();
      recorder.finish();
    }
    path = std::make_shared<PathReader>(*path_file);
  }
  BacktrackOptions backtrack = options.backtrack;
  backtrack.seed = options.seed;
  Backtracker backtracker(teacher, {teacher.clone(), options.sigma_init}, path, backtrack);

  ToyCurve curve;
  curve.iterations.push_back(0);
  curve.distance.push_back(toy_distance(backtracker.ema_generator(), options));
  while (!backtracker.finished()) {
    if (backtracker.step().at("switched") != 0) curve.switches.push_back(backtracker.iteration());
    if (backtracker.iteration() % options.eval_every == 0) {
      curve.iterations.push_back(backtracker.iteration());
      curve.distance.push_back(toy_distance(backtracker.ema_generator(), options));
    }
  }
  return curve;
}

}  // namespace disback
