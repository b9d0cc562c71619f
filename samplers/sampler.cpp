#include "samplers/sampler.h"

#include <cmath>
#include <map>

#include "common/error.h"
#include "samplers/solvers.h"

namespace disback {

DenoiseFn denoiser_fn(DenoiserPtr denoiser) {
  DISBACK_CHECK(denoiser != nullptr, "denoiser_fn: got a null denoiser");
  return [denoiser](const torch::Tensor& x, const torch::Tensor& sigma,
                    const torch::Tensor& class_labels) {
    torch::NoGradGuard no_grad;
    return denoiser->forward(x, sigma, class_labels);
  };
}

SamplerOptions& SamplerOptions::with_num_steps(int64_t value) {
  num_steps = value;
  return *this;
}
SamplerOptions& SamplerOptions::with_sigma_min(double value) {
  sigma_min = value;
  return *this;
}
SamplerOptions& SamplerOptions::with_sigma_max(double value) {
  sigma_max = value;
  return *this;
}
SamplerOptions& SamplerOptions::with_rho(double value) {
  rho = value;
  return *this;
}
SamplerOptions& SamplerOptions::with_S_churn(double value) {
  S_churn = value;
  return *this;
}
SamplerOptions& SamplerOptions::with_S_min(double value) {
  S_min = value;
  return *this;
}
SamplerOptions& SamplerOptions::with_S_max(double value) {
  S_max = value;
  return *this;
}
SamplerOptions& SamplerOptions::with_S_noise(double value) {
  S_noise = value;
  return *this;
}
SamplerOptions& SamplerOptions::with_eta(double value) {
  eta = value;
  return *this;
}
SamplerOptions& SamplerOptions::with_sigma_init(double value) {
  sigma_init = value;
  return *this;
}

void SamplerOptions::validate() const {
  DISBACK_CHECK(num_steps >= 1, "sampler: expected num_steps >= 1, got ", num_steps);
  DISBACK_CHECK(sigma_min > 0 && sigma_min < sigma_max,
                "sampler: expected 0 < sigma_min < sigma_max, got sigma_min ", sigma_min,
                " and sigma_max ", sigma_max);
  DISBACK_CHECK(rho > 0, "sampler: expected rho > 0, got ", rho);
  DISBACK_CHECK(S_churn >= 0, "sampler: expected S_churn >= 0, got ", S_churn);
  DISBACK_CHECK(S_noise >= 0, "sampler: expected S_noise >= 0, got ", S_noise);
  DISBACK_CHECK(eta >= 0, "sampler: expected eta >= 0, got ", eta);
  DISBACK_CHECK(sigma_init > 0, "sampler: expected sigma_init > 0, got ", sigma_init);
}

nlohmann::json SamplerOptions::to_json() const {
  return {{"num_steps", num_steps},
          {"sigma_min", sigma_min},
          {"sigma_max", sigma_max},
          {"rho", rho},
          {"S_churn", S_churn},
          {"S_min", S_min},
          {"S_max", S_max},
          {"S_noise", S_noise},
          {"eta", eta},
          {"sigma_init", sigma_init}};
}

Sampler::Sampler(SamplerOptions options) : options_(std::move(options)) { options_.validate(); }

SampleResult Sampler::sample(const DenoiseFn& denoise, const torch::Tensor& latents,
                             const torch::Tensor& class_labels, const NoiseFn& noise,
                             const StepCallback& callback) const {
  DISBACK_CHECK(latents.defined() && latents.dim() >= 2 && latents.size(0) > 0, "sampler ", name(),
                ": expected latents [N, ...] with N > 0, got ",
                latents.defined() ? latents.sizes() : c10::IntArrayRef{});
  DISBACK_CHECK(!class_labels.defined() || class_labels.size(0) == latents.size(0), "sampler ",
                name(), ": ", class_labels.defined() ? class_labels.size(0) : 0,
                " class labels for ", latents.size(0), " latents");
  const torch::Tensor z = latents.to(torch::kFloat64);

  // Every evaluation goes through here: count it and bring D back to float64.
  int64_t nfe = 0;
  const Denoise64 D = [&](const torch::Tensor& x, double sigma) {
    ++nfe;
    const torch::Tensor denoised =
        denoise(x, torch::full({x.size(0)}, sigma, x.options()), class_labels);
    DISBACK_CHECK(denoised.sizes() == x.sizes(), "sampler ", name(), ": denoiser returned ",
                  denoised.sizes(), " for input ", x.sizes());
    return denoised.to(torch::kFloat64);
  };
  const NoiseFn draw = noise ? noise : [&z]() { return torch::randn_like(z); };

  torch::Tensor x = solve(D, z, draw, callback);
  return {x.to(torch::kFloat32), nfe};
}

std::vector<double> edm_time_steps(const SamplerOptions& options) {
  options.validate();
  const int64_t N = options.num_steps;
  const double inv_rho = 1.0 / options.rho;
  const double max_root = std::pow(options.sigma_max, inv_rho);
  const double min_root = std::pow(options.sigma_min, inv_rho);
  std::vector<double> t(N + 1, 0.0);
  t[0] = options.sigma_max;
  for (int64_t i = 1; i < N; ++i) {
    t[i] = std::pow(max_root + double(i) / double(N - 1) * (min_root - max_root), options.rho);
  }
  return t;
}

const std::vector<std::string>& sampler_names() {
  static const std::vector<std::string> names = {"heun", "euler",    "edm-stochastic",
                                                 "ddim", "dpmpp-2m", "onestep"};
  return names;
}

SamplerPtr make_sampler(const std::string& name, const SamplerOptions& options) {
  options.validate();
  if (name == "heun") return make_edm_sampler(EdmVariant::kHeun, options);
  if (name == "euler") return make_edm_sampler(EdmVariant::kEuler, options);
  if (name == "edm-stochastic") return make_edm_sampler(EdmVariant::kStochastic, options);
  if (name == "ddim") return make_ddim_sampler(options);
  if (name == "dpmpp-2m") return make_dpmpp_2m_sampler(options);
  if (name == "onestep") return make_onestep_sampler(options);
  std::string valid;
  for (const auto& known : sampler_names()) valid += (valid.empty() ? "" : ", ") + known;
  throw Error(str_cat("unknown sampler '", name, "' (valid: ", valid, ")"));
}

}  // namespace disback
