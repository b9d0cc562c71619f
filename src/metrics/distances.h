// Distances between two feature distributions: FID, KID and the k-NN
// precision and recall. All take features from the same detector; the
// detector itself lives in metrics/feature_extractor.h.
#pragma once

#include <torch/torch.h>

#include <cstdint>

#include "metrics/feature_statistics.h"

namespace disback {

/// Frechet distance between Gaussians fitted to two feature sets (Heusel et
/// al. 2017, "GANs Trained by a Two Time-Scale Update Rule..."):
///   ||mu_a - mu_b||^2 + tr(S_a) + tr(S_b) - 2 tr sqrtm(S_a S_b).
/// tr sqrtm(S_a S_b) is the sum of the square roots of the eigenvalues of
/// sqrt(S_a) S_b sqrt(S_a) (similar to S_a S_b, but symmetric), taken in
/// float64 with eigenvalues clamped at 0, which also handles singular
/// covariances. Errors if the dimensions differ.
double frechet_distance(const FeatureStatistics& a, const FeatureStatistics& b);

/// Unbiased estimate of the squared maximum mean discrepancy between samples
/// x [m, D] and y [n, D] with the polynomial kernel k(u, v) = (u.v / D + 1)^3
/// (Binkowski et al. 2018, "Demystifying MMD GANs", Eq. 4 generalised to
/// m != n). Computed in float64. Needs m, n >= 2.
double mmd2_polynomial(const torch::Tensor& x, const torch::Tensor& y);

struct KidOptions {
  int64_t subsets = 100;       ///< random subsets averaged, as the common tools
  int64_t subset_size = 1000;  ///< capped at the smaller set's size
  uint64_t seed = 0;           ///< subsets are drawn from this seed
};

struct KidResult {
  double mean = 0;  ///< KID: mean of the subsets' MMD^2
  double std = 0;   ///< population standard deviation over the subsets
  int64_t subsets = 0, subset_size = 0;
};

/// Kernel Inception Distance: mmd2_polynomial over `subsets` pairs of
/// random subsets (drawn without replacement) of the two feature sets.
KidResult kernel_inception_distance(const torch::Tensor& a, const torch::Tensor& b,
                                    const KidOptions& options = {});

struct PrecisionRecall {
  double precision = 0;  ///< share of generated samples inside the real manifold
  double recall = 0;     ///< share of real samples inside the generated manifold
  int64_t k = 0;
};

/// Improved precision and recall (Kynkaanniemi et al. 2019): each set's
/// manifold is the union of balls around its samples reaching their k-th
/// nearest neighbour in the same set. `real` [m, D], `fake` [n, D], both
/// with more than k samples. Distances in float64, in row blocks.
PrecisionRecall precision_recall(const torch::Tensor& real, const torch::Tensor& fake,
                                 int64_t k = 3);

}  // namespace disback
