#include "metrics/sources.h"

// Static linkage keeps stb_image's functions private to this file, so another
// library compiling the implementation cannot clash with it.
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#include <stb_image.h>

#include <ATen/CPUGeneratorImpl.h>
#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "common/error.h"
#include "common/log.h"
#include "io/hdf5_file.h"
#include "nn/model_file.h"
#include "samplers/generate.h"

namespace disback {
namespace {

constexpr const char* kDatasetPrefix = "fashion-mnist:";

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

bool is_image_file(const std::filesystem::path& path) {
  std::string extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(), ::tolower);
  return extension == ".png" || extension == ".jpg" || extension == ".jpeg" || extension == ".bmp";
}

// One image file as [C, H, W] float32 in [-1, 1], alpha dropped.
torch::Tensor read_image(const std::string& path) {
  int width = 0, height = 0, channels = 0;
  stbi_uc* pixels = stbi_load(path.c_str(), &width, &height, &channels, 0);
  DISBACK_CHECK(pixels != nullptr, "cannot read image '", path, "': ", stbi_failure_reason());
  const torch::Tensor raw =
      torch::from_blob(pixels, {height, width, channels}, torch::kUInt8).clone();
  stbi_image_free(pixels);
  const int64_t kept = channels >= 3 ? 3 : 1;
  return raw.slice(2, 0, kept).permute({2, 0, 1}).to(torch::kFloat32) / 127.5 - 1;
}

// A seeded random subset of `count` images when there are more.
torch::Tensor limit_images(const torch::Tensor& images, int64_t count, uint64_t seed) {
  if (count <= 0 || images.size(0) <= count) return images;
  torch::Generator generator = at::detail::createCPUGenerator(seed);
  const torch::Tensor rows =
      torch::randperm(images.size(0), generator, torch::TensorOptions(torch::kInt64));
  return images.index_select(0, rows.slice(0, 0, count));
}

LoadedSource sample_model(const std::string& path, const SourceOptions& options) {
  DISBACK_CHECK(options.count > 0, "'", path, "' is a model: say how many samples to draw ",
                "(--num), got ", options.count);
  const nlohmann::json metadata = read_model_metadata(path);
  LoadedSource source;
  SamplerPtr sampler;
  if (metadata.contains("sigma_init")) {
    source.kind = "generator";
    sampler = make_sampler("onestep",
                           SamplerOptions().with_sigma_init(metadata["sigma_init"].get<double>()));
  } else {
    source.kind = "teacher";
    sampler = make_sampler(options.sampler, options.sampler_options);
  }
  DenoiserPtr denoiser = load_denoiser(path);
  DISBACK_CHECK(denoiser->sample_shape().size() == 3, "'", path, "' produces samples of shape ",
                c10::IntArrayRef(denoiser->sample_shape()), ", not images [C, H, W]");
  denoiser->to(options.device);
  GenerateOptions generate;
  generate.count = options.count;
  generate.batch_size = options.batch_size;
  generate.seed = options.seed;
  generate.device = options.device;
  const GeneratedSamples samples = generate_samples(*sampler, denoiser, generate);
  // Clamped as an image file of the samples would be.
  source.images = samples.images.clamp(-1, 1);
  source.seconds = samples.seconds;
  source.details = {{"sampler", sampler->name()},
                    {"sampler_options", sampler->options().to_json()},
                    {"nfe", samples.nfe},
                    {"seed", options.seed}};
  return source;
}

}  // namespace

torch::Tensor load_image_folder(const std::string& directory) {
  DISBACK_CHECK(std::filesystem::is_directory(directory), "image folder '", directory,
                "' does not exist");
  std::vector<std::string> paths;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    if (entry.is_regular_file() && is_image_file(entry.path())) paths.push_back(entry.path());
  }
  std::sort(paths.begin(), paths.end());
  DISBACK_CHECK(!paths.empty(), "image folder '", directory,
                "' has no .png, .jpg, .jpeg or .bmp files");
  std::vector<torch::Tensor> images;
  images.reserve(paths.size());
  for (const auto& path : paths) {
    images.push_back(read_image(path));
    DISBACK_CHECK(images.back().sizes() == images.front().sizes(), "image '", path, "' is ",
                  images.back().sizes(), " (C, H, W) but '", paths.front(), "' is ",
                  images.front().sizes(), "; all images of a folder must match");
  }
  return torch::stack(images);
}

torch::Tensor load_hdf5_images(const std::string& path, const std::string& dataset) {
  Hdf5File file(path, Hdf5File::Mode::kRead);
  DISBACK_CHECK(file.has(dataset), "'", path, "' has no dataset '", dataset, "'");
  const torch::Tensor raw = file.read(dataset);
  DISBACK_CHECK(raw.dim() == 4, "'", path, "' dataset '", dataset,
                "' should be images [N, C, H, W], got ", raw.sizes());
  if (raw.scalar_type() == torch::kUInt8) return raw.to(torch::kFloat32) / 127.5 - 1;
  DISBACK_CHECK(raw.is_floating_point(), "'", path, "' dataset '", dataset,
                "' should be float in [-1, 1] or uint8, got ", raw.scalar_type());
  return raw.to(torch::kFloat32);
}

bool is_statistics_file(const std::string& path) {
  if (std::filesystem::path(path).extension() == ".npz") return true;
  if (!std::filesystem::is_regular_file(path)) return false;
  Hdf5File file(path, Hdf5File::Mode::kRead);
  return file.has("mu") && file.has("sigma");
}

bool is_model_file(const std::string& path) {
  if (!std::filesystem::is_regular_file(path) ||
      std::filesystem::path(path).extension() == ".npz") {
    return false;
  }
  Hdf5File file(path, Hdf5File::Mode::kRead);
  return file.has_attr("/", "config");
}

LoadedSource load_source(const std::string& spec, const SourceOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  LoadedSource source;
  if (spec.rfind(kDatasetPrefix, 0) == 0) {
    const std::string split = spec.substr(std::strlen(kDatasetPrefix));
    source.kind = "dataset";
    source.images = load_fashion_mnist(options.data_dir, split, options.resolution).images;
    source.details = {{"split", split}, {"resolution", options.resolution}};
  } else if (std::filesystem::is_directory(spec)) {
    source.kind = "image-folder";
    source.images = load_image_folder(spec);
  } else {
    DISBACK_CHECK(std::filesystem::is_regular_file(spec), "source '", spec,
                  "' is neither fashion-mnist:train, fashion-mnist:test, an image folder nor ",
                  "a file");
    DISBACK_CHECK(!is_statistics_file(spec), "'", spec, "' holds statistics (mu, sigma); it can ",
                  "only be a reference, not a source of images");
    Hdf5File file(spec, Hdf5File::Mode::kRead);
    if (file.has_attr("/", "config")) {
      source = sample_model(spec, options);
    } else {
      DISBACK_CHECK(file.has("images"), "'", spec, "' is neither a model file (no 'config' ",
                    "attribute) nor an image array (no dataset 'images')");
      source.kind = "hdf5-array";
      source.images = load_hdf5_images(spec);
    }
  }
  if (source.kind != "generator" && source.kind != "teacher") {
    source.images = limit_images(source.images, options.count, options.seed);
    source.seconds = seconds_since(start);
  }
  source.spec = spec;
  log_info("source ", spec, " (", source.kind, "): ", source.images.sizes(), " in ", source.seconds,
           " s");
  return source;
}

}  // namespace disback
