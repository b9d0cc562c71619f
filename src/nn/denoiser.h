// The EDM-preconditioned denoiser D(x; sigma) (Karras et al. 2022, Table 1
// and Eq. 7): D = c_skip x + c_out F(c_in x, c_noise) with
//   c_skip = sd^2 / (s^2 + sd^2), c_out = s sd / sqrt(s^2 + sd^2),
//   c_in = 1 / sqrt(s^2 + sd^2),  c_noise = ln(s) / 4.
// Teachers, fake denoisers, path checkpoints and generators are all this.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "nn/network.h"

namespace disback {

/// The preconditioning coefficients for noise levels `sigma` (any shape).
struct Preconditioning {
  torch::Tensor c_skip, c_out, c_in, c_noise;
};
Preconditioning edm_preconditioning(const torch::Tensor& sigma, double sigma_data);

class Denoiser : public torch::nn::Module {
 public:
  /// `config` is the architecture description stored with the weights:
  /// img_resolution, img_channels, label_dim, sigma_data (default 0.5),
  /// model_type and the network's keyword arguments.
  explicit Denoiser(nlohmann::json config);

  /// x [N, C, H, W] (or [N, D]); sigma a scalar or [N]; class_labels
  /// [N, label_dim] one-hot (undefined: zeros for a conditional model).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& sigma,
                        const torch::Tensor& class_labels = {});

  /// A deep copy: same architecture, weights copied, on the same device.
  std::shared_ptr<Denoiser> clone() const;
  /// Copies the weights of another denoiser of the same architecture.
  void copy_weights_from(const Denoiser& other);

  const nlohmann::json& config() const { return config_; }
  double sigma_data() const { return sigma_data_; }
  int64_t label_dim() const { return label_dim_; }
  /// The shape of one sample: {C, H, W} for images, {D} for vectors.
  std::vector<int64_t> sample_shape() const { return sample_shape_; }
  /// Number of trainable scalars.
  int64_t parameter_count() const;

 private:
  nlohmann::json config_;
  double sigma_data_;
  int64_t label_dim_;
  std::vector<int64_t> sample_shape_;
  std::shared_ptr<Network> model_;
};

using DenoiserPtr = std::shared_ptr<Denoiser>;

}  // namespace disback
