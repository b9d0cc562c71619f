// Where the images to evaluate come from, named by one string:
//   fashion-mnist:train | fashion-mnist:test   the dataset at a resolution
//   DIR/                                       a folder of PNG/JPEG/BMP images
//   FILE.h5 with a dataset "images"             [N, C, H, W] float in [-1, 1] or uint8
//   FILE.h5 model file with metadata sigma_init a one-step generator
//   FILE.h5 other model file                    a teacher, run with a sampler
// Statistics files (.npz, or .h5 with mu and sigma) are references, not sources.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "data/fashion_mnist.h"
#include "samplers/sampler.h"

namespace disback {

struct SourceOptions {
  int64_t resolution = 16;  ///< dataset sources: area-downsampled from 28
  std::string data_dir = kDefaultFashionMnistDir;
  /// Model sources draw this many samples; fixed sets keep a seeded random
  /// subset of this size when larger (0: all).
  int64_t count = 10000;
  int64_t batch_size = 250;
  uint64_t seed = 0;
  std::string sampler = "heun";    ///< for teachers (see samplers/sampler.h)
  SamplerOptions sampler_options;  ///< for teachers; sigma_init is read from generators
  torch::Device device = torch::kCPU;
};

struct LoadedSource {
  /// "dataset", "image-folder", "hdf5-array", "generator" or "teacher".
  std::string kind;
  std::string spec;        ///< as given
  torch::Tensor images;    ///< [N, C, H, W] float32 in [-1, 1], on the CPU
  double seconds = 0;      ///< loading or sampling time
  nlohmann::json details;  ///< sampler, nfe, seed, ... (for result files)
};

/// Loads or samples the images a spec names (see the file comment). Errors
/// name the spec and say which forms are accepted.
LoadedSource load_source(const std::string& spec, const SourceOptions& options);

/// True if `path` is a statistics file: .npz, or HDF5 with datasets mu and sigma.
bool is_statistics_file(const std::string& path);

/// True if `path` is a model file (HDF5 with a "config" attribute): a
/// generator or a teacher, which is sampled rather than read.
bool is_model_file(const std::string& path);

/// Images [N, C, H, W] in [-1, 1] from every PNG/JPEG/BMP file in `directory`
/// (sorted by name; all of one size; gray, gray+alpha, RGB or RGBA, alpha dropped).
torch::Tensor load_image_folder(const std::string& directory);

/// Images from HDF5 dataset `dataset`: float in [-1, 1] as they are, uint8
/// mapped from 0..255 to [-1, 1].
torch::Tensor load_hdf5_images(const std::string& path, const std::string& dataset = "images");

}  // namespace disback
