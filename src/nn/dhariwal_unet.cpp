#include "nn/dhariwal_unet.h"

#include <cmath>

#include "common/error.h"

namespace disback {

DhariwalUNetOptions DhariwalUNetOptions::from_config(const nlohmann::json& config) {
  check_config_keys(config,
                    {"img_resolution", "img_channels", "label_dim", "augment_dim", "model_channels",
                     "channel_mult", "channel_mult_emb", "num_blocks", "attn_resolutions",
                     "dropout", "label_dropout"},
                    "DhariwalUNet");
  DhariwalUNetOptions o;
  o.img_resolution = config_value(config, "img_resolution", o.img_resolution);
  o.in_channels = o.out_channels = config_value(config, "img_channels", o.in_channels);
  o.label_dim = config_value(config, "label_dim", o.label_dim);
  o.augment_dim = config_value(config, "augment_dim", o.augment_dim);
  o.model_channels = config_value(config, "model_channels", o.model_channels);
  o.channel_mult = config_value(config, "channel_mult", o.channel_mult);
  o.channel_mult_emb = config_value(config, "channel_mult_emb", o.channel_mult_emb);
  o.num_blocks = config_value(config, "num_blocks", o.num_blocks);
  o.attn_resolutions = config_value(config, "attn_resolutions", o.attn_resolutions);
  o.dropout = config_value(config, "dropout", o.dropout);
  o.label_dropout = config_value(config, "label_dropout", o.label_dropout);
  const int64_t levels = static_cast<int64_t>(o.channel_mult.size());
  DISBACK_CHECK(levels > 0 && o.img_resolution % (int64_t{1} << (levels - 1)) == 0,
                "DhariwalUNet img_resolution ", o.img_resolution, " is not divisible by 2^",
                levels - 1);
  return o;
}

DhariwalUNet::DhariwalUNet(DhariwalUNetOptions options) : options_(std::move(options)) {
  const auto& o = options_;
  const int64_t emb_channels = o.model_channels * o.channel_mult_emb;
  const InitOptions init{"kaiming_uniform", std::sqrt(1.0 / 3), std::sqrt(1.0 / 3)};
  const InitOptions init_zero{"kaiming_uniform", 0.0, 0.0};

  // Mapping network.
  map_noise_ =
      register_module("map_noise", std::make_shared<PositionalEmbedding>(o.model_channels));
  if (o.augment_dim > 0) {
    map_augment_ = register_module(
        "map_augment", std::make_shared<Linear>(o.augment_dim, o.model_channels, false, init_zero));
  }
  map_layer0_ = register_module(
      "map_layer0", std::make_shared<Linear>(o.model_channels, emb_channels, true, init));
  map_layer1_ = register_module("map_layer1",
                                std::make_shared<Linear>(emb_channels, emb_channels, true, init));
  if (o.label_dim > 0) {
    map_label_ = register_module(
        "map_label", std::make_shared<Linear>(
                         o.label_dim, emb_channels, false,
                         InitOptions{"kaiming_normal", std::sqrt(double(o.label_dim)), 0.0}));
  }

  UNetBlockOptions block;
  block.emb_channels = emb_channels;
  block.channels_per_head = 64;
  block.dropout = o.dropout;
  block.init = init;
  block.init_zero = init_zero;

  // Encoder.
  enc_ = register_module("enc", torch::nn::ModuleDict());
  std::vector<int64_t> skips;
  int64_t cout = o.in_channels;
  for (size_t level = 0; level < o.channel_mult.size(); ++level) {
    const int64_t res = o.img_resolution >> level;
    const std::string prefix = str_cat(res, "x", res, "_");
    if (level == 0) {
      const int64_t cin = cout;
      cout = o.model_channels * o.channel_mult[level];
      enc_conv_ = std::make_shared<Conv2d>(
          Conv2dOptions{cin, cout, 3, true, false, false, false, {1, 1}, init});
      enc_->update({{prefix + "conv", enc_conv_}});
    } else {
      UNetBlockOptions down = block;
      down.in_channels = down.out_channels = cout;
      down.down = true;
      encoder_blocks_.push_back(std::make_shared<UNetBlock>(down));
      enc_->update({{prefix + "down", encoder_blocks_.back()}});
    }
    skips.push_back(cout);
    for (int64_t idx = 0; idx < o.num_blocks; ++idx) {
      UNetBlockOptions options = block;
      options.in_channels = cout;
      options.out_channels = cout = o.model_channels * o.channel_mult[level];
      options.attention = std::count(o.attn_resolutions.begin(), o.attn_resolutions.end(), res) > 0;
      encoder_blocks_.push_back(std::make_shared<UNetBlock>(options));
      enc_->update({{prefix + "block" + std::to_string(idx), encoder_blocks_.back()}});
      skips.push_back(cout);
    }
  }

  // Decoder.
  dec_ = register_module("dec", torch::nn::ModuleDict());
  const int64_t levels = static_cast<int64_t>(o.channel_mult.size());
  for (int64_t level = levels - 1; level >= 0; --level) {
    const int64_t res = o.img_resolution >> level;
    const std::string prefix = str_cat(res, "x", res, "_");
    UNetBlockOptions same = block;
    same.in_channels = same.out_channels = cout;
    if (level == levels - 1) {
      UNetBlockOptions with_attention = same;
      with_attention.attention = true;
      decoder_blocks_.push_back(std::make_shared<UNetBlock>(with_attention));
      dec_->update({{prefix + "in0", decoder_blocks_.back()}});
      decoder_blocks_.push_back(std::make_shared<UNetBlock>(same));
      dec_->update({{prefix + "in1", decoder_blocks_.back()}});
    } else {
      same.up = true;
      decoder_blocks_.push_back(std::make_shared<UNetBlock>(same));
      dec_->update({{prefix + "up", decoder_blocks_.back()}});
    }
    for (int64_t idx = 0; idx <= o.num_blocks; ++idx) {
      UNetBlockOptions options = block;
      options.in_channels = cout + skips.back();
      skips.pop_back();
      options.out_channels = cout = o.model_channels * o.channel_mult[level];
      options.attention = std::count(o.attn_resolutions.begin(), o.attn_resolutions.end(), res) > 0;
      decoder_blocks_.push_back(std::make_shared<UNetBlock>(options));
      dec_->update({{prefix + "block" + std::to_string(idx), decoder_blocks_.back()}});
    }
  }
  out_norm_ = register_module("out_norm", std::make_shared<GroupNorm>(cout));
  out_conv_ = register_module(
      "out_conv", std::make_shared<Conv2d>(Conv2dOptions{
                      cout, o.out_channels, 3, true, false, false, false, {1, 1}, init_zero}));
}

torch::Tensor DhariwalUNet::embed(const torch::Tensor& noise_labels,
                                  const torch::Tensor& class_labels,
                                  const torch::Tensor& augment_labels) {
  torch::Tensor emb = map_noise_->forward(noise_labels);
  if (map_augment_ && augment_labels.defined()) emb = emb + map_augment_->forward(augment_labels);
  emb = map_layer1_->forward(torch::silu(map_layer0_->forward(emb)));
  if (map_label_) {
    torch::Tensor labels = class_labels;
    if (is_training() && options_.label_dropout > 0) {
      auto keep = torch::rand({labels.size(0), 1}, labels.options()) >= options_.label_dropout;
      labels = labels * keep.to(labels.dtype());
    }
    emb = emb + map_label_->forward(labels);
  }
  return torch::silu(emb);
}

torch::Tensor DhariwalUNet::forward(const torch::Tensor& input, const torch::Tensor& noise_labels,
                                    const torch::Tensor& class_labels,
                                    const torch::Tensor& augment_labels) {
  const torch::Tensor emb = embed(noise_labels, class_labels, augment_labels);
  torch::Tensor x = enc_conv_->forward(input);
  std::vector<torch::Tensor> skips{x};
  for (const auto& block : encoder_blocks_) {
    x = block->forward(x, emb);
    skips.push_back(x);
  }
  for (const auto& block : decoder_blocks_) {
    if (x.size(1) != block->in_channels()) {
      x = torch::cat({x, skips.back()}, 1);
      skips.pop_back();
    }
    x = block->forward(x, emb);
  }
  return out_conv_->forward(torch::silu(out_norm_->forward(x)));
}

}  // namespace disback
