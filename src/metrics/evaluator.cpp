#include "metrics/evaluator.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "common/error.h"
#include "common/log.h"
#include "common/progress.h"

namespace disback {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// At most `limit` rows of `features`, a seeded random subset when it has more.
torch::Tensor subsample(const torch::Tensor& features, int64_t limit, uint64_t seed) {
  if (features.size(0) <= limit) return features;
  torch::Generator generator = at::detail::createCPUGenerator(seed);
  const torch::Tensor rows =
      torch::randperm(features.size(0), generator, torch::TensorOptions(torch::kInt64));
  return features.index_select(0, rows.slice(0, 0, limit));
}

}  // namespace

nlohmann::json EvalResult::to_json() const {
  nlohmann::json json = {
      {"fid", fid},           {"kid_mean", nullptr}, {"kid_std", nullptr},
      {"precision", nullptr}, {"recall", nullptr},   {"count", count},
      {"detector", detector}, {"seconds", seconds},  {"samples_per_second", samples_per_second}};
  if (kid) {
    json["kid_mean"] = kid->mean;
    json["kid_std"] = kid->std;
    json["kid_subsets"] = kid->subsets;
    json["kid_subset_size"] = kid->subset_size;
  }
  if (precision_recall) {
    json["precision"] = precision_recall->precision;
    json["recall"] = precision_recall->recall;
    json["precision_recall_k"] = precision_recall->k;
  }
  return json;
}

std::string EvalResult::summary() const {
  char text[512];
  int used = std::snprintf(text, sizeof(text), "FID %.4f", fid);
  if (kid) {
    used +=
        std::snprintf(text + used, sizeof(text) - used, "  KID %.6f ± %.6f", kid->mean, kid->std);
  }
  if (precision_recall) {
    used += std::snprintf(text + used, sizeof(text) - used, "  precision %.4f  recall %.4f",
                          precision_recall->precision, precision_recall->recall);
  }
  std::snprintf(text + used, sizeof(text) - used, "  (%lld samples, %s, %.1f s, %.1f samples/s)",
                static_cast<long long>(count), detector.c_str(), seconds, samples_per_second);
  return text;
}

Evaluator::Evaluator(FeatureExtractorPtr detector, FeatureStatistics reference, EvalOptions options)
    : detector_(std::move(detector)), reference_(std::move(reference)), options_(options) {
  DISBACK_CHECK(detector_ != nullptr, "Evaluator needs a detector");
  DISBACK_CHECK(options_.batch_size > 0, "evaluation batch size should be > 0, got ",
                options_.batch_size);
  if (reference_.detector.empty()) {
    log_warning("reference statistics do not name their detector; assuming '", detector_->name(),
                "' (FID between features of different detectors is meaningless)");
  } else {
    DISBACK_CHECK(reference_.detector == detector_->name(), "reference statistics come from ",
                  "detector '", reference_.detector, "' but the evaluation uses '",
                  detector_->name(), "'; recompute them with 'disback stats'");
  }
}

EvalResult Evaluator::evaluate(const SampleFn& sample, int64_t count) {
  DISBACK_CHECK(count >= 2, "evaluation needs at least 2 samples, got ", count);
  const auto start = std::chrono::steady_clock::now();
  FeatureAccumulator accumulator(options_.kept_features, options_.seed);
  const int64_t batches = (count + options_.batch_size - 1) / options_.batch_size;
  std::optional<ProgressMeter> progress;
  if (options_.progress) progress.emplace("evaluate", batches);
  for (int64_t b = 0; b < batches; ++b) {
    const int64_t n = std::min(options_.batch_size, count - b * options_.batch_size);
    torch::Tensor images;
    {
      torch::NoGradGuard no_grad;
      images = sample(n);
    }
    DISBACK_CHECK(images.dim() == 4 && images.size(0) == n, "the sample function returned ",
                  images.sizes(), " for ", n, " samples; expected [", n, ", C, H, W]");
    accumulator.add(detector_->features(images));
    if (progress) progress->update(b + 1);
  }
  return compare(accumulator.statistics(detector_->name()), seconds_since(start));
}

