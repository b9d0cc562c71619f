#include "facade.h"

#include <ATen/CPUGeneratorImpl.h>

#include <filesystem>

#include "common/error.h"
#include "common/progress.h"
#include "common/run_dir.h"
#include "data/fashion_mnist.h"
#include "nn/presets.h"
#include "pipeline/config.h"
#include "pipeline/pipeline.h"

namespace disback::facade {

std::string shape_text(c10::IntArrayRef shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    text += (i ? ", " : "") + std::to_string(shape[i]);
  }
  return text + "]";
}

namespace {

// "[N, 1, 16, 16]": the shape a batch of samples must have.
std::string batch_shape_text(c10::IntArrayRef sample_shape) {
  std::string text = "[N";
  for (const int64_t size : sample_shape) text += ", " + std::to_string(size);
  return text + "]";
}

void check_floating(const torch::Tensor& x, const std::string& what) {
  DISBACK_CHECK(x.defined(), what, ": expected a tensor, got none");
  DISBACK_CHECK(x.is_floating_point(), what, ": expected a floating-point tensor, got dtype ",
                x.scalar_type());
}

}  // namespace

torch::Device device_of(const torch::nn::Module& module) {
  const auto parameters = module.parameters();
  return parameters.empty() ? torch::Device(torch::kCPU) : parameters.front().device();
}

void check_batch(const torch::Tensor& x, c10::IntArrayRef sample_shape, torch::Device device,
                 const std::string& what) {
  check_floating(x, what);
  const bool shape_ok = x.dim() == static_cast<int64_t>(sample_shape.size()) + 1 &&
                        x.sizes().slice(1) == sample_shape;
  DISBACK_CHECK(shape_ok, what, ": expected shape ", batch_shape_text(sample_shape), ", got ",
                shape_text(x.sizes()));
  DISBACK_CHECK(x.size(0) >= 1, what, ": expected at least one sample, got an empty batch");
  DISBACK_CHECK(x.device() == device, what, ": expected a tensor on ", device,
                " (the model's device), got one on ", x.device());
}

void check_images(const torch::Tensor& images, const std::string& what, int64_t min_count) {
  check_floating(images, what);
  DISBACK_CHECK(images.dim() == 4, what, ": expected images [N, C, H, W], got shape ",
                shape_text(images.sizes()));
  DISBACK_CHECK(images.size(1) == 1 || images.size(1) == 3, what,
                ": expected 1 or 3 channels, got ", images.size(1));
  DISBACK_CHECK(images.size(0) >= min_count, what, ": expected at least ", min_count,
                " images, got ", images.size(0));
}

void check_features(const torch::Tensor& features, const std::string& what) {
  check_floating(features, what);
  DISBACK_CHECK(features.dim() == 2, what, ": expected features [N, D], got shape ",
                shape_text(features.sizes()));
  DISBACK_CHECK(features.size(0) >= 2, what, ": expected at least 2 rows, got ", features.size(0));
}

torch::Tensor checked_sigma(const torch::Tensor& sigma, int64_t n, torch::Device device,
                            const std::string& what) {
  check_floating(sigma, what);
  DISBACK_CHECK(sigma.dim() == 0 || (sigma.dim() == 1 && sigma.size(0) == n), what,
                ": expected a scalar or shape [", n, "], got ", shape_text(sigma.sizes()));
  DISBACK_CHECK(sigma.device() == device || sigma.dim() == 0, what, ": expected a tensor on ",
                device, ", got one on ", sigma.device());
  const double smallest = sigma.min().item<double>();
  DISBACK_CHECK(smallest > 0, what, ": expected every noise level > 0, got ", smallest);
  return sigma.to(device);
}

torch::Tensor checked_labels(const torch::Tensor& labels, int64_t n, int64_t label_dim,
                             torch::Device device, const std::string& what) {
  if (!labels.defined()) return labels;
  DISBACK_CHECK(label_dim > 0, what, ": the model is unconditional (label_dim 0), ",
                "but labels were given");
  DISBACK_CHECK(labels.device() == device, what, ": expected a tensor on ", device,
                " (the model's device), got one on ", labels.device());
  if (!labels.is_floating_point()) {
    DISBACK_CHECK(labels.dim() == 1 && labels.size(0) == n, what,
                  ": expected integer class indices of shape [", n, "], got ",
                  shape_text(labels.sizes()));
    if (n > 0) {
      const int64_t low = labels.min().item<int64_t>(), high = labels.max().item<int64_t>();
      DISBACK_CHECK(low >= 0 && high < label_dim, what, ": class indices must lie in [0, ",
                    label_dim, "), got ", low, "..", high);
    }
    return one_hot_labels(labels, label_dim);
  }
  DISBACK_CHECK(labels.dim() == 2 && labels.size(0) == n && labels.size(1) == label_dim, what,
                ": expected one-hot labels of shape [", n, ", ", label_dim, "], got ",
                shape_text(labels.sizes()));
  return labels;
}

