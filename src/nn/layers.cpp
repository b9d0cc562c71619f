#include "nn/layers.h"

#include <cmath>

#include "common/error.h"

namespace disback {

torch::Tensor init_weight(std::vector<int64_t> shape, const std::string& mode, int64_t fan_in,
                          int64_t fan_out) {
  const double in = static_cast<double>(fan_in), out = static_cast<double>(fan_out);
  if (mode == "xavier_uniform") return std::sqrt(6 / (in + out)) * (torch::rand(shape) * 2 - 1);
  if (mode == "xavier_normal") return std::sqrt(2 / (in + out)) * torch::randn(shape);
  if (mode == "kaiming_uniform") return std::sqrt(3 / in) * (torch::rand(shape) * 2 - 1);
  if (mode == "kaiming_normal") return std::sqrt(1 / in) * torch::randn(shape);
  throw Error(str_cat("unknown weight init mode '", mode, "'"));
}

Linear::Linear(int64_t in_features, int64_t out_features, bool bias, InitOptions init)
    : in_features_(in_features) {
  weight_ = register_parameter(
      "weight", init_weight({out_features, in_features}, init.mode, in_features, out_features) *
                    init.weight_scale);
  if (bias) {
    bias_ = register_parameter(
        "bias",
        init_weight({out_features}, init.mode, in_features, out_features) * init.bias_scale);
  }
}

torch::Tensor Linear::forward(const torch::Tensor& x) {
  torch::Tensor y = torch::matmul(x, weight_.t());
  return bias_.defined() ? y + bias_ : y;
}

Conv2d::Conv2d(Conv2dOptions options) : options_(std::move(options)) {
  DISBACK_CHECK(!(options_.up && options_.down), "Conv2d cannot both upsample and downsample");
  const int64_t k = options_.kernel;
  const int64_t fan_in = options_.in_channels * k * k, fan_out = options_.out_channels * k * k;
  if (k > 0) {
    weight_ = register_parameter("weight",
                                 init_weight({options_.out_channels, options_.in_channels, k, k},
                                             options_.init.mode, fan_in, fan_out) *
                                     options_.init.weight_scale);
    if (options_.bias) {
      bias_ = register_parameter(
          "bias", init_weight({options_.out_channels}, options_.init.mode, fan_in, fan_out) *
                      options_.init.bias_scale);
    }
  }
  if (options_.up || options_.down) {
    // The 2-D filter is the outer product of the 1-D taps, normalised to sum 1.
    auto taps = torch::tensor(options_.resample_filter, torch::kFloat32);
    auto filter = torch::outer(taps, taps).unsqueeze(0).unsqueeze(1) / taps.sum().square();
    resample_filter_ = register_buffer("resample_filter", filter);
  }
}

torch::Tensor Conv2d::forward(torch::Tensor x) {
  namespace F = torch::nn::functional;
  const int64_t w_pad = weight_.defined() ? weight_.size(-1) / 2 : 0;
  const int64_t f_pad = resample_filter_.defined() ? (resample_filter_.size(-1) - 1) / 2 : 0;
  auto upsample = [&](const torch::Tensor& in, int64_t padding) {
    auto filter = (resample_filter_ * 4).tile({in.size(1), 1, 1, 1});
    return torch::conv_transpose2d(in, filter, {}, 2, padding, 0, in.size(1));
  };
  auto downsample = [&](const torch::Tensor& in, int64_t padding) {
    auto filter = resample_filter_.tile({in.size(1), 1, 1, 1});
    return torch::conv2d(in, filter, {}, 2, padding, 1, in.size(1));
  };

  if (options_.fused_resample && options_.up && weight_.defined()) {
    x = torch::conv2d(upsample(x, w_pad + f_pad), weight_);
  } else if (options_.fused_resample && options_.down && weight_.defined()) {
    x = downsample(torch::conv2d(x, weight_, {}, 1, w_pad + f_pad), 0);
  } else {
    if (options_.up) x = upsample(x, f_pad);
    if (options_.down) x = downsample(x, f_pad);
    if (weight_.defined()) x = torch::conv2d(x, weight_, {}, 1, w_pad);
  }
  return bias_.defined() ? x + bias_.reshape({1, -1, 1, 1}) : x;
}

GroupNorm::GroupNorm(int64_t num_channels, int64_t num_groups, int64_t min_channels_per_group,
                     double eps)
    : num_groups_(std::min(num_groups, num_channels / min_channels_per_group)), eps_(eps) {
  DISBACK_CHECK(num_groups_ > 0, "GroupNorm over ", num_channels,
                " channels leaves no group of at least ", min_channels_per_group, " channels");
  weight_ = register_parameter("weight", torch::ones({num_channels}));
  bias_ = register_parameter("bias", torch::zeros({num_channels}));
}

torch::Tensor GroupNorm::forward(const torch::Tensor& x) {
  return torch::group_norm(x, num_groups_, weight_, bias_, eps_);
}

UNetBlock::UNetBlock(UNetBlockOptions options) : options_(std::move(options)) {
  const auto& o = options_;
  num_heads_ = !o.attention      ? 0
               : o.num_heads > 0 ? o.num_heads
                                 : o.out_channels / o.channels_per_head;

  norm0_ = register_module("norm0", std::make_shared<GroupNorm>(o.in_channels, 32, 4, o.eps));
  conv0_ = register_module(
      "conv0", std::make_shared<Conv2d>(Conv2dOptions{o.in_channels, o.out_channels, 3, true, o.up,
                                                      o.down, false, o.resample_filter, o.init}));
  affine_ = register_module(
      "affine", std::make_shared<Linear>(
                    o.emb_channels, o.out_channels * (o.adaptive_scale ? 2 : 1), true, o.init));
  norm1_ = register_module("norm1", std::make_shared<GroupNorm>(o.out_channels, 32, 4, o.eps));
  conv1_ = register_module(
      "conv1",
      std::make_shared<Conv2d>(Conv2dOptions{
          o.out_channels, o.out_channels, 3, true, false, false, false, {1, 1}, o.init_zero}));

  if (o.out_channels != o.in_channels || o.up || o.down) {
    const int64_t kernel = (o.resample_proj || o.out_channels != o.in_channels) ? 1 : 0;
    skip_ = register_module("skip", std::make_shared<Conv2d>(Conv2dOptions{
                                        o.in_channels, o.out_channels, kernel, true, o.up, o.down,
                                        false, o.resample_filter, o.init}));
  }
  if (num_heads_ > 0) {
    norm2_ = register_module("norm2", std::make_shared<GroupNorm>(o.out_channels, 32, 4, o.eps));
    qkv_ = register_module("qkv",
                           std::make_shared<Conv2d>(Conv2dOptions{o.out_channels,
                                                                  o.out_channels * 3,
                                                                  1,
                                                                  true,
                                                                  false,
                                                                  false,
                                                                  false,
                                                                  {1, 1},
                                                                  o.init_attn.value_or(o.init)}));
    proj_ = register_module(
        "proj",
        std::make_shared<Conv2d>(Conv2dOptions{
            o.out_channels, o.out_channels, 1, true, false, false, false, {1, 1}, o.init_zero}));
  }
}

torch::Tensor UNetBlock::forward(const torch::Tensor& input, const torch::Tensor& emb) {
  torch::Tensor x = conv0_->forward(torch::silu(norm0_->forward(input)));

  // Condition on the embedding: scale and shift (ADM) or a plain shift (DDPM++).
  torch::Tensor params = affine_->forward(emb).unsqueeze(2).unsqueeze(3);
  if (options_.adaptive_scale) {
    auto scale_shift = params.chunk(2, 1);
    x = torch::silu(torch::addcmul(scale_shift[1], norm1_->forward(x), scale_shift[0] + 1));
  } else {
    x = torch::silu(norm1_->forward(x + params));
  }

  x = conv1_->forward(torch::dropout(x, options_.dropout, is_training()));
  x = (x + (skip_ ? skip_->forward(input) : input)) * options_.skip_scale;
  if (num_heads_ > 0) x = (proj_->forward(attend(x)) + x) * options_.skip_scale;
  return x;
}

torch::Tensor UNetBlock::attend(const torch::Tensor& x) {
  // Multi-head self-attention over pixels; softmax(q^T k / sqrt(c)) in float32.
  const int64_t batch_heads = x.size(0) * num_heads_;
  const int64_t head_channels = x.size(1) / num_heads_;
  auto qkv =
      qkv_->forward(norm2_->forward(x)).reshape({batch_heads, head_channels, 3, -1}).unbind(2);
  const torch::Tensor& q = qkv[0];
  const torch::Tensor& k = qkv[1];
  const torch::Tensor& v = qkv[2];
  auto weights = torch::bmm(q.transpose(1, 2), k / std::sqrt(double(head_channels))).softmax(2);
  return torch::bmm(v, weights.transpose(1, 2)).reshape(x.sizes());
}

PositionalEmbedding::PositionalEmbedding(int64_t num_channels, int64_t max_positions, bool endpoint)
    : num_channels_(num_channels), max_positions_(max_positions), endpoint_(endpoint) {}

torch::Tensor PositionalEmbedding::forward(const torch::Tensor& x) {
  const int64_t half = num_channels_ / 2;
  auto freqs = torch::arange(0, half, x.options().dtype(torch::kFloat32));
  freqs = freqs / static_cast<double>(half - (endpoint_ ? 1 : 0));
  freqs = torch::pow(1.0 / static_cast<double>(max_positions_), freqs);
  auto angles = torch::outer(x, freqs.to(x.dtype()));
  return torch::cat({angles.cos(), angles.sin()}, 1);
}

FourierEmbedding::FourierEmbedding(int64_t num_channels, double scale) {
  freqs_ = register_buffer("freqs", torch::randn({num_channels / 2}) * scale);
}

torch::Tensor FourierEmbedding::forward(const torch::Tensor& x) {
  auto angles = torch::outer(x, (2 * M_PI * freqs_).to(x.dtype()));
  return torch::cat({angles.cos(), angles.sin()}, 1);
}

}  // namespace disback
