// Small 2-D setups shared by the degradation and backtracking tests.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "backtrack/backtracker.h"
#include "degradation/recorder.h"

namespace disback::testing_support {

inline nlohmann::json tiny_mlp_config() {
  return {{"model_type", "MlpNet"},
          {"img_channels", 2},
          {"hidden", 32},
          {"num_layers", 2},
          {"noise_channels", 16}};
}

inline std::string temp_file(const std::string& name) {
  return ::testing::TempDir() + "/" + std::to_string(getpid()) + "_" + name;
}

/// A random teacher and a recorded path with `n` checkpoints of `k` steps.
struct TinyPath {
  DenoiserPtr teacher;
  std::string file;
  std::shared_ptr<PathReader> reader;

  TinyPath(int64_t n, int64_t k, const std::string& name) {
    torch::manual_seed(3);
    teacher = std::make_shared<Denoiser>(tiny_mlp_config());
    DegradationOptions options;
    options.num_checkpoints = n;
    options.interval = k;
    options.batch_size = 16;
    options.learning_rate = 1e-2;  // large, so checkpoints differ visibly
    file = temp_file(name);
    record_degradation(*teacher, OneStepGenerator{teacher->clone(), 2.5}, options, file);
    reader = std::make_shared<PathReader>(file);
  }
};

inline bool same_weights(const torch::nn::Module& a, const torch::nn::Module& b) {
  auto pa = a.parameters(), pb = b.parameters();
  if (pa.size() != pb.size()) return false;
  for (size_t i = 0; i < pa.size(); ++i) {
    if (!torch::equal(pa[i], pb[i])) return false;
  }
  return true;
}

}  // namespace disback::testing_support
