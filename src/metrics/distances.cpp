#include "metrics/distances.h"

#include <ATen/CPUGeneratorImpl.h>

#include "common/error.h"

namespace disback {
namespace {

// Row blocks bound the memory of kernel and distance matrices to
// kBlockRows x (other set's size) float64 values.
constexpr int64_t kBlockRows = 1024;

torch::Tensor as_float64_matrix(const torch::Tensor& features, const char* name) {
  DISBACK_CHECK(features.dim() == 2, name, " features should be [N, D], got ", features.sizes());
  return features.detach().to(torch::kCPU, torch::kFloat64).contiguous();
}

// sqrt of a symmetric positive semi-definite matrix through its eigenvectors;
// tiny negative eigenvalues from rounding are taken as 0.
torch::Tensor symmetric_sqrt(const torch::Tensor& s) {
  auto [eigenvalues, eigenvectors] = torch::linalg::eigh(s, "L");
  return torch::mm(eigenvectors * eigenvalues.clamp_min(0).sqrt(), eigenvectors.t());
}

// Sum of (x.y / d + 1)^3 over all pairs, or over pairs i != j when x and y
// are the same set.
double polynomial_kernel_sum(const torch::Tensor& x, const torch::Tensor& y, bool same_set) {
  const double d = static_cast<double>(x.size(1));
  double total = 0;
  for (int64_t start = 0; start < x.size(0); start += kBlockRows) {
    const torch::Tensor block = x.slice(0, start, start + kBlockRows);
    torch::Tensor kernel = (torch::mm(block, y.t()) / d + 1).pow(3);
    if (same_set) kernel.diagonal(/*offset=*/start, 0, 1).zero_();
    total += kernel.sum().item<double>();
  }
  return total;
}

// Distance from each row of x to its k-th nearest neighbour among the other rows.
torch::Tensor knn_radii(const torch::Tensor& x, int64_t k) {
  std::vector<torch::Tensor> radii;
  for (int64_t start = 0; start < x.size(0); start += kBlockRows) {
    const torch::Tensor distances = torch::cdist(x.slice(0, start, start + kBlockRows), x);
    // The (k+1)-th smallest: the smallest is the row's distance to itself.
    radii.push_back(std::get<0>(distances.kthvalue(k + 1, 1)));
  }
  return torch::cat(radii);
}

// Share of the rows of `queries` within radius[j] of some row j of `points`.
double share_inside(const torch::Tensor& queries, const torch::Tensor& points,
                    const torch::Tensor& radii) {
  int64_t inside = 0;
  for (int64_t start = 0; start < queries.size(0); start += kBlockRows) {
    const torch::Tensor distances =
        torch::cdist(queries.slice(0, start, start + kBlockRows), points);
    inside += (distances <= radii.unsqueeze(0)).any(1).sum().item<int64_t>();
  }
  return static_cast<double>(inside) / static_cast<double>(queries.size(0));
}

}  // namespace

double frechet_distance(const FeatureStatistics& a, const FeatureStatistics& b) {
  DISBACK_CHECK(a.dim() > 0 && a.dim() == b.dim(), "FID needs statistics of one dimension, got ",
                a.dim(), " and ", b.dim(), " (detectors '", a.detector, "' and '", b.detector,
                "')");
  const torch::Tensor mu_a = a.mu.to(torch::kFloat64), mu_b = b.mu.to(torch::kFloat64);
  const torch::Tensor s_a = a.sigma.to(torch::kFloat64), s_b = b.sigma.to(torch::kFloat64);

  // Step 1: the mean term.
  const double mean_term = (mu_a - mu_b).square().sum().item<double>();
  // Step 2: tr sqrtm(S_a S_b) as the sum of sqrt(eigenvalues) of the
  // symmetric sqrt(S_a) S_b sqrt(S_a), whose spectrum equals S_a S_b's.
  const torch::Tensor root_a = symmetric_sqrt(s_a);
  torch::Tensor product = torch::mm(torch::mm(root_a, s_b), root_a);
  product = 0.5 * (product + product.t());
  const double trace_sqrt =
      torch::linalg::eigvalsh(product, "L").clamp_min(0).sqrt().sum().item<double>();
  // Step 3: combine with the traces.
  return mean_term + s_a.trace().item<double>() + s_b.trace().item<double>() - 2 * trace_sqrt;
}

double mmd2_polynomial(const torch::Tensor& x, const torch::Tensor& y) {
  const torch::Tensor a = as_float64_matrix(x, "first"), b = as_float64_matrix(y, "second");
  DISBACK_CHECK(a.size(1) == b.size(1), "MMD needs features of one dimension, got ", a.size(1),
                " and ", b.size(1));
  const double m = static_cast<double>(a.size(0)), n = static_cast<double>(b.size(0));
  DISBACK_CHECK(m >= 2 && n >= 2, "MMD needs at least 2 samples in each set, got ", a.size(0),
                " and ", b.size(0));
  return polynomial_kernel_sum(a, a, true) / (m * (m - 1)) +
         polynomial_kernel_sum(b, b, true) / (n * (n - 1)) -
         2 * polynomial_kernel_sum(a, b, false) / (m * n);
}

KidResult kernel_inception_distance(const torch::Tensor& a, const torch::Tensor& b,
                                    const KidOptions& options) {
  const torch::Tensor x = as_float64_matrix(a, "first"), y = as_float64_matrix(b, "second");
  DISBACK_CHECK(options.subsets >= 1, "KID needs at least 1 subset, got ", options.subsets);
  // Unlike FID, the MMD estimate stays unbiased with fewer samples than
  // dimensions, so only the minimum of 2 per subset applies.
  KidResult result;
  result.subsets = options.subsets;
  result.subset_size = std::min({options.subset_size, x.size(0), y.size(0)});
  DISBACK_CHECK(result.subset_size >= 2, "KID subset size should be >= 2, got ",
                options.subset_size);

  torch::Generator generator = at::detail::createCPUGenerator(options.seed);
  const auto index_options = torch::TensorOptions().dtype(torch::kInt64);
  std::vector<double> values;
  for (int64_t s = 0; s < options.subsets; ++s) {
    const torch::Tensor rows_x =
        torch::randperm(x.size(0), generator, index_options).slice(0, 0, result.subset_size);
    const torch::Tensor rows_y =
        torch::randperm(y.size(0), generator, index_options).slice(0, 0, result.subset_size);
    values.push_back(mmd2_polynomial(x.index_select(0, rows_x), y.index_select(0, rows_y)));
  }
  const torch::Tensor all = torch::tensor(values, torch::kFloat64);
  result.mean = all.mean().item<double>();
  result.std = all.std(/*unbiased=*/false).item<double>();
  return result;
}

PrecisionRecall precision_recall(const torch::Tensor& real, const torch::Tensor& fake, int64_t k) {
  const torch::Tensor r = as_float64_matrix(real, "real"), f = as_float64_matrix(fake, "fake");
  DISBACK_CHECK(r.size(1) == f.size(1), "precision/recall needs features of one dimension, got ",
                r.size(1), " and ", f.size(1));
  DISBACK_CHECK(k >= 1 && r.size(0) > k && f.size(0) > k, "precision/recall with k = ", k,
                " needs more than k samples in each set, got ", r.size(0), " real and ", f.size(0),
                " generated");
  PrecisionRecall result;
  result.k = k;
  result.precision = share_inside(f, r, knn_radii(r, k));
  result.recall = share_inside(r, f, knn_radii(f, k));
  return result;
}

}  // namespace disback
