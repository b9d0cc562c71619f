// ADM (Dhariwal & Nichol 2021, "Diffusion Models Beat GANs on Image
// Synthesis") as EDM reimplements it.
#pragma once

#include <vector>

#include "nn/layers.h"
#include "nn/network.h"

namespace disback {

struct DhariwalUNetOptions {
  int64_t img_resolution = 64, in_channels = 3, out_channels = 3;
  int64_t label_dim = 0, augment_dim = 0;
  int64_t model_channels = 192;
  std::vector<int64_t> channel_mult = {1, 2, 3, 4};
  int64_t channel_mult_emb = 4, num_blocks = 3;
  std::vector<int64_t> attn_resolutions = {32, 16, 8};
  double dropout = 0.10, label_dropout = 0.0;

  static DhariwalUNetOptions from_config(const nlohmann::json& config);
};

class DhariwalUNet : public Network {
 public:
  explicit DhariwalUNet(DhariwalUNetOptions options);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& noise_labels,
                        const torch::Tensor& class_labels,
                        const torch::Tensor& augment_labels = {}) override;

 private:
  torch::Tensor embed(const torch::Tensor& noise_labels, const torch::Tensor& class_labels,
                      const torch::Tensor& augment_labels);

  DhariwalUNetOptions options_;
  std::shared_ptr<PositionalEmbedding> map_noise_;
  std::shared_ptr<Linear> map_augment_, map_layer0_, map_layer1_, map_label_;
  torch::nn::ModuleDict enc_{nullptr}, dec_{nullptr};
  std::shared_ptr<Conv2d> enc_conv_;  // the first encoder stage, a plain convolution
  std::vector<std::shared_ptr<UNetBlock>> encoder_blocks_, decoder_blocks_;
  std::shared_ptr<GroupNorm> out_norm_;
  std::shared_ptr<Conv2d> out_conv_;
};

}  // namespace disback
