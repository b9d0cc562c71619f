// The configuration of a DisBack run as one JSON document with built-in
// defaults. A config file, or command-line flags, override any subset;
// a key that is not in the defaults is an error that names it.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "backtrack/backtracker.h"
#include "degradation/recorder.h"

namespace disback {

/// Every setting of the main job with its default value.
///   data:        Fashion-MNIST folder and resolution
///   teacher:     model file (trained first if missing) and its training run
///   classifier:  the FID detector's model file (trained first if missing)
///   generator:   sigma_init of G(z) = D(sigma_init z; sigma_init)
///   degradation: N, K, batch, learning rate
///   backtrack:   the distillation loop (see BacktrackOptions)
///   eval:        sample counts, the teacher's sampler steps, in-training cadence
nlohmann::json default_pipeline_config();

/// One line of help for a key of a section ("backtrack", "iterations").
std::string config_help(const std::string& section, const std::string& key);

/// `overrides` merged into `base`; unknown keys and values of the wrong
/// type throw, naming "section.key" and `origin` (a file or "--flag").
nlohmann::json merge_config(const nlohmann::json& base, const nlohmann::json& overrides,
                            const std::string& origin);
/// Parses a JSON file; errors name the file.
nlohmann::json read_json_file(const std::string& file);
/// Reads a JSON config file and merges it into the defaults.
nlohmann::json load_pipeline_config(const std::string& file);

DegradationOptions degradation_options(const nlohmann::json& section, uint64_t seed);
BacktrackOptions backtrack_options(const nlohmann::json& section, uint64_t seed);

}  // namespace disback
