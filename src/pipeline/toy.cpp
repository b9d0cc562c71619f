#include "pipeline/toy.h"

#include "common/log.h"
#include "pipeline/config.h"
#include "pipeline/study.h"

namespace disback {

ToyOptions toy_defaults() { return toy_options(default_study_config("toy")); }

ToyOptions toy_options(const nlohmann::json& study_config, uint64_t seed) {
  ToyOptions options;
  options.seed = seed;
  options.sigma_init = study_config.at("generator").at("sigma_init").get<double>();
  options.degradation = degradation_options(study_config.at("degradation"), seed);
  options.backtrack = backtrack_options(study_config.at("backtrack"), seed);
  // Eight modes need more held-out noise than an image batch for a steady
  // discrepancy reading.
  options.backtrack.holdout_size = 512;
  const nlohmann::json& study = study_config.at("study");
  options.eval_every = study.at("eval_every").get<int64_t>();
  options.eval_samples = study.at("eval_samples").get<int64_t>();
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

ToyCurve trace_quality(Backtracker& backtracker, int64_t eval_every,
                       const std::function<double(const OneStepGenerator&)>& quality) {
  ToyCurve curve{{backtracker.iteration()}, {quality(backtracker.ema_generator())}, {}};
  while (!backtracker.finished()) {
    if (backtracker.step().at("switched") != 0) curve.switches.push_back(backtracker.iteration());
    if (backtracker.iteration() % eval_every == 0 || backtracker.finished()) {
      curve.iterations.push_back(backtracker.iteration());
      curve.distance.push_back(quality(backtracker.ema_generator()));
    }
  }
  return curve;
}

ToyCurve distill_toy(const Denoiser& teacher, const std::optional<std::string>& path_file,
                     const ToyOptions& options) {
  std::shared_ptr<PathReader> path;
  if (path_file) {
    DegradationOptions degradation = options.degradation;
    degradation.seed = options.seed;
    path = open_or_record_path(teacher, {teacher.clone(), options.sigma_init}, degradation,
                               *path_file);
  }
  BacktrackOptions backtrack = options.backtrack;
  backtrack.seed = options.seed;
  Backtracker backtracker(teacher, {teacher.clone(), options.sigma_init}, path, backtrack);

  return trace_quality(backtracker, options.eval_every, [&](const OneStepGenerator& generator) {
    return toy_distance(generator, options);
  });
}

}  // namespace disback
