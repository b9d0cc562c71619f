#include "nn/mlp_net.h"

#include "common/error.h"

namespace disback {

MlpNetOptions MlpNetOptions::from_config(const nlohmann::json& config) {
  check_config_keys(
      config,
      {"img_resolution", "img_channels", "label_dim", "hidden", "num_layers", "noise_channels"},
      "MlpNet");
  MlpNetOptions o;
  o.in_features = config_value(config, "img_channels", o.in_features);
  o.hidden = config_value(config, "hidden", o.hidden);
  o.num_layers = config_value(config, "num_layers", o.num_layers);
  o.noise_channels = config_value(config, "noise_channels", o.noise_channels);
  o.label_dim = config_value(config, "label_dim", o.label_dim);
  DISBACK_CHECK(o.in_features > 0 && o.hidden > 0 && o.num_layers > 0,
                "MlpNet needs positive img_channels, hidden and num_layers, got ", o.in_features,
                ", ", o.hidden, ", ", o.num_layers);
  return o;
}

MlpNet::MlpNet(MlpNetOptions options) : options_(options) {
  const InitOptions init{"xavier_uniform", 1.0, 0.0};
  map_noise_ = register_module(
      "map_noise", std::make_shared<PositionalEmbedding>(options.noise_channels, 10000, true));
  if (options.label_dim > 0) {
    map_label_ = register_module(
        "map_label",
        std::make_shared<Linear>(options.label_dim, options.noise_channels, true, init));
  }
  input_ = register_module("input",
                           std::make_shared<Linear>(options.in_features + options.noise_channels,
                                                    options.hidden, true, init));
  hidden_ = register_module("hidden", torch::nn::ModuleList());
  for (int64_t i = 0; i < options.num_layers; ++i) {
    layers_.push_back(std::make_shared<Linear>(options.hidden, options.hidden, true, init));
    hidden_->push_back(layers_.back());
  }
  output_ =
      register_module("output", std::make_shared<Linear>(options.hidden, options.in_features, true,
                                                         InitOptions{"xavier_uniform", 1e-5, 0.0}));
}

torch::Tensor MlpNet::forward(const torch::Tensor& x, const torch::Tensor& noise_labels,
                              const torch::Tensor& class_labels, const torch::Tensor&) {
  torch::Tensor emb = map_noise_->forward(noise_labels);
  if (map_label_ && class_labels.defined()) emb = emb + map_label_->forward(class_labels);
  torch::Tensor h = torch::silu(input_->forward(torch::cat({x, emb}, 1)));
  for (const auto& layer : layers_) h = h + torch::silu(layer->forward(h));
  return output_->forward(h);
}

}  // namespace disback
