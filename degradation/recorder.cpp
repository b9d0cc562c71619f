#include "degradation/recorder.h"

#include <filesystem>

#include "common/error.h"
#include "common/log.h"
#include "common/progress.h"
#include "degradation/degradation_path.h"

namespace disback {

nlohmann::json DegradationOptions::to_json() const {
  return {{"num_checkpoints", num_checkpoints},
          {"interval", interval},
          {"batch_size", batch_size},
          {"learning_rate", learning_rate},
          {"grad_clip", grad_clip},
          {"seed", seed},
          {"storage", storage},
          {"P_mean", loss.P_mean},
          {"P_std", loss.P_std}};
}

void DegradationOptions::validate() const {
  DISBACK_CHECK(num_checkpoints >= 1, "degradation: expected N (num_checkpoints) >= 1, got ",
                num_checkpoints);
  DISBACK_CHECK(interval >= 1, "degradation: expected K (interval) >= 1, got ", interval);
  DISBACK_CHECK(is_path_storage(storage),
                "degradation: expected storage float16-delta or exact, got '", storage, "'");
  DISBACK_CHECK(batch_size >= 1, "degradation: expected batch_size >= 1, got ", batch_size);
  DISBACK_CHECK(learning_rate > 0, "degradation: expected learning_rate > 0, got ", learning_rate);
}

DegradationRecorder::DegradationRecorder(const Denoiser& teacher,
                                         OneStepGenerator initial_generator,
                                         DegradationOptions options, std::string path_file,
                                         nlohmann::json provenance)
    : initial_generator_(std::move(initial_generator)),
      options_(std::move(options)),
      path_file_(std::move(path_file)),
      provenance_(std::move(provenance)),
      start_(std::chrono::steady_clock::now()) {
  options_.validate();
  torch::manual_seed(options_.seed);
  // The auxiliary denoiser starts as the teacher; G_0 stays frozen.
  auxiliary_ = teacher.clone();
  auxiliary_->train();
  optimizer_ = std::make_unique<torch::optim::Adam>(
      auxiliary_->parameters(), torch::optim::AdamOptions(options_.learning_rate));
  writer_ = std::make_unique<PathWriter>(path_file_, teacher, options_.storage);
  total_steps_ = options_.num_checkpoints * options_.interval;
}

std::map<std::string, double> DegradationRecorder::step() {
  DISBACK_CHECK(!finished(), "degradation recording already did its ", total_steps_, " steps");
  ++step_;
  std::vector<int64_t> shape = auxiliary_->sample_shape();
  shape.insert(shape.begin(), options_.batch_size);

  // Fit the auxiliary denoiser to fresh samples of the initial generator.
  torch::Tensor samples;
  {
    torch::NoGradGuard no_grad;
    samples = initial_generator_(torch::randn(shape));
  }
  const torch::Tensor loss = edm_loss(*auxiliary_, samples, {}, options_.loss);
  check_finite(loss, "degradation loss", step_);
  optimizer_->zero_grad();
  loss.backward();
  if (options_.grad_clip > 0) {
    torch::nn::utils::clip_grad_norm_(auxiliary_->parameters(), options_.grad_clip);
  }
  optimizer_->step();

  const double value = loss.item<double>();
  interval_loss_ += value;
  if (step_ % options_.interval == 0) {
    checkpoint_max_errors_.push_back(writer_->add_checkpoint(*auxiliary_));
    checkpoint_losses_.push_back(interval_loss_ / double(options_.interval));
    interval_loss_ = 0;
  }
  return {{"step", double(step_)},
          {"loss", value},
          {"checkpoints", double(writer_->num_checkpoints())}};
}

nlohmann::json DegradationRecorder::finish() {
  DISBACK_CHECK(writer_->num_checkpoints() > 0, "degradation stopped at step ", step_,
                ", before the first checkpoint (K = ", options_.interval, ")");
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  nlohmann::json metadata = provenance_;
  metadata["sigma_init"] = initial_generator_.sigma_init;
  metadata["N"] = writer_->num_checkpoints();
  metadata["K"] = options_.interval;
  metadata["steps"] = writer_->num_checkpoints() * options_.interval;
  metadata["checkpoint_losses"] = checkpoint_losses_;
  metadata["checkpoint_max_errors"] = checkpoint_max_errors_;
  metadata["options"] = options_.to_json();
  metadata["seconds"] = seconds;
  writer_->finish(metadata);
  const double float32_bytes =
      float32_path_bytes(writer_->num_checkpoints(), auxiliary_->parameter_count());
  log_info("degradation: ", writer_->num_checkpoints(), " checkpoints in ",
           format_duration(seconds), ", saved ", path_file_, ": ",
           format_bytes(double(std::filesystem::file_size(path_file_))), " (",
           format_bytes(float32_bytes), " as float32; storage ", options_.storage, ")");
  return metadata;
}

nlohmann::json record_degradation(const Denoiser& teacher,
                                  const OneStepGenerator& initial_generator,
                                  const DegradationOptions& options, const std::string& path_file,
                                  const nlohmann::json& provenance) {
  DegradationRecorder recorder(teacher, initial_generator, options, path_file, provenance);
  ProgressMeter progress("degradation", recorder.total_steps());
  while (!recorder.finished()) {
    const auto metrics = recorder.step();
    progress.update(recorder.steps_done(), {{"loss", metrics.at("loss")}});
  }
  return recorder.finish();
}

std::shared_ptr<PathReader> open_or_record_path(const Denoiser& teacher,
                                                const OneStepGenerator& initial_generator,
                                                const DegradationOptions& options,
                                                const std::string& path_file) {
  if (!std::filesystem::exists(path_file)) {
    record_degradation(teacher, initial_generator, options, path_file);
  }
  auto path = std::make_shared<PathReader>(path_file);
  check_path_matches(*path, options, initial_generator.sigma_init);
  return path;
}

void check_path_matches(const PathReader& path, const DegradationOptions& options,
                        double sigma_init) {
  const nlohmann::json& recorded = path.metadata();
  const nlohmann::json wanted = {{"options", options.to_json()}, {"sigma_init", sigma_init}};
  for (const auto& [key, value] : wanted.items()) {
    DISBACK_CHECK(recorded.value(key, nlohmann::json()) == value, "path file '", path.path(),
                  "' was recorded with ", key, " ", recorded.value(key, nlohmann::json()).dump(),
                  ", this run needs ", value.dump(), ": remove the file or choose another");
  }
}

}  // namespace disback
