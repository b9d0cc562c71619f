// Parameter counts of a denoiser broken down by the network's top-level
// submodules (map_noise, map_layer0, enc, dec, out_conv, ...).
#pragma once

#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

namespace disback::cli {

/// (submodule, trainable scalars) in the order the submodules first appear;
/// for a denoiser the leading "model." of every name is dropped.
inline std::vector<std::pair<std::string, int64_t>> submodule_parameter_counts(
    const torch::nn::Module& module) {
  std::vector<std::pair<std::string, int64_t>> counts;
  for (const auto& item : module.named_parameters()) {
    std::string name = item.key();
    if (name.rfind("model.", 0) == 0) name = name.substr(6);
    name = name.substr(0, name.find('.'));
    if (counts.empty() || counts.back().first != name) counts.emplace_back(name, 0);
    counts.back().second += item.value().numel();
  }
  return counts;
}

/// "map_layer0 8320, enc 123456, ..." on one line.
inline std::string describe_parameter_counts(const torch::nn::Module& module) {
  std::string text;
  for (const auto& [name, count] : submodule_parameter_counts(module)) {
    if (!text.empty()) text += ", ";
    text += name + " " + std::to_string(count);
  }
  return text;
}

}  // namespace disback::cli
