#include "nn/presets.h"

#include <fstream>

#include "common/error.h"

namespace disback {

nlohmann::json network_preset(const std::string& name) {
  if (name == "fmnist16") {
    return {{"model_type", "SongUNet"},
            {"img_resolution", 16},
            {"img_channels", 1},
            {"label_dim", 0},
            {"sigma_data", 0.5},
            {"model_channels", 16},
            {"channel_mult", {1, 2, 2}},
            {"channel_mult_emb", 4},
            {"num_blocks", 1},
            {"attn_resolutions", {8}},
            {"dropout", 0.0},
            {"embedding_type", "positional"},
            {"channel_mult_noise", 1},
            {"encoder_type", "standard"},
            {"decoder_type", "standard"},
            {"resample_filter", {1, 1}}};
  }
  if (name == "toy2d") {
    return {{"model_type", "MlpNet"}, {"img_channels", 2}, {"img_resolution", 0},
            {"sigma_data", 0.5},      {"hidden", 128},     {"num_layers", 3},
            {"noise_channels", 32}};
  }
  if (name == "ddpmpp64") {
    // EDM's FFHQ 64x64 network (--arch=ddpmpp --cres=1,2,2,2 --dropout=0.05
    // --augment=0.15); AFHQv2 differs only in dropout 0.25. Training with
    // augmentation gives the network 9 augmentation labels (map_augment).
    return {{"model_type", "SongUNet"},
            {"img_resolution", 64},
            {"img_channels", 3},
            {"label_dim", 0},
            {"augment_dim", 9},
            {"sigma_data", 0.5},
            {"model_channels", 128},
            {"channel_mult", {1, 2, 2, 2}},
            {"num_blocks", 4},
            {"attn_resolutions", {16}},
            {"dropout", 0.05},
            {"embedding_type", "positional"},
            {"channel_mult_noise", 1},
            {"encoder_type", "standard"},
            {"decoder_type", "standard"},
            {"resample_filter", {1, 1}}};
  }
  if (name == "adm64") {  // EDM's ImageNet 64x64 network (--arch=adm, no augmentation)
    return {{"model_type", "DhariwalUNet"},
            {"img_resolution", 64},
            {"img_channels", 3},
            {"label_dim", 1000},
            {"sigma_data", 0.5},
            {"model_channels", 192},
            {"channel_mult", {1, 2, 3, 4}},
            {"num_blocks", 3},
            {"attn_resolutions", {32, 16, 8}},
            {"dropout", 0.1}};
  }
  const bool is_file = name.size() > 5 && name.substr(name.size() - 5) == ".json";
  if (!is_file) {
    throw Error(str_cat("unknown network preset '", name,
                        "' (expected fmnist16, toy2d, ddpmpp64, adm64 or a .json file)"));
  }
  std::ifstream in(name);
  if (!in) throw Error(str_cat("cannot read network config '", name, "'"));
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& error) {
    throw Error(str_cat("network config '", name, "' is not valid JSON: ", error.what()));
  }
}

}  // namespace disback
