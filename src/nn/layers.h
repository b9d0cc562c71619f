// Building blocks of the EDM networks (Karras et al. 2022, "Elucidating the
// Design Space of Diffusion-Based Generative Models", training/networks.py).
// Parameter and buffer names follow the reference implementation, so that a
// reference state dict loads by name.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

namespace disback {

/// Weight initialisation schemes of the reference: "xavier_uniform",
/// "xavier_normal", "kaiming_uniform", "kaiming_normal".
struct InitOptions {
  std::string mode = "kaiming_normal";
  double weight_scale = 1.0;
  double bias_scale = 0.0;
};

torch::Tensor init_weight(std::vector<int64_t> shape, const std::string& mode, int64_t fan_in,
                          int64_t fan_out);

/// Fully connected layer: y = x W^T + b. Parameters "weight" [out, in], "bias" [out].
class Linear : public torch::nn::Module {
 public:
  Linear(int64_t in_features, int64_t out_features, bool bias = true, InitOptions init = {});
  torch::Tensor forward(const torch::Tensor& x);
  int64_t in_features() const { return in_features_; }

 private:
  int64_t in_features_;
  torch::Tensor weight_, bias_;
};

/// Convolution with optional 2x up- or downsampling through a separable FIR
/// filter (`resample_filter`, e.g. {1,1} or {1,3,3,1}). kernel = 0 gives a
/// pure resampling layer without weights. "fused" resampling convolves
/// first and then downsamples (or upsamples first), as NCSN++'s residual
/// encoder does.
struct Conv2dOptions {
  int64_t in_channels = 0, out_channels = 0, kernel = 3;
  bool bias = true, up = false, down = false, fused_resample = false;
  std::vector<double> resample_filter = {1, 1};
  InitOptions init;
};

class Conv2d : public torch::nn::Module {
 public:
  explicit Conv2d(Conv2dOptions options);
  torch::Tensor forward(torch::Tensor x);

 private:
  Conv2dOptions options_;
  torch::Tensor weight_, bias_, resample_filter_;
};

/// Group normalisation with at most 32 groups and at least
/// `min_channels_per_group` channels in each.
class GroupNorm : public torch::nn::Module {
 public:
  GroupNorm(int64_t num_channels, int64_t num_groups = 32, int64_t min_channels_per_group = 4,
            double eps = 1e-5);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  int64_t num_groups_;
  double eps_;
  torch::Tensor weight_, bias_;
};

/// Residual U-Net block with optional resampling and self-attention: the
/// union of the DDPM++, NCSN++ and ADM blocks.
struct UNetBlockOptions {
  int64_t in_channels = 0, out_channels = 0, emb_channels = 0;
  bool up = false, down = false, attention = false;
  int64_t num_heads = -1;  // -1: out_channels / channels_per_head
  int64_t channels_per_head = 64;
  double dropout = 0.0, skip_scale = 1.0, eps = 1e-5;
  std::vector<double> resample_filter = {1, 1};
  bool resample_proj = false, adaptive_scale = true;
  InitOptions init, init_zero{"kaiming_normal", 0.0, 0.0};
  std::optional<InitOptions> init_attn;
};

class UNetBlock : public torch::nn::Module {
 public:
  explicit UNetBlock(UNetBlockOptions options);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& emb);
  int64_t in_channels() const { return options_.in_channels; }
  int64_t out_channels() const { return options_.out_channels; }

 private:
  torch::Tensor attend(const torch::Tensor& x);

  UNetBlockOptions options_;
  int64_t num_heads_;
  std::shared_ptr<GroupNorm> norm0_, norm1_, norm2_;
  std::shared_ptr<Conv2d> conv0_, conv1_, skip_, qkv_, proj_;
  std::shared_ptr<Linear> affine_;
};

/// Sinusoidal embedding of the noise level (DDPM++, ADM).
class PositionalEmbedding : public torch::nn::Module {
 public:
  PositionalEmbedding(int64_t num_channels, int64_t max_positions = 10000, bool endpoint = false);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  int64_t num_channels_, max_positions_;
  bool endpoint_;
};

/// Random Fourier feature embedding of the noise level (NCSN++); the
/// frequencies are a buffer "freqs".
class FourierEmbedding : public torch::nn::Module {
 public:
  explicit FourierEmbedding(int64_t num_channels, double scale = 16);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::Tensor freqs_;
};

}  // namespace disback
