// Batched sample generation, reproducible from a seed whatever the batch
// size, and the files it writes (PNG grid, HDF5 array).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "samplers/sampler.h"

namespace disback {

/// Independent random streams, one per sample, each seeded from (seed,
/// sample index) as in the EDM reference's per-image seeds: a sample's
/// label, latents and sampler noise are the same in any batch.
class SampleStreams {
 public:
  /// Streams for the samples first_index .. first_index + count - 1.
  SampleStreams(uint64_t seed, int64_t first_index, int64_t count);

  /// Standard normal [count, sample_shape...], float64 on the CPU; each
  /// sample's values come from its own stream.
  torch::Tensor randn(c10::IntArrayRef sample_shape);
  /// Uniform integers in [0, high), [count] int64 on the CPU.
  torch::Tensor randint(int64_t high);

 private:
  std::vector<torch::Generator> generators_;
};

struct GenerateOptions {
  int64_t count = 64;        // samples in all
  int64_t batch_size = 256;  // samples per sampler call (memory, not results)
  uint64_t seed = 0;
  /// Class of every sample for a conditional model; -1 draws each sample's
  /// class uniformly. Ignored for an unconditional model.
  int64_t class_label = -1;
  torch::Device device = torch::kCPU;
  bool progress = true;  // ProgressMeter lines through the log sink
};

struct GeneratedSamples {
  torch::Tensor images;  // [count, sample_shape...] float32 on the CPU (not clamped)
  torch::Tensor labels;  // [count] int64 classes; undefined for an unconditional model
  int64_t nfe = 0;       // network evaluations per sample
  double seconds = 0;    // wall time of the sampling
};

/// Samples `options.count` items of shape `sample_shape` with `sampler`.
/// label_dim > 0 passes one-hot class labels to the denoiser.
GeneratedSamples generate_samples(const Sampler& sampler, const DenoiseFn& denoise,
                                  c10::IntArrayRef sample_shape, int64_t label_dim,
                                  const GenerateOptions& options);
/// The same for a denoiser, whose sample shape and label_dim are used; the
/// denoiser must already be on options.device.
GeneratedSamples generate_samples(const Sampler& sampler, const DenoiserPtr& denoiser,
                                  const GenerateOptions& options);

/// Writes an HDF5 file (atomically) with dataset `images` (float32, clamped
/// to [-1, 1]), `labels` when conditional, and attributes sampler, steps,
/// nfe, seed and options (JSON).
void save_samples_h5(const std::string& path, const GeneratedSamples& samples,
                     const Sampler& sampler, uint64_t seed);

}  // namespace disback
