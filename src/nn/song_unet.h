// DDPM++ and NCSN++ (Song et al. 2021, "Score-Based Generative Modeling
// through Stochastic Differential Equations") as EDM reimplements them.
#pragma once

#include <string>
#include <vector>

#include "nn/layers.h"
#include "nn/network.h"

namespace disback {

struct SongUNetOptions {
  int64_t img_resolution = 32, in_channels = 3, out_channels = 3;
  int64_t label_dim = 0, augment_dim = 0;
  int64_t model_channels = 128;
  std::vector<int64_t> channel_mult = {1, 2, 2, 2};
  int64_t channel_mult_emb = 4, num_blocks = 4;
  std::vector<int64_t> attn_resolutions = {16};
  double dropout = 0.10, label_dropout = 0.0;
  std::string embedding_type = "positional";  // "positional" (DDPM++) or "fourier" (NCSN++)
  int64_t channel_mult_noise = 1;             // 1 for DDPM++, 2 for NCSN++
  std::string encoder_type = "standard";      // "standard", "skip" or "residual"
  std::string decoder_type = "standard";      // "standard" or "skip"
  std::vector<double> resample_filter = {1, 1};

  /// Reads the options from an EDM-style config (img_channels gives both
  /// in_channels and out_channels).
  static SongUNetOptions from_config(const nlohmann::json& config);
};

class SongUNet : public Network {
 public:
  explicit SongUNet(SongUNetOptions options);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& noise_labels,
                        const torch::Tensor& class_labels,
                        const torch::Tensor& augment_labels = {}) override;

 private:
  // One entry of the encoder or decoder, in the reference's order; the name's
  // suffix (aux_down, aux_skip, ...) decides how it joins the signal path.
  struct Stage {
    std::string name;
    std::shared_ptr<UNetBlock> block;
    std::shared_ptr<Conv2d> conv;
    std::shared_ptr<GroupNorm> norm;
  };
  torch::Tensor embed(const torch::Tensor& noise_labels, const torch::Tensor& class_labels,
                      const torch::Tensor& augment_labels);
  void build_encoder(const UNetBlockOptions& block);
  void build_decoder(const UNetBlockOptions& block);
  void add(std::vector<Stage>& stages, torch::nn::ModuleDict& dict, Stage stage);

  SongUNetOptions options_;
  std::shared_ptr<torch::nn::Module> map_noise_;
  std::shared_ptr<Linear> map_label_, map_augment_, map_layer0_, map_layer1_;
  torch::nn::ModuleDict enc_{nullptr}, dec_{nullptr};
  std::vector<Stage> encoder_, decoder_;
};

}  // namespace disback
