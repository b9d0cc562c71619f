#include "cli/json_flags.h"

#include <sstream>

#include "nn/presets.h"
#include "pipeline/config.h"

namespace disback::cli {
namespace {

std::string flag_name(std::string key) {
  std::replace(key.begin(), key.end(), '_', '-');
  return key;
}

std::string default_text(const nlohmann::json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

}  // namespace

nlohmann::json network_flag(const CommandLine& cli, const std::string& flag) {
  try {
    return network_preset(cli.text(flag));
  } catch (const UsageError&) {
    throw;
  } catch (const Error& error) {
    throw UsageError(str_cat("--", flag, ": ", error.what()));
  }
}

void add_json_flags(CommandLine& cli, const std::string& section, const nlohmann::json& defaults) {
  for (const auto& [key, value] : defaults.items()) {
    cli.option(flag_name(key), config_help(section, key), default_text(value));
  }
}

nlohmann::json read_json_flags(const CommandLine& cli, const nlohmann::json& defaults) {
  nlohmann::json values = defaults;
  for (const auto& [key, value] : defaults.items()) {
    const std::string flag = flag_name(key);
    if (value.is_number_integer()) {
      values[key] = cli.integer(flag);
    } else if (value.is_number()) {
      values[key] = cli.real(flag);
    } else {
      values[key] = cli.text(flag);
    }
  }
  return values;
}

nlohmann::json apply_set_overrides(const nlohmann::json& config, const std::string& overrides) {
  nlohmann::json patch = nlohmann::json::object();
  std::stringstream stream(overrides);
  std::string item;
  while (std::getline(stream, item, ',')) {
    const auto equals = item.find('=');
    const auto dot = item.find('.');
    if (equals == std::string::npos) {
      throw UsageError(str_cat("--set: expected key=value, got '", item, "'"));
    }
    const std::string key = item.substr(0, equals), text = item.substr(equals + 1);
    nlohmann::json value;
    try {
      value = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception&) {
      value = text;  // a bare word is a string
    }
    if (dot != std::string::npos && dot < equals) {
      patch[key.substr(0, dot)][key.substr(dot + 1)] = value;
    } else {
      patch[key] = value;
    }
  }
  try {
    return merge_config(config, patch, "--set");
  } catch (const Error& error) {
    throw UsageError(error.what());
  }
}

}  // namespace disback::cli
