// Sample-quality evaluation: FID, KID and precision/recall of generated
// images against reference statistics, through one detector.
//
// From the distillation loop:
//
//   auto detector = load_classifier_detector("models/fmnist_classifier.h5");
//   FeatureStatistics reference = FeatureStatistics::load("models/fmnist16_train_stats.h5");
//   // or: fashion_mnist_statistics(*detector, "train", 16);
//   double fid = fid_of_samples(*detector, generator_images, reference);
//
//   Evaluator evaluator(detector, reference, EvalOptions{});
//   EvalResult result = evaluator.evaluate(
//       [&](int64_t n) { return generator(torch::randn({n, 1, 16, 16})); }, 10000);
//   run.append_metrics(result.to_json());
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "data/fashion_mnist.h"
#include "metrics/distances.h"
#include "metrics/feature_extractor.h"
#include "metrics/feature_statistics.h"
#include "nn/generator.h"

namespace disback {

/// Returns `count` new samples [count, C, H, W] in [-1, 1] (values outside
/// are clamped by the detectors' uint8 conversion or seen as they are by the
/// classifier), on any device.
using SampleFn = std::function<torch::Tensor(int64_t count)>;

struct EvalOptions {
  int64_t batch_size = 250;  ///< samples per SampleFn call and per detector batch
  KidOptions kid;            ///< subsets drawn from the kept features
  /// Generated features kept (seeded reservoir sample) for KID and
  /// precision/recall; the reference brings its own (FeatureStatistics::features).
  int64_t kept_features = 10000;
  bool precision_recall = true;
  /// Samples per side (cost ~ n^2): the smallest of this, the reference's
  /// kept features and the generated ones.
  int64_t precision_recall_samples = 5000;
  int64_t precision_recall_k = 3;
  uint64_t seed = 0;     ///< subsets for KID, P/R and the reservoir
  bool progress = true;  ///< ProgressMeter lines for feature extraction
};

struct EvalResult {
  double fid = 0;
  std::optional<KidResult> kid;                     ///< absent if the reference kept no features
  std::optional<PrecisionRecall> precision_recall;  ///< likewise, or when disabled
  int64_t count = 0;                                ///< samples evaluated
  std::string detector;
  double seconds = 0;             ///< sampling + feature extraction + distances
  double samples_per_second = 0;  ///< count / (sampling + feature extraction seconds)

  /// {"fid", "kid_mean", "kid_std", "precision", "recall", "count", "detector", ...};
  /// absent metrics are null.
  nlohmann::json to_json() const;
  /// One line: "FID 12.3  KID 0.0123 ± 0.0004  precision 0.71  recall 0.52 ...".
  std::string summary() const;
};

class Evaluator {
 public:
  /// `reference` must come from the same detector (its name is checked when
  /// the reference records one); its `features` enable KID and P/R.
  Evaluator(FeatureExtractorPtr detector, FeatureStatistics reference, EvalOptions options = {});

  /// Draws `count` samples through `sample` in batches and compares them
  /// with the reference. count >= 2.
  EvalResult evaluate(const SampleFn& sample, int64_t count);
  /// The same for a fixed set of images [N, C, H, W] in [-1, 1].
  EvalResult evaluate_images(const torch::Tensor& images);

  const FeatureStatistics& reference() const { return reference_; }
  FeatureExtractor& detector() { return *detector_; }

 private:
  EvalResult compare(const FeatureStatistics& generated, double extraction_seconds);

  FeatureExtractorPtr detector_;
  FeatureStatistics reference_;
  EvalOptions options_;
};

/// FID of images [N, C, H, W] in [-1, 1] against `reference` (N >= 2).
double fid_of_samples(FeatureExtractor& detector, const torch::Tensor& images,
                      const FeatureStatistics& reference, int64_t batch_size = 250);

/// Statistics of images [N, C, H, W] in [-1, 1] through `detector`, keeping
/// up to `kept_features` feature rows (seeded reservoir) for KID and P/R.
/// `label` names the progress line ("" for none).
FeatureStatistics image_statistics(FeatureExtractor& detector, const torch::Tensor& images,
                                   int64_t kept_features = 10000, int64_t batch_size = 250,
                                   const std::string& label = "features", uint64_t seed = 0);

/// Reference statistics of a Fashion-MNIST split ("train" or "test") at
/// `resolution` (area-downsampled from 28, as the training data).
FeatureStatistics fashion_mnist_statistics(FeatureExtractor& detector, const std::string& split,
                                           int64_t resolution,
                                           const std::string& directory = kDefaultFashionMnistDir,
                                           int64_t kept_features = 10000);

/// Samples of a one-step generator whose latents come from their own seeded
/// stream, so evaluating never shifts a training run's random numbers.
SampleFn generator_sampler(const OneStepGenerator& generator, uint64_t seed);

/// FID of `count` generator samples without KID or precision/recall: the
/// cheap reading taken during training.
double generator_fid(const FeatureExtractorPtr& detector, const FeatureStatistics& reference,
                     const OneStepGenerator& generator, int64_t count, uint64_t seed);

}  // namespace disback
