// Detectors: networks that map images to the features FID, KID and
// precision/recall compare. Every detector takes images the way the
// generators produce them and says its name, which goes into every result
// and statistics file so that numbers from different detectors are never
// compared by mistake.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>

namespace disback {

class FeatureExtractor {
 public:
  virtual ~FeatureExtractor() = default;

  /// images [N, C, H, W] in [-1, 1] (C = 1 or 3, any H, W, any device) ->
  /// features [N, D] float32 on the CPU. One batch; see extract_features.
  virtual torch::Tensor features(const torch::Tensor& images) = 0;

  /// Identifies the detector and its preprocessing, e.g.
  /// "fmnist-classifier:fmnist_classifier.h5" or
  /// "torchscript:inception-2015-12-05.pt@299".
  virtual std::string name() const = 0;
};

using FeatureExtractorPtr = std::shared_ptr<FeatureExtractor>;

/// Features of many images in batches of `batch_size`, with a progress line
/// labelled `label` when `label` is not empty.
torch::Tensor extract_features(FeatureExtractor& detector, const torch::Tensor& images,
                               int64_t batch_size = 256, const std::string& label = "features");

/// A TorchScript feature network with the calling convention of the widely
/// used Inception-v3 FID detector (inception-2015-12-05.pt): input uint8
/// [N, 3, H, W] in 0..255, output [N, D] features (2048 for Inception). If
/// its forward() has a `return_features` argument, it is passed as true.
/// Grayscale images are repeated to 3 channels. The standard detector resizes
/// to 299x299 inside itself; `resolution` > 0 resizes beforehand (bilinear,
/// on the uint8-rounded images' float values), 0 passes images as they are.
class TorchScriptDetector : public FeatureExtractor {
 public:
  TorchScriptDetector(const std::string& path, int64_t resolution = 0,
                      torch::Device device = torch::kCPU);
  ~TorchScriptDetector() override;

  torch::Tensor features(const torch::Tensor& images) override;
  std::string name() const override { return name_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string name_;
};

struct DetectorOptions {
  /// TorchScript detectors: resize to this square size first (0: no resize).
  int64_t resolution = 0;
  torch::Device device = torch::kCPU;
};

/// Loads a detector by file: a project classifier model file (.h5, see
/// metrics/classifier.h) or a TorchScript network (anything else, e.g. .pt).
FeatureExtractorPtr load_detector(const std::string& path, const DetectorOptions& options = {});

}  // namespace disback
