#include "nn/network.h"

#include <algorithm>

#include "common/error.h"
#include "nn/dhariwal_unet.h"
#include "nn/mlp_net.h"
#include "nn/song_unet.h"

namespace disback {

void check_config_keys(const nlohmann::json& config, const std::vector<std::string>& known,
                       const std::string& model_type) {
  // Keys the denoiser wrapper consumes itself.
  static const std::vector<std::string> wrapper_keys = {"model_type", "sigma_data", "sigma_min",
                                                        "sigma_max"};
  for (const auto& [key, value] : config.items()) {
    const bool ok = std::count(known.begin(), known.end(), key) > 0 ||
                    std::count(wrapper_keys.begin(), wrapper_keys.end(), key) > 0;
    DISBACK_CHECK(ok, "network config key '", key, "' is not a ", model_type, " option");
  }
}

std::shared_ptr<Network> make_network(const nlohmann::json& config) {
  DISBACK_CHECK(config.is_object(), "network config must be a JSON object, got ", config.dump());
  const std::string type = config_value<std::string>(config, "model_type", "");
  if (type == "SongUNet") return std::make_shared<SongUNet>(SongUNetOptions::from_config(config));
  if (type == "DhariwalUNet") {
    return std::make_shared<DhariwalUNet>(DhariwalUNetOptions::from_config(config));
  }
  if (type == "MlpNet") return std::make_shared<MlpNet>(MlpNetOptions::from_config(config));
  throw Error(
      str_cat("unknown model_type '", type, "' (expected SongUNet, DhariwalUNet or MlpNet)"));
}

}  // namespace disback
