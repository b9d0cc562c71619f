#include "training/teacher_trainer.h"

#include "common/log.h"
#include "common/progress.h"
#include "data/fashion_mnist.h"
#include "nn/model_file.h"
#include "training/ema.h"

namespace disback {

nlohmann::json TeacherTrainOptions::to_json() const {
  return {{"iterations", iterations},
          {"batch_size", batch_size},
          {"learning_rate", learning_rate},
          {"warmup_iterations", warmup_iterations},
          {"ema_half_life_samples", ema_half_life_samples},
          {"grad_clip", grad_clip},
          {"checkpoint_every", checkpoint_every},
          {"conditional", conditional},
          {"seed", seed},
          {"P_mean", loss.P_mean},
          {"P_std", loss.P_std}};
}

DenoiserPtr train_teacher(const DenoiserPtr& denoiser, const torch::Tensor& images,
                          const torch::Tensor& labels, const TeacherTrainOptions& options,
                          const RunDir& run) {
  DISBACK_CHECK(options.iterations > 0, "expected --iterations > 0, got ", options.iterations);
  DISBACK_CHECK(options.batch_size > 0, "expected --batch > 0, got ", options.batch_size);
  DISBACK_CHECK(!options.conditional || denoiser->label_dim() > 0,
                "conditional training needs a network with label_dim > 0");
  torch::manual_seed(options.seed);
  denoiser->train();
  Ema ema(*denoiser, options.ema_half_life_samples);
  torch::optim::Adam optimizer(
      denoiser->parameters(), torch::optim::AdamOptions(options.learning_rate).betas({0.9, 0.999}));
  ProgressMeter progress("teacher", options.iterations);
  double loss_sum = 0;
  int64_t loss_count = 0;

  for (int64_t step = 1; step <= options.iterations; ++step) {
    // Learning-rate warm-up, as EDM ramps it over the first samples.
    const double ramp =
        std::min(1.0, double(step) / double(std::max<int64_t>(1, options.warmup_iterations)));
    for (auto& group : optimizer.param_groups()) {
      static_cast<torch::optim::AdamOptions&>(group.options()).lr(options.learning_rate * ramp);
    }

    const auto index = torch::randint(images.size(0), {options.batch_size}, torch::kInt64);
    const torch::Tensor batch = images.index_select(0, index);
    torch::Tensor batch_labels;
    if (options.conditional) {
      batch_labels = one_hot_labels(labels.index_select(0, index), denoiser->label_dim());
    }
    const torch::Tensor loss = edm_loss(*denoiser, batch, batch_labels, options.loss);
    check_finite(loss, "teacher loss", step);
    optimizer.zero_grad();
    loss.backward();
    if (options.grad_clip > 0) {
      torch::nn::utils::clip_grad_norm_(denoiser->parameters(), options.grad_clip);
    }
    optimizer.step();
    ema.update(*denoiser, options.batch_size);

    loss_sum += loss.item<double>();
    ++loss_count;
    progress.update(step, {{"loss", loss.item<double>()}});
    if (step % options.log_every == 0 || step == options.iterations) {
      run.append_metrics({{"stage", "teacher"},
                          {"iteration", step},
                          {"loss", loss_sum / double(loss_count)},
                          {"seconds", progress.seconds_elapsed()}});
      loss_sum = 0;
      loss_count = 0;
    }
    if (options.checkpoint_every > 0 && step % options.checkpoint_every == 0) {
      save_denoiser(run.file("teacher-snapshot.h5"), *ema.average(),
                    {{"stage", "teacher"}, {"iteration", step}, {"options", options.to_json()}});
    }
  }
  const DenoiserPtr teacher = ema.average();
  save_denoiser(run.file("teacher.h5"), *teacher,
                {{"stage", "teacher"},
                 {"iteration", options.iterations},
                 {"options", options.to_json()},
                 {"seconds", progress.seconds_elapsed()}});
  log_info("teacher: ", options.iterations, " iterations in ",
           format_duration(progress.seconds_elapsed()), ", saved ", run.file("teacher.h5"));
  return teacher;
}

}  // namespace disback
