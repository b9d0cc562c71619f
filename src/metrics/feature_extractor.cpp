#include "metrics/feature_extractor.h"

#include <torch/script.h>

#include <filesystem>

#include "common/error.h"
#include "common/progress.h"
#include "io/image_grid.h"
#include "metrics/classifier.h"

namespace disback {

torch::Tensor extract_features(FeatureExtractor& detector, const torch::Tensor& images,
                               int64_t batch_size, const std::string& label) {
  DISBACK_CHECK(images.dim() == 4, "detector '", detector.name(),
                "' expects images [N, C, H, W], got ", images.sizes());
  DISBACK_CHECK(batch_size > 0, "feature batch size should be > 0, got ", batch_size);
  const int64_t count = images.size(0);
  const int64_t batches = (count + batch_size - 1) / batch_size;
  std::optional<ProgressMeter> progress;
  if (!label.empty()) progress.emplace(label, batches);
  std::vector<torch::Tensor> parts;
  torch::NoGradGuard no_grad;
  for (int64_t b = 0; b < batches; ++b) {
    parts.push_back(detector.features(images.slice(0, b * batch_size, (b + 1) * batch_size)));
    if (progress) progress->update(b + 1);
  }
  DISBACK_CHECK(!parts.empty(), "detector '", detector.name(), "': no images to extract from");
  return torch::cat(parts);
}

struct TorchScriptDetector::Impl {
  torch::jit::Module module;
  bool takes_return_features = false;
  int64_t resolution = 0;
  torch::Device device = torch::kCPU;
};

TorchScriptDetector::TorchScriptDetector(const std::string& path, int64_t resolution,
                                         torch::Device device)
    : impl_(std::make_unique<Impl>()) {
  DISBACK_CHECK(std::filesystem::is_regular_file(path), "detector file '", path,
                "' does not exist");
  DISBACK_CHECK(resolution >= 0, "detector resolution should be >= 0, got ", resolution);
  try {
    impl_->module = torch::jit::load(path, device);
  } catch (const c10::Error& error) {
    throw Error(str_cat("cannot load '", path,
                        "' as a TorchScript detector: ", error.what_without_backtrace()));
  }
  impl_->module.eval();
  impl_->resolution = resolution;
  impl_->device = device;
  DISBACK_CHECK(impl_->module.find_method("forward").has_value(), "TorchScript detector '", path,
                "' has no forward() method");
  for (const auto& argument :
       impl_->module.get_method("forward").function().getSchema().arguments()) {
    if (argument.name() == "return_features") impl_->takes_return_features = true;
  }
  name_ = "torchscript:" + std::filesystem::path(path).filename().string();
  if (resolution > 0) name_ += "@" + std::to_string(resolution);
}

TorchScriptDetector::~TorchScriptDetector() = default;

torch::Tensor TorchScriptDetector::features(const torch::Tensor& images) {
  DISBACK_CHECK(images.dim() == 4 && (images.size(1) == 1 || images.size(1) == 3), "detector '",
                name_, "' expects images [N, 1 or 3, H, W], got ", images.sizes());
  // The detector's convention: uint8 RGB in 0..255.
  torch::Tensor pixels = to_uint8(images);
  if (pixels.size(1) == 1) pixels = pixels.repeat({1, 3, 1, 1});
  pixels = pixels.to(impl_->device);
  if (impl_->resolution > 0) {
    const auto size = std::vector<int64_t>{impl_->resolution, impl_->resolution};
    pixels = torch::nn::functional::interpolate(pixels.to(torch::kFloat32),
                                                torch::nn::functional::InterpolateFuncOptions()
                                                    .size(size)
                                                    .mode(torch::kBilinear)
                                                    .align_corners(false))
                 .round()
                 .clamp(0, 255)
                 .to(torch::kUInt8);
  }
  torch::jit::Kwargs kwargs;
  if (impl_->takes_return_features) kwargs["return_features"] = true;
  torch::NoGradGuard no_grad;
  torch::IValue output;
  try {
    output = impl_->module.get_method("forward")({pixels}, kwargs);
  } catch (const c10::Error& error) {
    throw Error(str_cat("detector '", name_, "' failed on images ", pixels.sizes(), ": ",
                        error.what_without_backtrace()));
  }
  if (output.isTuple()) output = output.toTupleRef().elements().at(0);
  DISBACK_CHECK(output.isTensor(), "detector '", name_, "' returned ", output.tagKind(),
                ", expected a tensor of features");
  const torch::Tensor features = output.toTensor();
  DISBACK_CHECK(features.dim() >= 1 && features.size(0) == images.size(0), "detector '", name_,
                "' returned ", features.sizes(), " for ", images.size(0), " images");
  return features.reshape({images.size(0), -1}).to(torch::kCPU, torch::kFloat32);
}

FeatureExtractorPtr load_detector(const std::string& path, const DetectorOptions& options) {
  const std::string extension = std::filesystem::path(path).extension().string();
  if (extension == ".h5" || extension == ".hdf5") {
    return load_classifier_detector(path, options.device);
  }
  return std::make_shared<TorchScriptDetector>(path, options.resolution, options.device);
}

}  // namespace disback
