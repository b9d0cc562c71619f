// The project's own Fashion-MNIST detector: a small CNN classifier whose
// penultimate layer (post-ReLU, like Inception's pooled features) gives the
// features for FID on Fashion-MNIST-sized images, where the ImageNet
// Inception network sees mostly upsampled blur.
//
// Model file (HDF5, readable with h5py):
//   attr  format   "disback-classifier-1"
//   attr  config   JSON ClassifierConfig
//   attr  metadata JSON (command, test_accuracy, epochs, seconds, ...)
//   params/<name>  weights, e.g. stage0.conv0.weight, features.weight, head.bias
#pragma once

#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/fashion_mnist.h"
#include "metrics/feature_extractor.h"

namespace disback {

inline constexpr const char* kDefaultClassifierPath = "models/fmnist_classifier.h5";

struct ClassifierConfig {
  int64_t resolution = 16;  ///< native input size (square); inputs are resized to it
  int64_t img_channels = 1;
  int64_t num_classes = 10;
  /// Channels of each stage (two 3x3 convolutions + ReLU, then 2x2 max pooling).
  std::vector<int64_t> channels = {16, 32};
  int64_t feature_dim = 128;  ///< width of the penultimate (feature) layer
  /// Multiplies the features; training sets it so that their mean square over
  /// the training images is 1. The KID kernel (x.y/D + 1)^3 was designed for
  /// features of that order (Inception's); unscaled ReLU features of a small
  /// classifier are larger and make KID noisy.
  double feature_scale = 1.0;

  nlohmann::json to_json() const;
  static ClassifierConfig from_json(const nlohmann::json& config);
};

class Classifier : public torch::nn::Module {
 public:
  explicit Classifier(ClassifierConfig config);

  /// Images [N, img_channels, resolution, resolution] in [-1, 1] -> features
  /// [N, feature_dim]: the penultimate layer after its ReLU, times feature_scale.
  torch::Tensor features(const torch::Tensor& images);
  /// Images as for features() -> class logits [N, num_classes].
  torch::Tensor forward(const torch::Tensor& images);

  const ClassifierConfig& config() const { return config_; }
  void set_feature_scale(double scale) { config_.feature_scale = scale; }

 private:
  torch::Tensor penultimate(const torch::Tensor& images);

  ClassifierConfig config_;
  std::vector<torch::nn::Sequential> stages_;
  torch::nn::Linear features_{nullptr}, head_{nullptr};
};

using ClassifierPtr = std::shared_ptr<Classifier>;

struct ClassifierTrainOptions {
  int64_t epochs = 3;
  int64_t batch_size = 128;
  double learning_rate = 2e-3;  ///< Adam; decays by cosine to 0 over the run
  uint64_t seed = 0;
};

struct ClassifierTrainResult {
  double test_accuracy = 0;  ///< share of correctly classified test images
  double seconds = 0;
  int64_t iterations = 0;
};

/// Trains on `train` (images at the classifier's resolution) with cross
/// entropy, reports accuracy on `test` after each epoch, and finally sets
/// the feature scale from the training images.
ClassifierTrainResult train_classifier(Classifier& classifier, const ImageDataset& train,
                                       const ImageDataset& test,
                                       const ClassifierTrainOptions& options);

/// Share of `images` whose predicted class equals `labels`.
double classifier_accuracy(Classifier& classifier, const torch::Tensor& images,
                           const torch::Tensor& labels, int64_t batch_size = 500);

void save_classifier(const std::string& path, const Classifier& classifier,
                     const nlohmann::json& metadata);
ClassifierPtr load_classifier(const std::string& path);

/// The classifier as a detector: images [N, C, H, W] in [-1, 1] are
/// converted to the classifier's channels (RGB averaged to gray) and resized
/// to its resolution (area averaging when shrinking, bilinear when growing).
/// Name: "fmnist-classifier:<file name>".
class ClassifierDetector : public FeatureExtractor {
 public:
  ClassifierDetector(ClassifierPtr classifier, std::string name,
                     torch::Device device = torch::kCPU);
  torch::Tensor features(const torch::Tensor& images) override;
  std::string name() const override { return name_; }

 private:
  ClassifierPtr classifier_;
  std::string name_;
  torch::Device device_;
};

/// Loads a classifier model file as a detector.
FeatureExtractorPtr load_classifier_detector(const std::string& path = kDefaultClassifierPath,
                                             torch::Device device = torch::kCPU);

/// Brings images [N, C, H, W] to `channels` channels and a square
/// `resolution`, as ClassifierDetector does.
torch::Tensor prepare_images(const torch::Tensor& images, int64_t channels, int64_t resolution);

}  // namespace disback
