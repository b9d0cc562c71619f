// Built-in network configurations, so that common runs need no JSON file.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace disback {

/// "fmnist16": DDPM++-style SongUNet sized for 16x16 Fashion-MNIST on a CPU;
/// "toy2d": residual MLP for 2-D points; "ddpmpp64", "adm64": the published
/// 64x64 EDM configurations (FFHQ/AFHQv2, ImageNet). A value ending in
/// ".json" is read as a file.
nlohmann::json network_preset(const std::string& name_or_path);

}  // namespace disback
