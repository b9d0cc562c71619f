// Degradation recording, the first stage of DisBack (Zhang et al., ICLR
// 2025, Sec. 3.2): a copy of the teacher is fine-tuned with the ordinary
// denoising loss on samples of the frozen initial generator G_0, and its
// weights are saved every K steps. The saved sequence s_0 = teacher, s_1,
// ..., s_N ~ fits G_0 is the path that backtracking walks in reverse.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "degradation/degradation_path.h"
#include "nn/generator.h"
#include "training/edm_loss.h"

namespace disback {

struct DegradationOptions {
  int64_t num_checkpoints = 4;  // N
  int64_t interval = 100;       // K: fine-tuning steps between checkpoints
  int64_t batch_size = 64;
  double learning_rate = 5e-4;
  double grad_clip = 1.0;  // 0 disables
  uint64_t seed = 0;
  std::string storage = "float16-delta";  // checkpoints in the file: see PathWriter
  EdmLossOptions loss;

  nlohmann::json to_json() const;
  /// Throws naming the option when a value is out of range.
  void validate() const;
};

/// The recording as an object that advances one fine-tuning step at a
/// time, so a notebook can plot as it goes.
class DegradationRecorder {
 public:
  DegradationRecorder(const Denoiser& teacher, OneStepGenerator initial_generator,
                      DegradationOptions options, std::string path_file,
                      nlohmann::json provenance = nlohmann::json::object());

  /// One step on fresh G_0 samples; saves a checkpoint every K steps.
  /// Returns {"step", "loss", "checkpoints"}.
  std::map<std::string, double> step();
  bool finished() const { return step_ >= total_steps_; }
  int64_t steps_done() const { return step_; }
  int64_t total_steps() const { return total_steps_; }
  /// Writes the metadata and moves the path file into place (also when
  /// stopped early, ending at the last saved checkpoint). Returns the metadata.
  nlohmann::json finish();

 private:
  OneStepGenerator initial_generator_;
  DegradationOptions options_;
  std::string path_file_;
  nlohmann::json provenance_;
  DenoiserPtr auxiliary_;
  std::unique_ptr<torch::optim::Adam> optimizer_;
  std::unique_ptr<PathWriter> writer_;
  int64_t step_ = 0, total_steps_ = 0;
  double interval_loss_ = 0;
  std::vector<double> checkpoint_losses_, checkpoint_max_errors_;
  std::chrono::steady_clock::time_point start_;
};

/// Records the whole path of `teacher` degrading towards `initial_generator`
/// into `path_file`, with a progress line. Returns the file's metadata.
nlohmann::json record_degradation(const Denoiser& teacher,
                                  const OneStepGenerator& initial_generator,
                                  const DegradationOptions& options, const std::string& path_file,
                                  const nlohmann::json& provenance = nlohmann::json::object());

/// Throws, naming the file and both settings, unless `path` was recorded
/// with `options` from a generator at `sigma_init`.
void check_path_matches(const PathReader& path, const DegradationOptions& options,
                        double sigma_init);

/// The path in `path_file`, recorded first when the file does not exist.
/// A file recorded with other options (or sigma_init) is refused, naming
/// both, rather than silently reused or overwritten.
std::shared_ptr<PathReader> open_or_record_path(const Denoiser& teacher,
                                                const OneStepGenerator& initial_generator,
                                                const DegradationOptions& options,
                                                const std::string& path_file);

}  // namespace disback
