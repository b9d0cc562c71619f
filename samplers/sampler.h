// The teacher's multi-step samplers as one family. Every sampler takes the
// same arguments (a denoiser D(x; sigma), unit-variance latents, optional
// class labels and noise) and can be swapped for any other; the one-step
// generator is a sampler too, so all of them are evaluated the same way.
//
// Conventions shared by every sampler (Karras et al. 2022, "EDM"):
//   x = y + sigma n, with y a data sample and n ~ N(0, I);
//   the probability-flow ODE dx/dsigma = (x - D(x; sigma)) / sigma;
//   time steps t_i = (sigma_max^(1/rho) + i/(N-1) (sigma_min^(1/rho) -
//   sigma_max^(1/rho)))^rho for i = 0..N-1, and t_N = 0 (EDM Eq. 5).
// The sampler state is float64; the network sees float32 (its own cast), as
// in the reference implementation.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "nn/denoiser.h"

namespace disback {

/// A denoiser D(x; sigma): x [N, ...], sigma [N] (float64, on x's device),
/// class_labels [N, label_dim] one-hot or undefined. Returns the estimate of
/// the clean sample, shaped like x (any floating dtype).
using DenoiseFn = std::function<torch::Tensor(const torch::Tensor& x, const torch::Tensor& sigma,
                                              const torch::Tensor& class_labels)>;

/// Standard normal noise shaped like the latents [N, ...], for the
/// stochastic samplers. An empty function draws from LibTorch's default
/// generator.
using NoiseFn = std::function<torch::Tensor()>;

/// Called once per network evaluation that starts a step: the step index i,
/// the noise level the step starts from (t_hat for the EDM samplers), the
/// state x there and D(x; sigma), both float64.
using StepCallback = std::function<void(int64_t step, double sigma, const torch::Tensor& x,
                                        const torch::Tensor& denoised)>;

/// Wraps a denoiser (evaluated without gradients) as a DenoiseFn. The
/// denoiser's train/eval mode is left as it is.
DenoiseFn denoiser_fn(DenoiserPtr denoiser);

/// Everything that configures a sampler. Each sampler reads the fields that
/// concern it and ignores the rest.
struct SamplerOptions {
  int64_t num_steps = 18;  // N, the number of steps (not of evaluations)
  double sigma_min = 0.002;
  double sigma_max = 80;
  double rho = 7;
  // edm-stochastic (EDM Alg. 2): churn gamma_i = min(S_churn/N, sqrt(2)-1)
  // for t_i in [S_min, S_max], noise scaled by S_noise. The defaults are the
  // EDM paper's ImageNet-64 settings.
  double S_churn = 40;
  double S_min = 0.05;
  double S_max = 50;
  double S_noise = 1.003;
  // ddim: 0 is the deterministic DDIM, 1 the DDPM-like ancestral sampler.
  double eta = 0;
  // onestep: the generator's fixed noise level, G(z) = D(sigma_init z; sigma_init).
  double sigma_init = 2.5;

  // Chainable setters: SamplerOptions().with_num_steps(8).with_S_churn(0).
  SamplerOptions& with_num_steps(int64_t value);
  SamplerOptions& with_sigma_min(double value);
  SamplerOptions& with_sigma_max(double value);
  SamplerOptions& with_rho(double value);
  SamplerOptions& with_S_churn(double value);
  SamplerOptions& with_S_min(double value);
  SamplerOptions& with_S_max(double value);
  SamplerOptions& with_S_noise(double value);
  SamplerOptions& with_eta(double value);
  SamplerOptions& with_sigma_init(double value);

  /// Throws when a value is out of range, naming the field and the value.
  void validate() const;
  nlohmann::json to_json() const;
};

struct SampleResult {
  torch::Tensor samples;  // [N, ...] float32, on the latents' device
  int64_t nfe = 0;        // network evaluations (each over the whole batch)
};

class Sampler {
 public:
  explicit Sampler(SamplerOptions options);
  virtual ~Sampler() = default;

  /// The factory name: heun, euler, edm-stochastic, ddim, dpmpp-2m, onestep.
  virtual std::string name() const = 0;
  /// Network evaluations per call of sample().
  virtual int64_t nfe() const = 0;
  /// Steps actually taken: options().num_steps, or 1 for onestep.
  virtual int64_t num_steps() const { return options_.num_steps; }
  /// True if the output depends on the noise as well as the latents.
  virtual bool stochastic() const { return false; }

  /// Maps latents z ~ N(0, I) [N, ...] to samples. The multi-step samplers
  /// start from x_0 = sigma_max z; onestep evaluates D(sigma_init z; sigma_init).
  /// class_labels: [N, label_dim] one-hot, or undefined.
  SampleResult sample(const DenoiseFn& denoise, const torch::Tensor& latents,
                      const torch::Tensor& class_labels = {}, const NoiseFn& noise = {},
                      const StepCallback& callback = {}) const;

  const SamplerOptions& options() const { return options_; }

 protected:
  /// The network as the solvers see it: float64 state in, float64 D out.
  using Denoise64 = std::function<torch::Tensor(const torch::Tensor& x, double sigma)>;
  /// Runs the method on float64 latents z; `noise` is never empty here.
  virtual torch::Tensor solve(const Denoise64& D, const torch::Tensor& z, const NoiseFn& noise,
                              const StepCallback& callback) const = 0;

  SamplerOptions options_;
};

using SamplerPtr = std::shared_ptr<const Sampler>;

/// The EDM time steps t_0 > ... > t_{N-1} = sigma_min, then t_N = 0
/// (N + 1 values). With N = 1 the single step goes from sigma_max to 0.
std::vector<double> edm_time_steps(const SamplerOptions& options);

/// The names make_sampler() accepts.
const std::vector<std::string>& sampler_names();
/// Builds a sampler by name; an unknown name or an invalid option throws
/// with the valid choices.
SamplerPtr make_sampler(const std::string& name, const SamplerOptions& options = {});

}  // namespace disback
