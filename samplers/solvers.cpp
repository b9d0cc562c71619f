// DDIM and DPM-Solver++(2M) written in sigma space on the EDM time steps, and
// the one-step generator as a sampler.
#include <algorithm>
#include <cmath>

#include "samplers/solvers.h"

namespace disback {
namespace {

// DDIM (Song et al. 2021, Eq. 12) with x = y + sigma n. The step keeps the
// predicted clean sample and re-noises it to t_next: a deterministic part
// along the predicted noise eps and, for eta > 0, fresh noise of standard
// deviation sigma_up = eta t_next sqrt(t^2 - t_next^2) / t, which is DDIM's
// sigma_t(eta) carried over from the variance-preserving form. With eta = 0
// the update equals an Euler step of the probability-flow ODE.
class DdimSampler : public Sampler {
 public:
  using Sampler::Sampler;
  std::string name() const override { return "ddim"; }
  int64_t nfe() const override { return options_.num_steps; }
  bool stochastic() const override { return options_.eta > 0; }

 protected:
  torch::Tensor solve(const Denoise64& D, const torch::Tensor& z, const NoiseFn& noise,
                      const StepCallback& callback) const override {
    const std::vector<double> t = edm_time_steps(options_);
    torch::Tensor x = z * t[0];
    for (int64_t i = 0; i < options_.num_steps; ++i) {
      const double t_cur = t[i], t_next = t[i + 1];
      const torch::Tensor denoised = D(x, t_cur);
      if (callback) callback(i, t_cur, x, denoised);
      if (t_next == 0) {
        x = denoised;
        continue;
      }
      const torch::Tensor eps = (x - denoised) / t_cur;
      const double sigma_up = std::min(
          t_next, options_.eta * t_next * std::sqrt(t_cur * t_cur - t_next * t_next) / t_cur);
      const double sigma_down = std::sqrt(t_next * t_next - sigma_up * sigma_up);
      x = denoised + sigma_down * eps;
      if (sigma_up > 0) x = x + sigma_up * noise();
    }
    return x;
  }
};

// DPM-Solver++(2M) (Lu et al. 2022, Alg. 2) with alpha = 1 and the half
// log-SNR lambda = -ln sigma. Each step is the exact solution of the ODE with
// D held at a linear extrapolation of the current and previous estimates:
//   x_next = (t_next / t) x + (1 - t_next / t) D_hat,
//   D_hat = (1 + 1/(2r)) D_i - 1/(2r) D_{i-1},  r = h_{i-1} / h_i,  h_i = ln(t_i / t_{i+1}).
// The first step (no previous estimate) is first order, and the last one,
// landing on t_N = 0, returns D itself.
class DpmSolver2mSampler : public Sampler {
 public:
  using Sampler::Sampler;
  std::string name() const override { return "dpmpp-2m"; }
  int64_t nfe() const override { return options_.num_steps; }

 protected:
  torch::Tensor solve(const Denoise64& D, const torch::Tensor& z, const NoiseFn&,
                      const StepCallback& callback) const override {
    const std::vector<double> t = edm_time_steps(options_);
    torch::Tensor x = z * t[0];
    torch::Tensor denoised_prev;
    double h_prev = 0;
    for (int64_t i = 0; i < options_.num_steps; ++i) {
      const double t_cur = t[i], t_next = t[i + 1];
      const torch::Tensor denoised = D(x, t_cur);
      if (callback) callback(i, t_cur, x, denoised);
      if (t_next == 0) {
        x = denoised;
        continue;
      }
      const double h = std::log(t_cur / t_next);
      torch::Tensor D_hat = denoised;
      if (denoised_prev.defined()) {
        const double r = h_prev / h;
        D_hat = (1 + 1 / (2 * r)) * denoised - (1 / (2 * r)) * denoised_prev;
      }
      x = (t_next / t_cur) * x + (1 - t_next / t_cur) * D_hat;
      denoised_prev = denoised;
      h_prev = h;
    }
    return x;
  }
};

// The one-step generator G(z) = D(sigma_init z; sigma_init): one evaluation,
// whatever num_steps says.
class OneStepSampler : public Sampler {
 public:
  using Sampler::Sampler;
  std::string name() const override { return "onestep"; }
  int64_t nfe() const override { return 1; }
  int64_t num_steps() const override { return 1; }

 protected:
  torch::Tensor solve(const Denoise64& D, const torch::Tensor& z, const NoiseFn&,
                      const StepCallback& callback) const override {
    const double sigma_init = options_.sigma_init;
    const torch::Tensor x = z * sigma_init;
    const torch::Tensor denoised = D(x, sigma_init);
    if (callback) callback(0, sigma_init, x, denoised);
    return denoised;
  }
};

}  // namespace

SamplerPtr make_ddim_sampler(const SamplerOptions& options) {
  return std::make_shared<DdimSampler>(options);
}
SamplerPtr make_dpmpp_2m_sampler(const SamplerOptions& options) {
  return std::make_shared<DpmSolver2mSampler>(options);
}
SamplerPtr make_onestep_sampler(const SamplerOptions& options) {
  return std::make_shared<OneStepSampler>(options);
}

}  // namespace disback