// Models.

nlohmann::json preset(const std::string& name) { return network_preset(name); }

DenoiserPtr make_denoiser(const nlohmann::json& config_or_preset, std::optional<uint64_t> seed) {
  nlohmann::json config = config_or_preset;
  if (config.is_string()) config = preset(config.get<std::string>());
  DISBACK_CHECK(config.is_object(), "Denoiser: expected a config dict or a preset name, got ",
                config.dump());
  if (seed) torch::manual_seed(*seed);
  auto denoiser = std::make_shared<Denoiser>(config);
  denoiser->eval();
  return denoiser;
}

torch::Tensor denoise(Denoiser& denoiser, const torch::Tensor& x, const torch::Tensor& sigma,
                      const torch::Tensor& labels) {
  const torch::Device device = device_of(denoiser);
  check_batch(x, denoiser.sample_shape(), device, "Denoiser: x");
  const int64_t n = x.size(0);
  return denoiser.forward(
      x, checked_sigma(sigma, n, device, "Denoiser: sigma"),
      checked_labels(labels, n, denoiser.label_dim(), device, "Denoiser: labels"));
}

torch::Tensor generate_one_step(const OneStepGenerator& generator, const torch::Tensor& z,
                                const torch::Tensor& labels) {
  DISBACK_CHECK(generator.network != nullptr, "OneStepGenerator: it has no network");
  DISBACK_CHECK(generator.sigma_init > 0, "OneStepGenerator: expected sigma_init > 0, got ",
                generator.sigma_init);
  const Denoiser& network = *generator.network;
  const torch::Device device = device_of(network);
  check_batch(z, network.sample_shape(), device, "OneStepGenerator: z");
  return generator(z, checked_labels(labels, z.size(0), network.label_dim(), device,
                                     "OneStepGenerator: labels"));
}

std::vector<std::pair<std::string, torch::Tensor>> named_tensors(const Denoiser& denoiser,
                                                                 bool buffers) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  const auto items = buffers ? denoiser.named_buffers() : denoiser.named_parameters();
  for (const auto& item : items) out.emplace_back(item.key(), item.value());
  return out;
}

// Training.

TeacherRun train_teacher(const DenoiserPtr& denoiser, const torch::Tensor& data,
                         const torch::Tensor& labels, const TeacherTrainOptions& options,
                         const std::string& run_root, const std::string& run_name) {
  DISBACK_CHECK(denoiser != nullptr, "train_teacher: got no denoiser");
  const torch::Device device = device_of(*denoiser);
  check_batch(data, denoiser->sample_shape(), device, "train_teacher: data");
  DISBACK_CHECK(!options.conditional || labels.defined(),
                "train_teacher: conditional training needs labels");
  torch::Tensor classes = labels;
  if (classes.defined()) {
    DISBACK_CHECK(
        !classes.is_floating_point() && classes.dim() == 1 && classes.size(0) == data.size(0),
        "train_teacher: expected integer labels of shape [", data.size(0), "], got ",
        classes.scalar_type(), " ", shape_text(classes.sizes()));
  } else {
    classes = torch::zeros({data.size(0)}, torch::TensorOptions(torch::kInt64).device(device));
  }
  const RunDir run = RunDir::create(run_root, run_name);
  run.save_options({{"command", "python train_teacher"},
                    {"network", denoiser->config()},
                    {"training", options.to_json()}});
  TeacherRun result;
  result.teacher =
      disback::train_teacher(denoiser, data.to(torch::kFloat32), classes, options, run);
  result.run_dir = run.path();
  return result;
}

// Sampling.

