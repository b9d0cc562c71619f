// Command-line flags generated from a JSON section of the pipeline config:
// key "generator_lr" becomes --generator-lr, typed like its default.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "cli/args.h"

namespace disback::cli {

/// Declares one flag per key of `defaults` (a flat JSON object).
void add_json_flags(CommandLine& cli, const std::string& section, const nlohmann::json& defaults);
/// The section with every given flag applied, each parsed as its default's
/// type; an unparsable value names the flag.
nlohmann::json read_json_flags(const CommandLine& cli, const nlohmann::json& defaults);

/// The network config a flag names: a preset or a .json file (see
/// nn/presets.h); errors name the flag.
nlohmann::json network_flag(const CommandLine& cli, const std::string& flag);

/// Applies "section.key=value,section.key=value" overrides (from --set) to
/// a config; values are JSON, or plain text for strings.
nlohmann::json apply_set_overrides(const nlohmann::json& config, const std::string& overrides);

}  // namespace disback::cli
