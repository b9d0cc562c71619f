// A small residual MLP for vector data (the 2-D toy problems), with the
// same F(x, c_noise, labels) contract as the image networks.
#pragma once

#include "nn/layers.h"
#include "nn/network.h"

namespace disback {

struct MlpNetOptions {
  int64_t in_features = 2;
  int64_t hidden = 128;
  int64_t num_layers = 3;
  int64_t noise_channels = 32;
  int64_t label_dim = 0;

  static MlpNetOptions from_config(const nlohmann::json& config);
};

class MlpNet : public Network {
 public:
  explicit MlpNet(MlpNetOptions options);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& noise_labels,
                        const torch::Tensor& class_labels,
                        const torch::Tensor& augment_labels = {}) override;

 private:
  MlpNetOptions options_;
  std::shared_ptr<PositionalEmbedding> map_noise_;
  std::shared_ptr<Linear> map_label_, input_, output_;
  torch::nn::ModuleList hidden_{nullptr};
  std::vector<std::shared_ptr<Linear>> layers_;
};

}  // namespace disback