EvalResult Evaluator::evaluate_images(const torch::Tensor& images) {
  DISBACK_CHECK(images.dim() == 4, "evaluation expects images [N, C, H, W], got ", images.sizes());
  return evaluate(
      [&, offset = int64_t{0}](int64_t n) mutable {
        const torch::Tensor batch = images.slice(0, offset, offset + n);
        offset += n;
        return batch;
      },
      images.size(0));
}

EvalResult Evaluator::compare(const FeatureStatistics& generated, double extraction_seconds) {
  const auto start = std::chrono::steady_clock::now();
  EvalResult result;
  result.count = generated.count;
  result.detector = detector_->name();
  result.fid = frechet_distance(generated, reference_);
  const bool have_features = reference_.features.defined() && generated.features.defined() &&
                             reference_.features.size(0) >= 2 && generated.features.size(0) >= 2;
  if (have_features) {
    KidOptions kid = options_.kid;
    kid.seed = options_.seed;
    result.kid = kernel_inception_distance(reference_.features, generated.features, kid);
  }
  const int64_t k = options_.precision_recall_k;
  if (have_features && options_.precision_recall && reference_.features.size(0) > k &&
      generated.features.size(0) > k) {
    // Equal set sizes: the k-NN radii shrink as a set grows, so unequal
    // sizes would bias precision against recall.
    const int64_t limit = std::min({options_.precision_recall_samples, reference_.features.size(0),
                                    generated.features.size(0)});
    result.precision_recall =
        precision_recall(subsample(reference_.features, limit, options_.seed + 1),
                         subsample(generated.features, limit, options_.seed + 2), k);
  }
  result.seconds = extraction_seconds + seconds_since(start);
  result.samples_per_second = static_cast<double>(result.count) / extraction_seconds;
  return result;
}

double fid_of_samples(FeatureExtractor& detector, const torch::Tensor& images,
                      const FeatureStatistics& reference, int64_t batch_size) {
  const FeatureStatistics generated = image_statistics(detector, images, 0, batch_size, "");
  return frechet_distance(generated, reference);
}

FeatureStatistics image_statistics(FeatureExtractor& detector, const torch::Tensor& images,
                                   int64_t kept_features, int64_t batch_size,
                                   const std::string& label, uint64_t seed) {
  DISBACK_CHECK(images.dim() == 4, "detector '", detector.name(),
                "' expects images [N, C, H, W], got ", images.sizes());
  DISBACK_CHECK(batch_size > 0, "feature batch size should be > 0, got ", batch_size);
  FeatureAccumulator accumulator(kept_features, seed);
  const int64_t batches = (images.size(0) + batch_size - 1) / batch_size;
  std::optional<ProgressMeter> progress;
  if (!label.empty()) progress.emplace(label, batches);
  torch::NoGradGuard no_grad;
  for (int64_t b = 0; b < batches; ++b) {
    accumulator.add(detector.features(images.slice(0, b * batch_size, (b + 1) * batch_size)));
    if (progress) progress->update(b + 1);
  }
  return accumulator.statistics(detector.name());
}

FeatureStatistics fashion_mnist_statistics(FeatureExtractor& detector, const std::string& split,
                                           int64_t resolution, const std::string& directory,
                                           int64_t kept_features) {
  const ImageDataset data = load_fashion_mnist(directory, split, resolution);
  return image_statistics(detector, data.images, kept_features, 250, "fmnist-" + split);
}

SampleFn generator_sampler(const OneStepGenerator& generator, uint64_t seed) {
  auto stream = std::make_shared<torch::Generator>(at::detail::createCPUGenerator(seed));
  return [generator, stream](int64_t count) {
    torch::NoGradGuard no_grad;
    std::vector<int64_t> shape = generator.network->sample_shape();
    shape.insert(shape.begin(), count);
    return generator(torch::randn(shape, *stream));
  };
}

double generator_fid(const FeatureExtractorPtr& detector, const FeatureStatistics& reference,
                     const OneStepGenerator& generator, int64_t count, uint64_t seed) {
  EvalOptions quick;
  quick.progress = false;
  quick.precision_recall = false;
  Evaluator evaluator(detector, reference, quick);
  return evaluator.evaluate(generator_sampler(generator, seed), count).fid;
}

}  // namespace disback