SampleResult sample(const Sampler& sampler, const DenoiseFn& denoise,
                    std::optional<std::vector<int64_t>> sample_shape,
                    std::optional<torch::Device> device, int64_t label_dim,
                    const torch::Tensor& latents, const torch::Tensor& labels,
                    std::optional<uint64_t> noise_seed, const StepCallback& callback) {
  const std::string what = "sample (" + sampler.name() + "): ";
  check_floating(latents, what + "latents");
  DISBACK_CHECK(latents.dim() >= 2 && latents.size(0) >= 1, what,
                "latents: expected a batch [N, ...] with N >= 1, got shape ",
                shape_text(latents.sizes()));
  if (sample_shape) check_batch(latents, *sample_shape, *device, what + "latents");
  const torch::Tensor one_hot =
      checked_labels(labels, latents.size(0), label_dim, latents.device(), what + "labels");
  NoiseFn noise;
  if (noise_seed) {
    auto generator = at::detail::createCPUGenerator(*noise_seed);
    const std::vector<int64_t> shape = latents.sizes().vec();
    const torch::Device target = latents.device();
    noise = [generator, shape, target]() {
      return torch::randn(shape, generator, torch::TensorOptions(torch::kFloat64)).to(target);
    };
  }
  return sampler.sample(denoise, latents, one_hot, noise, callback);
}

GeneratedSamples generate(const Sampler& sampler, const DenoiserPtr& denoiser,
                          const GenerateOptions& options) {
  DISBACK_CHECK(denoiser != nullptr, "generate: got no denoiser");
  const torch::Device device = device_of(*denoiser);
  DISBACK_CHECK(device == options.device, "generate: the model is on ", device, " but device ",
                options.device, " was asked for; move it with .to(...) first");
  return generate_samples(sampler, denoiser, options);
}

// Degradation and backtracking.

nlohmann::json record_degradation(const Denoiser& teacher, const OneStepGenerator& initial,
                                  const DegradationOptions& options, const std::string& path_file,
                                  const nlohmann::json& provenance, const StepHook& hook,
                                  bool progress) {
  DISBACK_CHECK(initial.network != nullptr, "record_degradation: the generator has no network");
  DegradationRecorder recorder(teacher, initial, options, path_file, provenance);
  ProgressMeter meter("degradation", recorder.total_steps());
  while (!recorder.finished()) {
    const auto metrics = recorder.step();
    if (progress) meter.update(recorder.steps_done(), {{"loss", metrics.at("loss")}});
    if (hook) hook(metrics);
  }
  return recorder.finish();
}

std::vector<StepMetrics> run_backtracking(Backtracker& backtracker, const StepHook& hook,
                                          bool progress) {
  std::vector<StepMetrics> history;
  ProgressMeter meter("backtrack", backtracker.options().iterations);
  while (!backtracker.finished()) {
    history.push_back(backtracker.step());
    const StepMetrics& metrics = history.back();
    if (progress) {
      meter.update(backtracker.iteration(),
                   {{"target", double(backtracker.target_index())},
                    {"generator_loss",
                     metrics.count("generator_loss") ? metrics.at("generator_loss") : 0.0}});
    }
    if (hook) hook(metrics);
  }
  return history;
}

// Evaluation.

SampleFn generator_sample_fn(const OneStepGenerator& generator, uint64_t seed) {
  DISBACK_CHECK(generator.network != nullptr, "evaluate: the generator has no network");
  auto stream = at::detail::createCPUGenerator(seed);
  return [generator, stream](int64_t count) {
    torch::NoGradGuard no_grad;
    std::vector<int64_t> shape = generator.network->sample_shape();
    shape.insert(shape.begin(), count);
    const torch::Tensor z = torch::randn(shape, stream, torch::TensorOptions(torch::kFloat32));
    return generator(z.to(device_of(*generator.network)));
  };
}

SampleFn checked_sample_fn(SampleFn sample) {
  return [sample = std::move(sample)](int64_t count) {
    const torch::Tensor images = sample(count);
    check_images(images, "evaluate: the sample function's result");
    DISBACK_CHECK(images.size(0) == count, "evaluate: the sample function was asked for ", count,
                  " samples and returned ", images.size(0));
    return images;
  };
}

// The pipeline.

nlohmann::json run_pipeline(const nlohmann::json& overrides) {
  const nlohmann::json config =
      merge_config(default_pipeline_config(),
                   overrides.is_null() ? nlohmann::json::object() : overrides, "run_pipeline");
  return disback::run_pipeline(config);
}

}  // namespace disback::facade
