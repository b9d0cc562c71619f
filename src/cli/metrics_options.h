// Options shared by the commands that extract features (stats, eval): the
// detector, where images come from, and the device.
#pragma once

#include <string>

#include "cli/args.h"
#include "metrics/classifier.h"
#include "metrics/feature_extractor.h"
#include "metrics/sources.h"

namespace disback::cli {

inline constexpr const char* kSourceHelp =
    "fashion-mnist:train, fashion-mnist:test, a folder of PNG/JPEG images, an HDF5 file with "
    "dataset 'images' ([N,C,H,W] in [-1,1] or uint8), a generator model file (metadata "
    "sigma_init) or a teacher model file (sampled with --sampler)";

inline void add_detector_options(CommandLine& cli) {
  cli.option("detector",
             "Detector: a classifier model file (.h5, trained by train-classifier) or a "
             "TorchScript feature network (e.g. inception-2015-12-05.pt: uint8 [N,3,H,W] in, "
             "features out). Gray images are repeated to RGB for TorchScript detectors.",
             kDefaultClassifierPath)
      .option("detector-resolution",
              "TorchScript detectors: resize images (bilinear) to this square size before the "
              "network; 0 passes them at their own size, as the standard Inception detector "
              "resizes to 299x299 inside itself. Classifier detectors always resize to their "
              "native resolution (area average when shrinking, bilinear when enlarging).",
              "0")
      .option("device", "Device for detector and models (cpu, cuda, cuda:1)", "cpu");
}

inline void add_source_options(CommandLine& cli, const std::string& count_help,
                               const std::string& count_default) {
  cli.option("resolution", "Resolution of fashion-mnist sources (area downsampling from 28)", "16")
      .option("data", "Fashion-MNIST folder (gzip'd IDX files)", kDefaultFashionMnistDir)
      .option("num", count_help, count_default)
      .option("batch", "Images per detector and sampler batch", "250")
      .option("sampler", "Sampler for teacher sources (heun, euler, edm-stochastic, ddim, ...)",
              "heun")
      .option("steps", "Sampler steps for teacher sources", "18");
}

inline torch::Device device_option(const CommandLine& cli) {
  try {
    return torch::Device(cli.text("device"));
  } catch (const c10::Error&) {
    throw UsageError(
        str_cat("--device: expected cpu, cuda or cuda:N, got '", cli.text("device"), "'"));
  }
}

inline FeatureExtractorPtr detector_option(const CommandLine& cli) {
  DetectorOptions options;
  options.resolution = cli.integer("detector-resolution");
  if (options.resolution < 0) {
    throw UsageError(str_cat("--detector-resolution: expected >= 0, got ", options.resolution));
  }
  options.device = device_option(cli);
  return load_detector(cli.text("detector"), options);
}

inline SourceOptions source_options(const CommandLine& cli) {
  SourceOptions options;
  options.resolution = cli.integer("resolution");
  options.data_dir = cli.text("data");
  options.count = cli.integer("num");
  options.batch_size = cli.integer("batch");
  options.seed = static_cast<uint64_t>(cli.integer("seed"));
  options.sampler = cli.text("sampler");
  options.sampler_options.num_steps = cli.integer("steps");
  options.device = device_option(cli);
  if (options.count < 0) throw UsageError(str_cat("--num: expected >= 0, got ", options.count));
  if (options.batch_size <= 0) {
    throw UsageError(str_cat("--batch: expected > 0, got ", options.batch_size));
  }
  return options;
}

/// "disback <command> <args...>" as typed, for metadata and result files.
inline std::string command_text(int argc, char** argv) {
  std::string text = "disback";
  for (int i = 0; i < argc; ++i) text += std::string(" ") + argv[i];
  return text;
}

}  // namespace disback::cli
