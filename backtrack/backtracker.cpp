#include "backtrack/backtracker.h"

#include <sstream>

#include "common/error.h"
#include "common/log.h"
#include "data/fashion_mnist.h"
#include "nn/model_file.h"

namespace disback {

nlohmann::json BacktrackOptions::to_json() const {
  return {{"iterations", iterations},
          {"batch_size", batch_size},
          {"generator_lr", generator_lr},
          {"fake_lr", fake_lr},
          {"beta1", beta1},
          {"beta2", beta2},
          {"fake_updates", fake_updates},
          {"ema_half_life", ema_half_life},
          {"grad_clip", grad_clip},
          {"holdout_size", holdout_size},
          {"seed", seed},
          {"distillation", distillation.to_json()},
          {"switching", switching.to_json()},
          {"fake_loss", {{"P_mean", fake_loss.P_mean}, {"P_std", fake_loss.P_std}}}};
}

void BacktrackOptions::validate() const {
  DISBACK_CHECK(iterations >= 1, "backtrack.iterations: expected >= 1, got ", iterations);
  DISBACK_CHECK(batch_size >= 1, "backtrack.batch_size: expected >= 1, got ", batch_size);
  DISBACK_CHECK(generator_lr > 0, "backtrack.generator_lr: expected > 0, got ", generator_lr);
  DISBACK_CHECK(fake_lr > 0, "backtrack.fake_lr: expected > 0, got ", fake_lr);
  DISBACK_CHECK(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1,
                "backtrack.beta1/beta2: expected in [0, 1), got ", beta1, " and ", beta2);
  DISBACK_CHECK(fake_updates >= 1, "backtrack.fake_updates: expected >= 1, got ", fake_updates);
  DISBACK_CHECK(ema_half_life >= 0, "backtrack.ema_half_life: expected >= 0, got ", ema_half_life);
  DISBACK_CHECK(grad_clip >= 0, "backtrack.grad_clip: expected >= 0, got ", grad_clip);
  DISBACK_CHECK(holdout_size >= 1, "backtrack.holdout_size: expected >= 1, got ", holdout_size);
  distillation.validate();
  switching.validate();
}

Backtracker::Backtracker(const Denoiser& teacher, OneStepGenerator generator,
                         std::shared_ptr<const PathReader> path, BacktrackOptions options)
    : options_(std::move(options)),
      path_(std::move(path)),
      generator_(std::move(generator)),
      switch_rule_(options_.switching) {
  options_.validate();
  DISBACK_CHECK(generator_.network != nullptr, "backtracking needs a generator network");
  DISBACK_CHECK(generator_.sigma_init > 0, "expected sigma_init > 0, got ", generator_.sigma_init);
  torch::manual_seed(options_.seed);

  // Fake starts at the end of the path (s_N), the target one step back.
  if (path_) {
    DISBACK_CHECK(path_->config() == teacher.config(), "path '", path_->path(),
                  "' was recorded for another architecture than the teacher's");
    fake_ = path_->load(path_->num_checkpoints());
    target_index_ = path_->num_checkpoints() - 1;
  } else {
    teacher_copy_ = teacher.clone();
    fake_ = teacher.clone();
    target_index_ = 0;
  }
  target_ = std::make_shared<Denoiser>(teacher.config());
  target_->eval();
  for (auto& p : target_->parameters()) p.set_requires_grad(false);
  load_target(target_index_);

  fake_->train();
  generator_.network->train();
  if (options_.ema_half_life > 0)
    ema_ = std::make_unique<Ema>(*generator_.network, options_.ema_half_life);
  const auto adam = [&](double lr) {
    return torch::optim::AdamOptions(lr).betas({options_.beta1, options_.beta2});
  };
  generator_optimizer_ = std::make_unique<torch::optim::Adam>(generator_.network->parameters(),
                                                              adam(options_.generator_lr));
  fake_optimizer_ =
      std::make_unique<torch::optim::Adam>(fake_->parameters(), adam(options_.fake_lr));

  // Held-out noise, fixed for the whole run, measures how far G lags the target.
  auto holdout = at::detail::createCPUGenerator(options_.seed + 7919);
  std::vector<int64_t> shape = generator_.network->sample_shape();
  shape.insert(shape.begin(), options_.holdout_size);
  holdout_z_ = torch::randn(shape, holdout);
  holdout_eps_ = torch::randn(shape, holdout);
  holdout_sigma_ = (torch::randn({options_.holdout_size}, holdout) * 1.2 - 1.2).exp();
  if (generator_.network->label_dim() > 0) {
    auto classes =
        torch::randint(generator_.network->label_dim(), {options_.holdout_size}, holdout);
    holdout_labels_ = one_hot_labels(classes, generator_.network->label_dim());
  }
  switch_rule_.start_target(discrepancy());
}

void Backtracker::load_target(int64_t k) {
  if (path_) {
    path_->load_into(k, *target_);
  } else {
    target_->copy_weights_from(*teacher_copy_);
  }
}

torch::Tensor Backtracker::random_labels(int64_t n) const {
  const int64_t classes = generator_.network->label_dim();
  if (classes == 0) return {};
  return one_hot_labels(torch::randint(classes, {n}, torch::kInt64), classes);
}

double Backtracker::discrepancy() {
  torch::NoGradGuard no_grad;
  const torch::Tensor x = generator_(holdout_z_, holdout_labels_);
  std::vector<int64_t> broadcast(x.dim(), 1);
  broadcast[0] = x.size(0);
  const torch::Tensor x_t = x + holdout_eps_ * holdout_sigma_.reshape(broadcast);
  return score_discrepancy(*fake_, *target_, x_t, holdout_sigma_, holdout_labels_);
}

double Backtracker::update_fake(const torch::Tensor& labels) {
  std::vector<int64_t> shape = generator_.network->sample_shape();
  shape.insert(shape.begin(), options_.batch_size);
  torch::Tensor samples;
  {
    torch::NoGradGuard no_grad;
    samples = generator_(torch::randn(shape), labels);
  }
  const torch::Tensor loss = edm_loss(*fake_, samples, labels, options_.fake_loss);
  check_finite(loss, "fake-denoiser loss", iteration_ + 1);
  fake_optimizer_->zero_grad();
  loss.backward();
  if (options_.grad_clip > 0)
    torch::nn::utils::clip_grad_norm_(fake_->parameters(), options_.grad_clip);
  fake_optimizer_->step();
  return loss.item<double>();
}

std::pair<double, double> Backtracker::update_generator(const torch::Tensor& labels) {
  std::vector<int64_t> shape = generator_.network->sample_shape();
  shape.insert(shape.begin(), options_.batch_size);
  const torch::Tensor x = generator_(torch::randn(shape), labels);
  const torch::Tensor direction =
      distillation_direction(x, *fake_, *target_, labels, options_.distillation);
  const torch::Tensor loss = generator_surrogate_loss(x, direction);
  check_finite(loss, "generator loss", iteration_ + 1);
  generator_optimizer_->zero_grad();
  loss.backward();
  if (options_.grad_clip > 0) {
    torch::nn::utils::clip_grad_norm_(generator_.network->parameters(), options_.grad_clip);
  }
  generator_optimizer_->step();
  if (ema_) ema_->update(*generator_.network, options_.batch_size);
  return {loss.item<double>(), direction.norm().item<double>() / std::sqrt(double(x.size(0)))};
}

StepMetrics Backtracker::step() {
  DISBACK_CHECK(!finished(), "backtracking already did its ", options_.iterations, " iterations");
  const torch::Tensor labels = random_labels(options_.batch_size);
  double fake_loss = 0;
  for (int64_t u = 0; u < options_.fake_updates; ++u) fake_loss += update_fake(labels);
  const auto [generator_loss, direction_norm] = update_generator(labels);
  ++iteration_;
  ++iterations_on_target_;

  StepMetrics metrics = {
      {"iteration", double(iteration_)},  {"target", double(target_index_)},
      {"generator_loss", generator_loss}, {"fake_loss", fake_loss / double(options_.fake_updates)},
      {"direction_norm", direction_norm}, {"switched", 0.0}};
  // The last target is the teacher itself: it is kept until the end.
  const bool measure = iterations_on_target_ % options_.switching.check_every == 0;
  std::optional<double> measured;
  if (measure) measured = metrics["discrepancy"] = discrepancy();
  if (target_index_ > 0 && switch_rule_.should_switch(iterations_on_target_, measured)) {
    --target_index_;
    load_target(target_index_);
    iterations_on_target_ = 0;
    switch_rule_.start_target(discrepancy());
    metrics["switched"] = 1.0;
    metrics["target"] = double(target_index_);
    log_info("backtracking: iteration ", iteration_, ": target is now s_", target_index_,
             target_index_ == 0 ? " (the teacher)" : "");
  }
  return metrics;
}

OneStepGenerator Backtracker::ema_generator() const {
  return ema_ ? OneStepGenerator{ema_->average(), generator_.sigma_init} : generator_;
}

namespace {

torch::Tensor serialize_optimizer(const torch::optim::Optimizer& optimizer) {
  std::ostringstream bytes;
  torch::serialize::OutputArchive archive;
  optimizer.save(archive);
  archive.save_to(bytes);
  const std::string data = bytes.str();
  return torch::from_blob(const_cast<char*>(data.data()), {int64_t(data.size())}, torch::kUInt8)
      .clone();
}

void deserialize_optimizer(torch::optim::Optimizer& optimizer, const torch::Tensor& blob) {
  const std::string data(reinterpret_cast<const char*>(blob.data_ptr<uint8_t>()), blob.numel());
  std::istringstream bytes(data);
  torch::serialize::InputArchive archive;
  archive.load_from(bytes);
  optimizer.load(archive);
}

}  // namespace

void Backtracker::save_checkpoint(const std::string& file) const {
  write_hdf5_atomically(file, [&](Hdf5File& out) {
    out.set_attr("/", "format", "disback-backtrack-checkpoint-1");
    out.set_attr("/", "config", generator_.network->config().dump());
    out.set_attr("/", "options", options_.to_json().dump());
    out.set_attr("/", "sigma_init", generator_.sigma_init);
    out.set_attr("/", "iteration", iteration_);
    out.set_attr("/", "iterations_on_target", iterations_on_target_);
    out.set_attr("/", "target_index", target_index_);
    out.set_attr("/", "reference_discrepancy", switch_rule_.reference().value_or(-1.0));
    save_state(*generator_.network, out, "generator");
    save_state(*fake_, out, "fake");
    if (ema_) save_state(*ema_->average(), out, "ema");
    out.write("optimizers/generator", serialize_optimizer(*generator_optimizer_));
    out.write("optimizers/fake", serialize_optimizer(*fake_optimizer_));
    out.write("rng/cpu", at::detail::getDefaultCPUGenerator().get_state());
  });
}

void Backtracker::load_checkpoint(const std::string& file) {
  Hdf5File in(file, Hdf5File::Mode::kRead);
  DISBACK_CHECK(in.has_attr("/", "format") &&
                    in.attr_string("/", "format") == "disback-backtrack-checkpoint-1",
                "'", file, "' is not a backtracking checkpoint");
  DISBACK_CHECK(
      nlohmann::json::parse(in.attr_string("/", "config")) == generator_.network->config(), "'",
      file, "' holds a generator of another architecture");
  load_state(*generator_.network, in, "generator");
  load_state(*fake_, in, "fake");
  if (ema_) {
    DISBACK_CHECK(in.has("ema"), "'", file, "' has no EMA weights but this run uses an EMA");
    load_state(*ema_->average(), in, "ema");
  }
  deserialize_optimizer(*generator_optimizer_, in.read("optimizers/generator"));
  deserialize_optimizer(*fake_optimizer_, in.read("optimizers/fake"));
  iteration_ = in.attr_int("/", "iteration");
  iterations_on_target_ = in.attr_int("/", "iterations_on_target");
  target_index_ = in.attr_int("/", "target_index");
  load_target(target_index_);
  const double reference = in.attr_double("/", "reference_discrepancy");
  switch_rule_.start_target(reference >= 0 ? std::optional<double>(reference) : std::nullopt);
  at::Generator cpu_generator = at::detail::getDefaultCPUGenerator();
  cpu_generator.set_state(in.read("rng/cpu"));
}

void save_generator(const std::string& file, const OneStepGenerator& generator,
                    nlohmann::json metadata) {
  metadata["role"] = "generator";
  metadata["sigma_init"] = generator.sigma_init;
  save_denoiser(file, *generator.network, metadata);
}

OneStepGenerator load_generator(const std::string& file, std::optional<double> sigma_init) {
  const nlohmann::json metadata = read_model_metadata(file);
  if (!sigma_init) {
    DISBACK_CHECK(metadata.contains("sigma_init"), "'", file,
                  "' has no sigma_init in its metadata; pass --sigma-init");
    sigma_init = metadata.at("sigma_init").get<double>();
  }
  return {load_denoiser(file), *sigma_init};
}

}  // namespace disback
