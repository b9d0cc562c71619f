#include "pipeline/config.h"

#include <cmath>
#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "data/fashion_mnist.h"

namespace disback {

nlohmann::json default_pipeline_config() {
  return {
      {"seed", 0},
      {"out", "runs"},
      {"data", {{"dir", kDefaultFashionMnistDir}, {"resolution", 16}}},
      {"teacher",
       {{"file", "models/fmnist16_teacher.h5"},
        {"arch", "fmnist16"},
        {"iterations", 8000},
        {"batch_size", 64},
        {"learning_rate", 1e-3}}},
      {"classifier", {{"file", "models/fmnist_classifier.h5"}}},
      {"generator", {{"sigma_init", 2.5}}},
      {"degradation",
       {{"num_checkpoints", 4},
        {"interval", 100},
        {"batch_size", 64},
        {"learning_rate", 5e-4},
        {"storage", "float16-delta"}}},
      {"backtrack",
       {{"iterations", 2000},
        {"batch_size", 32},
        {"generator_lr", 1e-4},
        {"fake_lr", 1e-4},
        {"beta1", 0.0},
        {"beta2", 0.99},
        {"fake_updates", 1},
        {"ema_half_life", 0.0},
        {"grad_clip", 1.0},
        {"objective", "diff-instruct"},
        {"sigma_sampling", "lognormal"},
        {"switch_rule", "fixed"},
        {"iterations_per_target", 300},
        {"switch_threshold", 0.5},
        {"switch_check_every", 25},
        {"switch_min_iterations", 100},
        {"switch_max_iterations", 600},
        {"checkpoint_every", 500}}},
      {"eval",
       {{"samples", 2000},
        {"teacher_sampler", "heun"},
        {"teacher_steps", 18},
        {"every", 500},
        {"every_samples", 500},
        {"grid", 64}}},
  };
}

std::string config_help(const std::string& section, const std::string& key) {
  static const std::map<std::string, std::string> help = {
      {"arch", "network preset of a teacher trained from scratch (fmnist16, or a .json file)"},
      {"iterations", "generator updates in all"},
      {"batch_size", "samples per step"},
      {"generator_lr", "Adam learning rate of the generator"},
      {"fake_lr", "Adam learning rate of the fake denoiser"},
      {"beta1", "Adam beta1 of both optimisers"},
      {"beta2", "Adam beta2 of both optimisers"},
      {"fake_updates", "fake-denoiser updates per generator update"},
      {"ema_half_life", "generator EMA half-life in samples (0: off)"},
      {"grad_clip", "max gradient norm (0: off)"},
      {"objective", "diff-instruct or dmd"},
      {"sigma_sampling", "lognormal (EDM) or karras (uniform on the Karras grid)"},
      {"switch_rule", "fixed or convergence"},
      {"iterations_per_target", "fixed rule: iterations on each intermediate target"},
      {"switch_threshold", "convergence rule: switch when discrepancy <= threshold x start"},
      {"switch_check_every", "iterations between discrepancy measurements"},
      {"switch_min_iterations", "convergence rule: minimum iterations per target"},
      {"switch_max_iterations", "convergence rule: maximum iterations per target"},
      {"checkpoint_every", "iterations between resumable checkpoints (0: off)"},
      {"num_checkpoints", "N, checkpoints after the teacher"},
      {"interval", "K, fine-tuning steps between checkpoints"},
      {"learning_rate", "Adam learning rate"},
      {"storage", "path checkpoints: float16-delta (60-70 % of float32) or exact (lossless)"},
      {"sigma_init", "noise level of the one-step generator"},
  };
  const auto found = help.find(key);
  return found != help.end() ? found->second : section + " " + key;
}

nlohmann::json merge_config(const nlohmann::json& base, const nlohmann::json& overrides,
                            const std::string& origin) {
  DISBACK_CHECK(overrides.is_object(), origin, ": a config must be a JSON object");
  nlohmann::json merged = base;
  for (const auto& [key, value] : overrides.items()) {
    DISBACK_CHECK(base.contains(key), origin, ": unknown config key '", key, "'");
    const nlohmann::json& expected = base.at(key);
    if (expected.is_object()) {
      merged[key] = merge_config(expected, value, origin + ": " + key);
      continue;
    }
    const bool same_kind = (expected.is_number() && value.is_number()) ||
                           (expected.is_string() && value.is_string()) ||
                           (expected.is_boolean() && value.is_boolean());
    DISBACK_CHECK(same_kind, origin, ": config key '", key, "' expects a value like ",
                  expected.dump(), ", got ", value.dump());
    if (expected.is_number_integer() && !value.is_number_integer()) {
      // 1e3 is a whole number written as a float; 1.5 is not a count.
      const double number = value.get<double>();
      DISBACK_CHECK(std::isfinite(number) && number == std::floor(number), origin, ": config key '",
                    key, "' expects an integer, got ", value.dump());
      merged[key] = static_cast<int64_t>(number);
      continue;
    }
    merged[key] = value;
  }
  return merged;
}

nlohmann::json read_json_file(const std::string& file) {
  DISBACK_CHECK(!std::filesystem::is_directory(file), "config file '", file, "' is a folder");
  std::ifstream in(file);
  DISBACK_CHECK(in.good(), "cannot read config file '", file, "'");
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& error) {
    throw Error(str_cat("config file '", file, "' is not valid JSON: ", error.what()));
  }
}

nlohmann::json load_pipeline_config(const std::string& file) {
  return merge_config(default_pipeline_config(), read_json_file(file), file);
}

DegradationOptions degradation_options(const nlohmann::json& section, uint64_t seed) {
  DegradationOptions options;
  options.num_checkpoints = section.at("num_checkpoints").get<int64_t>();
  options.interval = section.at("interval").get<int64_t>();
  options.batch_size = section.at("batch_size").get<int64_t>();
  options.learning_rate = section.at("learning_rate").get<double>();
  options.storage = section.at("storage").get<std::string>();
  options.seed = seed;
  options.validate();
  return options;
}

BacktrackOptions backtrack_options(const nlohmann::json& section, uint64_t seed) {
  BacktrackOptions options;
  options.iterations = section.at("iterations").get<int64_t>();
  options.batch_size = section.at("batch_size").get<int64_t>();
  options.generator_lr = section.at("generator_lr").get<double>();
  options.fake_lr = section.at("fake_lr").get<double>();
  options.beta1 = section.at("beta1").get<double>();
  options.beta2 = section.at("beta2").get<double>();
  options.fake_updates = section.at("fake_updates").get<int64_t>();
  options.ema_half_life = section.at("ema_half_life").get<double>();
  options.grad_clip = section.at("grad_clip").get<double>();
  options.distillation.objective = section.at("objective").get<std::string>();
  options.distillation.sigma_sampling = section.at("sigma_sampling").get<std::string>();
  options.switching.rule = section.at("switch_rule").get<std::string>();
  options.switching.iterations_per_target = section.at("iterations_per_target").get<int64_t>();
  options.switching.threshold = section.at("switch_threshold").get<double>();
  options.switching.check_every = section.at("switch_check_every").get<int64_t>();
  options.switching.min_iterations = section.at("switch_min_iterations").get<int64_t>();
  options.switching.max_iterations = section.at("switch_max_iterations").get<int64_t>();
  options.seed = seed;
  options.validate();
  return options;
}

}  // namespace disback
