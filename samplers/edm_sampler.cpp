// The EDM sampler (Karras et al. 2022): Euler (Alg. 1 without the
// correction), deterministic Heun (Alg. 1) and stochastic Heun (Alg. 2).
#include <algorithm>
#include <cmath>

#include "samplers/solvers.h"

namespace disback {
namespace {

class EdmSampler : public Sampler {
 public:
  EdmSampler(EdmVariant variant, const SamplerOptions& options)
      : Sampler(options), variant_(variant) {}

  std::string name() const override {
    switch (variant_) {
      case EdmVariant::kEuler:
        return "euler";
      case EdmVariant::kHeun:
        return "heun";
      case EdmVariant::kStochastic:
        break;
    }
    return "edm-stochastic";
  }

  // Heun evaluates twice per step except the last, whose Euler step lands on t_N = 0.
  int64_t nfe() const override {
    return variant_ == EdmVariant::kEuler ? options_.num_steps : 2 * options_.num_steps - 1;
  }

  bool stochastic() const override {
    return variant_ == EdmVariant::kStochastic && options_.S_churn > 0 && options_.S_noise > 0;
  }

 protected:
  torch::Tensor solve(const Denoise64& D, const torch::Tensor& z, const NoiseFn& noise,
                      const StepCallback& callback) const override {
    const std::vector<double> t = edm_time_steps(options_);
    const int64_t N = options_.num_steps;
    torch::Tensor x_next = z * t[0];
    for (int64_t i = 0; i < N; ++i) {
      const torch::Tensor x_cur = x_next;
      const double t_cur = t[i], t_next = t[i + 1];

      // Raise the noise level to t_hat = (1 + gamma) t_cur by adding fresh noise (Alg. 2, lines
      // 4-6).
      const double gamma = churn(t_cur);
      const double t_hat = t_cur + gamma * t_cur;
      torch::Tensor x_hat = x_cur;
      if (gamma > 0) {
        x_hat = x_cur + std::sqrt(t_hat * t_hat - t_cur * t_cur) * options_.S_noise * noise();
      }

      // Euler step from t_hat to t_next along dx/dt = (x - D(x; t)) / t (line 7-8).
      const torch::Tensor denoised = D(x_hat, t_hat);
      if (callback) callback(i, t_hat, x_hat, denoised);
      const torch::Tensor d_cur = (x_hat - denoised) / t_hat;
      x_next = x_hat + (t_next - t_hat) * d_cur;

      // Second-order correction with the slope at t_next (lines 9-11); not at t_N = 0,
      // where the slope is undefined.
      if (variant_ != EdmVariant::kEuler && i < N - 1) {
        const torch::Tensor d_prime = (x_next - D(x_next, t_next)) / t_next;
        x_next = x_hat + (t_next - t_hat) * (0.5 * d_cur + 0.5 * d_prime);
      }
    }
    return x_next;
  }

 private:
  // gamma_i of Alg. 2, capped at sqrt(2) - 1 so that the churn at most doubles the variance t^2.
  double churn(double t_cur) const {
    if (variant_ != EdmVariant::kStochastic) return 0.0;
    if (t_cur < options_.S_min || t_cur > options_.S_max) return 0.0;
    return std::min(options_.S_churn / double(options_.num_steps), std::sqrt(2.0) - 1.0);
  }

  EdmVariant variant_;
};

}  // namespace

SamplerPtr make_edm_sampler(EdmVariant variant, const SamplerOptions& options) {
  return std::make_shared<EdmSampler>(variant, options);
}

}  // namespace disback
