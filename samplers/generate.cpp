#include "samplers/generate.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <chrono>

#include "common/error.h"
#include "common/progress.h"
#include "io/hdf5_file.h"

namespace disback {
namespace {

// SplitMix64 finaliser: neighbouring (seed, index) pairs get unrelated stream seeds.
uint64_t mix_bits(uint64_t value) {
  value += 0x9e3779b97f4a7c15ULL;
  value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9ULL;
  value = (value ^ (value >> 27)) * 0x94d049bb133111ebULL;
  return value ^ (value >> 31);
}

torch::Tensor one_hot_labels(const torch::Tensor& labels, int64_t label_dim, torch::Device device) {
  return torch::one_hot(labels, label_dim).to(device, torch::kFloat32);
}

}  // namespace

SampleStreams::SampleStreams(uint64_t seed, int64_t first_index, int64_t count) {
  DISBACK_CHECK(first_index >= 0 && count > 0, "SampleStreams: expected first_index >= 0 and ",
                "count > 0, got ", first_index, " and ", count);
  generators_.reserve(count);
  for (int64_t i = 0; i < count; ++i) {
    const uint64_t index = static_cast<uint64_t>(first_index + i);
    generators_.push_back(at::detail::createCPUGenerator(mix_bits(seed ^ mix_bits(index))));
  }
}

torch::Tensor SampleStreams::randn(c10::IntArrayRef sample_shape) {
  std::vector<torch::Tensor> parts;
  parts.reserve(generators_.size());
  const auto options = torch::TensorOptions().dtype(torch::kFloat64);
  for (auto& generator : generators_)
    parts.push_back(torch::randn(sample_shape, generator, options));
  return torch::stack(parts);
}

torch::Tensor SampleStreams::randint(int64_t high) {
  DISBACK_CHECK(high > 0, "SampleStreams::randint: expected high > 0, got ", high);
  std::vector<torch::Tensor> parts;
  parts.reserve(generators_.size());
  for (auto& generator : generators_) {
    parts.push_back(torch::randint(high, {1}, generator, torch::TensorOptions(torch::kInt64)));
  }
  return torch::cat(parts);
}

GeneratedSamples generate_samples(const Sampler& sampler, const DenoiseFn& denoise,
                                  c10::IntArrayRef sample_shape, int64_t label_dim,
                                  const GenerateOptions& options) {
  DISBACK_CHECK(options.count > 0, "generate_samples: expected count > 0, got ", options.count);
  DISBACK_CHECK(options.batch_size > 0, "generate_samples: expected batch_size > 0, got ",
                options.batch_size);
  DISBACK_CHECK(label_dim == 0 || options.class_label < label_dim, "generate_samples: class ",
                options.class_label, " out of range for ", label_dim, " classes");
  const auto start = std::chrono::steady_clock::now();
  const int64_t batches = (options.count + options.batch_size - 1) / options.batch_size;
  ProgressMeter meter("sample", batches);
  std::vector<torch::Tensor> images, labels;
  int64_t nfe = 0;
  for (int64_t b = 0; b < batches; ++b) {
    const int64_t first = b * options.batch_size;
    const int64_t n = std::min(options.batch_size, options.count - first);
    SampleStreams streams(options.seed, first, n);

    // Per sample, in this order: its class, its latents, then the sampler's noise.
    torch::Tensor classes, one_hot;
    if (label_dim > 0) {
      classes = options.class_label >= 0 ? torch::full({n}, options.class_label, torch::kInt64)
                                         : streams.randint(label_dim);
      one_hot = one_hot_labels(classes, label_dim, options.device);
      labels.push_back(classes);
    }
    const torch::Tensor latents = streams.randn(sample_shape).to(options.device);
    const NoiseFn noise = [&]() { return streams.randn(sample_shape).to(options.device); };
    SampleResult result = sampler.sample(denoise, latents, one_hot, noise);
    images.push_back(result.samples.to(torch::kCPU));
    nfe = result.nfe;
    if (options.progress) meter.update(b + 1);
  }
  GeneratedSamples out;
  out.images = torch::cat(images);
  if (!labels.empty()) out.labels = torch::cat(labels);
  out.nfe = nfe;
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

GeneratedSamples generate_samples(const Sampler& sampler, const DenoiserPtr& denoiser,
                                  const GenerateOptions& options) {
  DISBACK_CHECK(denoiser != nullptr, "generate_samples: got a null denoiser");
  const std::vector<int64_t> shape = denoiser->sample_shape();
  return generate_samples(sampler, denoiser_fn(denoiser), shape, denoiser->label_dim(), options);
}

void save_samples_h5(const std::string& path, const GeneratedSamples& samples,
                     const Sampler& sampler, uint64_t seed) {
  DISBACK_CHECK(samples.images.defined(), "save_samples_h5 '", path, "': no images");
  write_hdf5_atomically(path, [&](Hdf5File& file) {
    file.write("images", samples.images.to(torch::kFloat32).clamp(-1, 1));
    if (samples.labels.defined()) file.write("labels", samples.labels);
    file.set_attr("/", "sampler", sampler.name());
    file.set_attr("/", "steps", sampler.num_steps());
    file.set_attr("/", "nfe", samples.nfe);
    file.set_attr("/", "seed", static_cast<int64_t>(seed));
    file.set_attr("/", "options", sampler.options().to_json().dump());
  });
}

}  // namespace disback
