#include "nn/song_unet.h"

#include <cmath>

#include "common/error.h"

namespace disback {

SongUNetOptions SongUNetOptions::from_config(const nlohmann::json& config) {
  check_config_keys(config,
                    {"img_resolution", "img_channels", "label_dim", "augment_dim", "model_channels",
                     "channel_mult", "channel_mult_emb", "num_blocks", "attn_resolutions",
                     "dropout", "label_dropout", "embedding_type", "channel_mult_noise",
                     "encoder_type", "decoder_type", "resample_filter"},
                    "SongUNet");
  SongUNetOptions o;
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
  o.embedding_type = config_value(config, "embedding_type", o.embedding_type);
  o.channel_mult_noise = config_value(config, "channel_mult_noise", o.channel_mult_noise);
  o.encoder_type = config_value(config, "encoder_type", o.encoder_type);
  o.decoder_type = config_value(config, "decoder_type", o.decoder_type);
  o.resample_filter = config_value(config, "resample_filter", o.resample_filter);

  DISBACK_CHECK(o.embedding_type == "positional" || o.embedding_type == "fourier",
                "SongUNet embedding_type must be 'positional' or 'fourier', got '",
                o.embedding_type, "'");
  DISBACK_CHECK(
      o.encoder_type == "standard" || o.encoder_type == "skip" || o.encoder_type == "residual",
      "SongUNet encoder_type must be 'standard', 'skip' or 'residual', got '", o.encoder_type, "'");
  DISBACK_CHECK(o.decoder_type == "standard" || o.decoder_type == "skip",
                "SongUNet decoder_type must be 'standard' or 'skip', got '", o.decoder_type, "'");
  const int64_t levels = static_cast<int64_t>(o.channel_mult.size());
  DISBACK_CHECK(levels > 0 && o.img_resolution % (int64_t{1} << (levels - 1)) == 0,
                "SongUNet img_resolution ", o.img_resolution, " is not divisible by 2^", levels - 1,
                " (channel_mult has ", levels, " levels)");
  return o;
}

namespace {

bool contains(const std::vector<int64_t>& values, int64_t value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string resolution_name(int64_t res) { return str_cat(res, "x", res); }

}  // namespace

SongUNet::SongUNet(SongUNetOptions options) : options_(std::move(options)) {
  const auto& o = options_;
  const int64_t emb_channels = o.model_channels * o.channel_mult_emb;
  const int64_t noise_channels = o.model_channels * o.channel_mult_noise;
  const InitOptions init{"xavier_uniform", 1.0, 0.0};

  // Mapping network: noise level (+ labels) -> embedding vector.
  if (o.embedding_type == "positional") {
    map_noise_ = register_module(
        "map_noise", std::make_shared<PositionalEmbedding>(noise_channels, 10000, true));
  } else {
    map_noise_ = register_module("map_noise", std::make_shared<FourierEmbedding>(noise_channels));
  }
  if (o.label_dim > 0) {
    map_label_ = register_module("map_label",
                                 std::make_shared<Linear>(o.label_dim, noise_channels, true, init));
  }
  if (o.augment_dim > 0) {
    map_augment_ = register_module(
        "map_augment", std::make_shared<Linear>(o.augment_dim, noise_channels, false, init));
  }
  map_layer0_ = register_module("map_layer0",
                                std::make_shared<Linear>(noise_channels, emb_channels, true, init));
  map_layer1_ = register_module("map_layer1",
                                std::make_shared<Linear>(emb_channels, emb_channels, true, init));

  UNetBlockOptions block;
  block.emb_channels = emb_channels;
  block.num_heads = 1;
  block.dropout = o.dropout;
  block.skip_scale = std::sqrt(0.5);
  block.eps = 1e-6;
  block.resample_filter = o.resample_filter;
  block.resample_proj = true;
  block.adaptive_scale = false;
  block.init = init;
  block.init_zero = {"xavier_uniform", 1e-5, 0.0};
  block.init_attn = InitOptions{"xavier_uniform", std::sqrt(0.2), 0.0};

  enc_ = register_module("enc", torch::nn::ModuleDict());
  dec_ = register_module("dec", torch::nn::ModuleDict());
  build_encoder(block);
  build_decoder(block);
}

void SongUNet::add(std::vector<Stage>& stages, torch::nn::ModuleDict& dict, Stage stage) {
  if (stage.block) dict->update({{stage.name, stage.block}});
  if (stage.conv) dict->update({{stage.name, stage.conv}});
  if (stage.norm) dict->update({{stage.name, stage.norm}});
  stages.push_back(std::move(stage));
}

void SongUNet::build_encoder(const UNetBlockOptions& block) {
  const auto& o = options_;
  const InitOptions init{"xavier_uniform", 1.0, 0.0};
  int64_t cout = o.in_channels, caux = o.in_channels;
  for (size_t level = 0; level < o.channel_mult.size(); ++level) {
    const int64_t res = o.img_resolution >> level;
    const std::string prefix = resolution_name(res) + "_";
    if (level == 0) {
      const int64_t cin = cout;
      cout = o.model_channels;
      add(encoder_, enc_,
          {prefix + "conv", nullptr,
           std::make_shared<Conv2d>(
               Conv2dOptions{cin, cout, 3, true, false, false, false, {1, 1}, init}),
           nullptr});
    } else {
      UNetBlockOptions down = block;
      down.in_channels = down.out_channels = cout;
      down.down = true;
      add(encoder_, enc_, {prefix + "down", std::make_shared<UNetBlock>(down), nullptr, nullptr});
      if (o.encoder_type == "skip") {
        add(encoder_, enc_,
            {prefix + "aux_down", nullptr,
             std::make_shared<Conv2d>(
                 Conv2dOptions{caux, caux, 0, true, false, true, false, o.resample_filter, {}}),
             nullptr});
        add(encoder_, enc_,
            {prefix + "aux_skip", nullptr,
             std::make_shared<Conv2d>(
                 Conv2dOptions{caux, cout, 1, true, false, false, false, {1, 1}, init}),
             nullptr});
      }
      if (o.encoder_type == "residual") {
        add(encoder_, enc_,
            {prefix + "aux_residual", nullptr,
             std::make_shared<Conv2d>(
                 Conv2dOptions{caux, cout, 3, true, false, true, true, o.resample_filter, init}),
             nullptr});
        caux = cout;
      }
    }
    for (int64_t idx = 0; idx < o.num_blocks; ++idx) {
      UNetBlockOptions options = block;
      options.in_channels = cout;
      options.out_channels = cout = o.model_channels * o.channel_mult[level];
      options.attention = contains(o.attn_resolutions, res);
      add(encoder_, enc_,
          {prefix + "block" + std::to_string(idx), std::make_shared<UNetBlock>(options), nullptr,
           nullptr});
    }
  }
}

void SongUNet::build_decoder(const UNetBlockOptions& block) {
  const auto& o = options_;
  const InitOptions init_zero{"xavier_uniform", 1e-5, 0.0};
  std::vector<int64_t> skips;
  for (const auto& stage : encoder_) {
    if (stage.name.find("aux") != std::string::npos) continue;
    skips.push_back(stage.block ? stage.block->out_channels() : o.model_channels);
  }
  int64_t cout = skips.back();
  const int64_t levels = static_cast<int64_t>(o.channel_mult.size());
  for (int64_t level = levels - 1; level >= 0; --level) {
    const int64_t res = o.img_resolution >> level;
    const std::string prefix = resolution_name(res) + "_";
    UNetBlockOptions same = block;
    same.in_channels = same.out_channels = cout;
    if (level == levels - 1) {
      UNetBlockOptions with_attention = same;
      with_attention.attention = true;
      add(decoder_, dec_,
          {prefix + "in0", std::make_shared<UNetBlock>(with_attention), nullptr, nullptr});
      add(decoder_, dec_, {prefix + "in1", std::make_shared<UNetBlock>(same), nullptr, nullptr});
    } else {
      same.up = true;
      add(decoder_, dec_, {prefix + "up", std::make_shared<UNetBlock>(same), nullptr, nullptr});
    }
    for (int64_t idx = 0; idx <= o.num_blocks; ++idx) {
      UNetBlockOptions options = block;
      options.in_channels = cout + skips.back();
      skips.pop_back();
      options.out_channels = cout = o.model_channels * o.channel_mult[level];
      options.attention = idx == o.num_blocks && contains(o.attn_resolutions, res);
      add(decoder_, dec_,
          {prefix + "block" + std::to_string(idx), std::make_shared<UNetBlock>(options), nullptr,
           nullptr});
    }
    if (o.decoder_type == "skip" || level == 0) {
      if (o.decoder_type == "skip" && level < levels - 1) {
        add(decoder_, dec_,
            {prefix + "aux_up", nullptr,
             std::make_shared<Conv2d>(Conv2dOptions{o.out_channels,
                                                    o.out_channels,
                                                    0,
                                                    true,
                                                    true,
                                                    false,
                                                    false,
                                                    o.resample_filter,
                                                    {}}),
             nullptr});
      }
      add(decoder_, dec_,
          {prefix + "aux_norm", nullptr, nullptr, std::make_shared<GroupNorm>(cout, 32, 4, 1e-6)});
      add(decoder_, dec_,
          {prefix + "aux_conv", nullptr,
           std::make_shared<Conv2d>(Conv2dOptions{
               cout, o.out_channels, 3, true, false, false, false, {1, 1}, init_zero}),
           nullptr});
    }
  }
}

torch::Tensor SongUNet::embed(const torch::Tensor& noise_labels, const torch::Tensor& class_labels,
                              const torch::Tensor& augment_labels) {
  torch::Tensor emb;
  if (auto positional = std::dynamic_pointer_cast<PositionalEmbedding>(map_noise_)) {
    emb = positional->forward(noise_labels);
  } else {
    emb = std::dynamic_pointer_cast<FourierEmbedding>(map_noise_)->forward(noise_labels);
  }
  // The reference swaps the cosine and sine halves here; weights depend on it.
  emb = emb.reshape({emb.size(0), 2, -1}).flip(1).reshape(emb.sizes());
  if (map_label_) {
    torch::Tensor labels = class_labels;
    if (is_training() && options_.label_dropout > 0) {
      auto keep = torch::rand({labels.size(0), 1}, labels.options()) >= options_.label_dropout;
      labels = labels * keep.to(labels.dtype());
    }
    emb = emb + map_label_->forward(labels * std::sqrt(double(map_label_->in_features())));
  }
  if (map_augment_ && augment_labels.defined()) emb = emb + map_augment_->forward(augment_labels);
  emb = torch::silu(map_layer0_->forward(emb));
  return torch::silu(map_layer1_->forward(emb));
}

torch::Tensor SongUNet::forward(const torch::Tensor& input, const torch::Tensor& noise_labels,
                                const torch::Tensor& class_labels,
                                const torch::Tensor& augment_labels) {
  const torch::Tensor emb = embed(noise_labels, class_labels, augment_labels);

  // Encoder: every non-auxiliary stage's output is kept as a skip connection.
  std::vector<torch::Tensor> skips;
  torch::Tensor x = input, aux = input;
  for (const auto& stage : encoder_) {
    if (ends_with(stage.name, "aux_down")) {
      aux = stage.conv->forward(aux);
    } else if (ends_with(stage.name, "aux_skip")) {
      x = skips.back() = x + stage.conv->forward(aux);
    } else if (ends_with(stage.name, "aux_residual")) {
      x = skips.back() = aux = (x + stage.conv->forward(aux)) / std::sqrt(2.0);
    } else {
      x = stage.block ? stage.block->forward(x, emb) : stage.conv->forward(x);
      skips.push_back(x);
    }
  }

  // Decoder: the output is accumulated from the auxiliary heads.
  torch::Tensor out, head;
  for (const auto& stage : decoder_) {
    if (ends_with(stage.name, "aux_up")) {
      out = stage.conv->forward(out);
    } else if (ends_with(stage.name, "aux_norm")) {
      head = stage.norm->forward(x);
    } else if (ends_with(stage.name, "aux_conv")) {
      head = stage.conv->forward(torch::silu(head));
      out = out.defined() ? head + out : head;
    } else {
      if (x.size(1) != stage.block->in_channels()) {
        x = torch::cat({x, skips.back()}, 1);
        skips.pop_back();
      }
      x = stage.block->forward(x, emb);
    }
  }
  return out;
}

}  // namespace disback
