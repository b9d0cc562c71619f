#include "metrics/feature_statistics.h"

#include <ATen/CPUGeneratorImpl.h>

#include "common/error.h"
#include "common/log.h"
#include "io/hdf5_file.h"
#include "io/npz.h"

namespace disback {
namespace {

constexpr const char* kStatsFormat = "disback-stats-1";

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void check_moments(const FeatureStatistics& stats, const std::string& path) {
  DISBACK_CHECK(stats.mu.dim() == 1, "'", path, "': mu should be a vector, got shape ",
                stats.mu.sizes());
  const int64_t d = stats.mu.size(0);
  DISBACK_CHECK(stats.sigma.dim() == 2 && stats.sigma.size(0) == d && stats.sigma.size(1) == d, "'",
                path, "': sigma should be [", d, ", ", d, "] to match mu, got ",
                stats.sigma.sizes());
  DISBACK_CHECK(
      !stats.features.defined() || (stats.features.dim() == 2 && stats.features.size(1) == d), "'",
      path, "': features should be [M, ", d, "], got ", stats.features.sizes());
}

void save_hdf5(const FeatureStatistics& stats, const std::string& path) {
  write_hdf5_atomically(path, [&](Hdf5File& file) {
    file.set_attr("/", "format", kStatsFormat);
    file.set_attr("/", "n", stats.count);
    file.set_attr("/", "detector", stats.detector);
    file.write("mu", stats.mu.to(torch::kFloat64));
    file.write("sigma", stats.sigma.to(torch::kFloat64), /*compress=*/true);
    if (stats.features.defined()) {
      file.write("features", stats.features.to(torch::kFloat32), /*compress=*/true);
    }
  });
}

FeatureStatistics load_hdf5(const std::string& path) {
  Hdf5File file(path, Hdf5File::Mode::kRead);
  DISBACK_CHECK(file.has("mu") && file.has("sigma"), "'", path,
                "' is not a statistics file: it needs datasets 'mu' and 'sigma'");
  FeatureStatistics stats;
  stats.mu = file.read("mu").to(torch::kFloat64);
  stats.sigma = file.read("sigma").to(torch::kFloat64);
  if (file.has("features")) stats.features = file.read("features").to(torch::kFloat32);
  if (file.has_attr("/", "n")) stats.count = file.attr_int("/", "n");
  if (file.has_attr("/", "detector")) stats.detector = file.attr_string("/", "detector");
  return stats;
}

void save_npz(const FeatureStatistics& stats, const std::string& path) {
  std::map<std::string, torch::Tensor> arrays = {
      {"mu", stats.mu.to(torch::kFloat64)},
      {"sigma", stats.sigma.to(torch::kFloat64)},
      {"n", torch::tensor(stats.count, torch::kInt64).reshape({})},
  };
  // The detector name as UTF-8 bytes: Python reads it with bytes(f['detector']).decode().
  if (!stats.detector.empty()) {
    arrays["detector"] =
        torch::from_blob(const_cast<char*>(stats.detector.data()),
                         {static_cast<int64_t>(stats.detector.size())}, torch::kUInt8)
            .clone();
  }
  write_npz(path, arrays);
}

FeatureStatistics load_npz(const std::string& path) {
  const auto arrays = read_npz(path);
  DISBACK_CHECK(arrays.count("mu") && arrays.count("sigma"), "'", path,
                "' is not a statistics file: it needs arrays 'mu' and 'sigma'");
  FeatureStatistics stats;
  stats.mu = arrays.at("mu").to(torch::kFloat64);
  stats.sigma = arrays.at("sigma").to(torch::kFloat64);
  if (arrays.count("n")) stats.count = arrays.at("n").item<int64_t>();
  if (arrays.count("detector") && arrays.at("detector").scalar_type() == torch::kUInt8) {
    const torch::Tensor bytes = arrays.at("detector").contiguous();
    stats.detector.assign(static_cast<const char*>(bytes.data_ptr()), bytes.numel());
  }
  return stats;
}

}  // namespace

void check_sample_count(int64_t count, int64_t dim, const std::string& what) {
  DISBACK_CHECK(count >= 2, what, ": statistics need at least 2 samples, got ", count);
  if (count < dim) {
    log_warning(what, ": ", count, " samples for ", dim, "-dimensional features; the covariance ",
                "has rank at most ", count - 1, " < ", dim,
                ", so FID is dominated by the missing directions and is unreliable (and biased ",
                "upwards); use at least ", dim, " samples, preferably 10x more");
  }
}

FeatureStatistics FeatureStatistics::of(const torch::Tensor& features,
                                        const std::string& detector) {
  FeatureAccumulator accumulator;
  accumulator.add(features);
  return accumulator.statistics(detector);
}

void FeatureStatistics::save(const std::string& path) const {
  check_moments(*this, path);
  if (ends_with(path, ".npz")) {
    save_npz(*this, path);
  } else {
    save_hdf5(*this, path);
  }
}

FeatureStatistics FeatureStatistics::load(const std::string& path) {
  FeatureStatistics stats = ends_with(path, ".npz") ? load_npz(path) : load_hdf5(path);
  check_moments(stats, path);
  return stats;
}

FeatureAccumulator::FeatureAccumulator(int64_t keep_features, uint64_t seed)
    : keep_limit_(keep_features), generator_(at::detail::createCPUGenerator(seed)) {}

void FeatureAccumulator::add(const torch::Tensor& features) {
  DISBACK_CHECK(features.dim() == 2, "features should be [N, D], got ", features.sizes());
  if (features.size(0) == 0) return;
  const torch::Tensor x = features.detach().to(torch::kCPU, torch::kFloat64);
  if (!shift_.defined()) {
    shift_ = x[0].clone();
    sum_ = torch::zeros_like(shift_);
    sum_outer_ = torch::zeros({x.size(1), x.size(1)}, x.options());
  }
  DISBACK_CHECK(x.size(1) == dim(), "features of dimension ", x.size(1), " added to statistics of ",
                "dimension ", dim());
  const torch::Tensor centred = x - shift_;
  sum_ += centred.sum(0);
  sum_outer_.addmm_(centred.t(), centred);
  keep(features.detach().to(torch::kCPU, torch::kFloat32));
  count_ += x.size(0);
}

void FeatureAccumulator::keep(const torch::Tensor& batch) {
  if (keep_limit_ <= 0) return;
  // Reservoir sampling (Vitter's algorithm R): every sample seen so far is
  // kept with the same probability keep_limit / count.
  int64_t row = 0;
  if (!kept_.defined()) kept_ = batch.new_empty({0, batch.size(1)});
  const int64_t free = std::min(keep_limit_ - kept_.size(0), batch.size(0));
  if (free > 0) {
    kept_ = torch::cat({kept_, batch.slice(0, 0, free)});
    row = free;
  }
  if (row == batch.size(0)) return;
  const torch::Tensor draws = torch::rand({batch.size(0) - row}, generator_, torch::kFloat64);
  const auto* u = draws.data_ptr<double>();
  for (int64_t i = row; i < batch.size(0); ++i) {
    const int64_t seen = count_ + i + 1;
    const auto slot = static_cast<int64_t>(u[i - row] * static_cast<double>(seen));
    if (slot < keep_limit_) kept_[slot].copy_(batch[i]);
  }
}

FeatureStatistics FeatureAccumulator::statistics(const std::string& detector) const {
  check_sample_count(count_, dim(), str_cat("features of ", detector.empty() ? "?" : detector));
  const double n = static_cast<double>(count_);
  const torch::Tensor mean_centred = sum_ / n;
  FeatureStatistics stats;
  stats.mu = shift_ + mean_centred;
  stats.sigma = (sum_outer_ - n * torch::outer(mean_centred, mean_centred)) / (n - 1);
  // The rank-one update leaves rounding asymmetry; sqrtm-based FID expects symmetry.
  stats.sigma = 0.5 * (stats.sigma + stats.sigma.t());
  stats.count = count_;
  stats.detector = detector;
  if (kept_.defined()) stats.features = kept_.clone();
  return stats;
}

}  // namespace disback
