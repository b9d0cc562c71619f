// The narrow surface the Python bindings see: the library's public option
// structs and classes, plus checked entry points that validate device, dtype
// and shape before any work and drive the long loops one step at a time.
// Nothing here knows about Python; the bindings add the GIL and Ctrl-C.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "backtrack/backtracker.h"
#include "common/error.h"
#include "degradation/degradation_path.h"
#include "degradation/recorder.h"
#include "metrics/evaluator.h"
#include "nn/denoiser.h"
#include "nn/generator.h"
#include "pipeline/toy.h"
#include "samplers/generate.h"
#include "samplers/sampler.h"
#include "training/teacher_trainer.h"

namespace disback::facade {

/// Called after every step of a loop the facade drives (with that step's
/// metrics); it may throw to stop the loop (Ctrl-C in Python).
using StepHook = std::function<void(const std::map<std::string, double>& metrics)>;

// Checks of what Python passes in.

/// "[4, 1, 16, 16]".
std::string shape_text(c10::IntArrayRef shape);
/// The device of a module's first parameter (CPU for a module without any).
torch::Device device_of(const torch::nn::Module& module);
/// `x` must be a floating tensor [N, sample_shape...] (N >= 1) on `device`.
/// `what` names the argument and the call, e.g. "sample: latents".
void check_batch(const torch::Tensor& x, c10::IntArrayRef sample_shape, torch::Device device,
                 const std::string& what);
/// Images [N, C, H, W], floating, N >= `min_count`.
void check_images(const torch::Tensor& images, const std::string& what, int64_t min_count = 1);
/// Features [N, D], floating, N >= 2.
void check_features(const torch::Tensor& features, const std::string& what);

/// Noise levels for a batch of `n` on `device`: a 0-d or [n] floating
/// tensor, every value > 0.
torch::Tensor checked_sigma(const torch::Tensor& sigma, int64_t n, torch::Device device,
                            const std::string& what);
/// Class labels for a batch of `n`: undefined stays undefined; int64 [n]
/// class indices become one-hot [n, label_dim]; floating [n, label_dim]
/// one-hot rows pass through. Errors for labels given to an unconditional model.
torch::Tensor checked_labels(const torch::Tensor& labels, int64_t n, int64_t label_dim,
                             torch::Device device, const std::string& what);

// Models.

/// A fresh denoiser from an architecture config or a preset name (fmnist16,
/// toy2d, ddpmpp64, adm64, or a .json file), seeded with `seed` when given.
DenoiserPtr make_denoiser(const nlohmann::json& config_or_preset,
                          std::optional<uint64_t> seed = std::nullopt);
nlohmann::json preset(const std::string& name);

/// D(x; sigma) with the checks above.
torch::Tensor denoise(Denoiser& denoiser, const torch::Tensor& x, const torch::Tensor& sigma,
                      const torch::Tensor& labels);
/// G(z) with the checks above.
torch::Tensor generate_one_step(const OneStepGenerator& generator, const torch::Tensor& z,
                                const torch::Tensor& labels);
/// Named parameters and buffers, sharing storage with the module.
std::vector<std::pair<std::string, torch::Tensor>> named_tensors(const Denoiser& denoiser,
                                                                 bool buffers);

// Training.

struct TeacherRun {
  DenoiserPtr teacher;  // the EMA weights
  std::string run_dir;  // the numbered run folder (teacher.h5, metrics.jsonl)
};

/// Trains `denoiser` on `data` [N, sample_shape...] (float, on the model's
/// device); `labels` [N] int64 or undefined (zeros; required when conditional).
TeacherRun train_teacher(const DenoiserPtr& denoiser, const torch::Tensor& data,
                         const torch::Tensor& labels, const TeacherTrainOptions& options,
                         const std::string& run_root, const std::string& run_name);

// Sampling.

/// Runs `sampler` on latents [N, sample_shape...]. `noise_seed` seeds the
/// noise of stochastic samplers (else LibTorch's default generator).
SampleResult sample(const Sampler& sampler, const DenoiseFn& denoise,
                    std::optional<std::vector<int64_t>> sample_shape,
                    std::optional<torch::Device> device, int64_t label_dim,
                    const torch::Tensor& latents, const torch::Tensor& labels,
                    std::optional<uint64_t> noise_seed, const StepCallback& callback);

/// generate_samples with the model's device checked against options.device.
GeneratedSamples generate(const Sampler& sampler, const DenoiserPtr& denoiser,
                          const GenerateOptions& options);

// Degradation and backtracking.

/// Records a whole path step by step, calling `hook` after every step.
nlohmann::json record_degradation(const Denoiser& teacher, const OneStepGenerator& initial,
                                  const DegradationOptions& options, const std::string& path_file,
                                  const nlohmann::json& provenance, const StepHook& hook,
                                  bool progress);

/// Steps `backtracker` until it is finished; returns every step's metrics.
std::vector<StepMetrics> run_backtracking(Backtracker& backtracker, const StepHook& hook,
                                          bool progress);

// Evaluation.

/// A SampleFn drawing G(z) with z ~ N(0, I) from a generator seeded by `seed`.
SampleFn generator_sample_fn(const OneStepGenerator& generator, uint64_t seed);
/// Wraps a user's SampleFn so that each batch is checked ([count, C, H, W]).
SampleFn checked_sample_fn(SampleFn sample);

// The pipeline.

/// run_pipeline on `overrides` merged into default_pipeline_config().
nlohmann::json run_pipeline(const nlohmann::json& overrides);

}  // namespace disback::facade
