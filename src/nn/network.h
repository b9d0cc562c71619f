// The raw network F inside an EDM denoiser, and the factory that builds one
// from its architecture description (the JSON stored with the weights).
#pragma once

#include <torch/torch.h>

#include <memory>
#include <nlohmann/json.hpp>

namespace disback {

/// F(x, c_noise, labels): x [N, C, H, W] (or [N, D] for vector data),
/// noise_labels [N], class_labels [N, label_dim] or undefined.
class Network : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& noise_labels,
                                const torch::Tensor& class_labels,
                                const torch::Tensor& augment_labels = {}) = 0;
};

/// Builds the network named by config["model_type"] ("SongUNet",
/// "DhariwalUNet" or "MlpNet"); the other keys are its hyper-parameters
/// with the reference implementation's names. Unknown keys are an error.
std::shared_ptr<Network> make_network(const nlohmann::json& config);

/// Reads a key with a default, naming the key and the expected type when
/// the value has the wrong type.
template <typename T>
T config_value(const nlohmann::json& config, const std::string& key, const T& fallback) {
  if (!config.contains(key) || config.at(key).is_null()) return fallback;
  try {
    return config.at(key).get<T>();
  } catch (const nlohmann::json::exception&) {
    throw std::runtime_error("network config key '" + key +
                             "' has the wrong type: " + config.at(key).dump());
  }
}

/// Throws if `config` has a key outside `known`, naming it.
void check_config_keys(const nlohmann::json& config, const std::vector<std::string>& known,
                       const std::string& model_type);

}  // namespace disback
