// First and second moments of detector features, the input of the Frechet
// distance (FID), and their files:
//   .h5   the project's form: datasets mu [D] and sigma [D, D] (float64),
//         optional features [M, D] (float32, a random subset kept for KID and
//         precision/recall), attributes format "disback-stats-1", n, detector
//   .npz  the form the common Python FID tools write: arrays mu and sigma
//         (written here with n and detector as extra arrays, which those
//         tools ignore)
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>

namespace disback {

/// Mean and covariance (ddof = 1) of a feature set, in float64.
struct FeatureStatistics {
  torch::Tensor mu;      ///< [D] float64
  torch::Tensor sigma;   ///< [D, D] float64
  int64_t count = 0;     ///< samples behind mu and sigma; 0 when a file did not say
  std::string detector;  ///< the detector that produced the features ("" when unknown)
  /// Optional [M, D] float32 sample of the features themselves (M <= count),
  /// which KID and precision/recall need; undefined when not kept.
  torch::Tensor features;

  int64_t dim() const { return mu.defined() ? mu.size(0) : 0; }

  /// Statistics of features [N, D] (any floating type). Needs N >= 2;
  /// warns (through the log) when N < D, as sigma is then singular.
  static FeatureStatistics of(const torch::Tensor& features, const std::string& detector = "");

  /// Saves as .npz when `path` ends in ".npz", else as the project's HDF5 form.
  void save(const std::string& path) const;
  /// Loads either form; errors name the path and what is missing.
  static FeatureStatistics load(const std::string& path);
};

/// Running float64 sums of features for statistics over more samples than
/// fit in memory. The result does not depend on how the samples are split
/// into batches (up to rounding): sums are taken around the first sample,
/// which also keeps the covariance free of cancellation when features have
/// a large mean.
class FeatureAccumulator {
 public:
  /// `keep_features` rows of the features are retained (a uniform reservoir
  /// sample, seeded by `seed`) for KID and precision/recall; 0 keeps none.
  explicit FeatureAccumulator(int64_t keep_features = 0, uint64_t seed = 0);

  /// Adds a batch of features [B, D]; D must match earlier batches.
  void add(const torch::Tensor& features);

  int64_t count() const { return count_; }
  int64_t dim() const { return shift_.defined() ? shift_.size(0) : 0; }

  /// Mean and covariance so far. Needs count() >= 2 (error otherwise);
  /// warns when count() < dim().
  FeatureStatistics statistics(const std::string& detector = "") const;

 private:
  void keep(const torch::Tensor& batch);

  int64_t count_ = 0;
  torch::Tensor shift_;      // [D] the first sample
  torch::Tensor sum_;        // [D] sum of (x - shift)
  torch::Tensor sum_outer_;  // [D, D] sum of (x - shift)(x - shift)^T
  int64_t keep_limit_;
  torch::Tensor kept_;  // [<= keep_limit, D] float32
  torch::Generator generator_;
};

/// Throws unless `count` >= 2; logs a warning when count < dim, naming
/// `what` and saying why the distances computed from it are unreliable.
void check_sample_count(int64_t count, int64_t dim, const std::string& what);

}  // namespace disback
