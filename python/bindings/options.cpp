// Option structs as Python classes built from keywords:
//   disback.SamplerOptions(num_steps=8, S_churn=0)
#include <ATen/CPUGeneratorImpl.h>

#include "bindings.h"

namespace disback::bindings {
namespace {

template <typename T>
void add_validate(py::class_<T>& options) {
  options.def("validate", &T::validate,
              "Raises RuntimeError naming the first option out of range.");
}

void bind_sampler_options(py::module_& m) {
  OptionsClass<SamplerOptions> options(m, "SamplerOptions",
                                       "Settings of the samplers (EDM conventions). Each sampler "
                                       "reads the fields that concern it.");
  options.field("num_steps", &SamplerOptions::num_steps, "N, the number of steps (default 18).")
      .field("sigma_min", &SamplerOptions::sigma_min, "Smallest noise level (0.002).")
      .field("sigma_max", &SamplerOptions::sigma_max, "Largest noise level (80).")
      .field("rho", &SamplerOptions::rho, "Time-step exponent, EDM Eq. 5 (7).")
      .field("S_churn", &SamplerOptions::S_churn, "edm-stochastic: churn (40).")
      .field("S_min", &SamplerOptions::S_min, "edm-stochastic: lowest churned level (0.05).")
      .field("S_max", &SamplerOptions::S_max, "edm-stochastic: highest churned level (50).")
      .field("S_noise", &SamplerOptions::S_noise, "edm-stochastic: noise inflation (1.003).")
      .field("eta", &SamplerOptions::eta, "ddim: 0 deterministic, 1 ancestral (0).")
      .field("sigma_init", &SamplerOptions::sigma_init,
             "onestep: the generator's noise level (2.5).");
  add_validate(options.finish());
}

void bind_training_options(py::module_& m) {
  OptionsClass<EdmLossOptions> loss(m, "EdmLossOptions",
                                    "EDM training loss: ln sigma ~ N(P_mean, P_std^2).");
  loss.field("P_mean", &EdmLossOptions::P_mean, "Mean of ln sigma (-1.2).")
      .field("P_std", &EdmLossOptions::P_std, "Standard deviation of ln sigma (1.2).");
  loss.finish();

  OptionsClass<TeacherTrainOptions> teacher(m, "TeacherTrainOptions",
                                            "Teacher training with the EDM loss.");
  teacher.field("iterations", &TeacherTrainOptions::iterations, "Training iterations (8000).")
      .field("batch_size", &TeacherTrainOptions::batch_size, "Batch size (128).")
      .field("learning_rate", &TeacherTrainOptions::learning_rate, "Adam learning rate (1e-3).")
      .field("warmup_iterations", &TeacherTrainOptions::warmup_iterations,
             "Linear learning-rate warm-up (200).")
      .field("ema_half_life_samples", &TeacherTrainOptions::ema_half_life_samples,
             "EMA half-life in samples (50000).")
      .field("grad_clip", &TeacherTrainOptions::grad_clip, "Max gradient norm; 0 disables (1).")
      .field("checkpoint_every", &TeacherTrainOptions::checkpoint_every,
             "Iterations between EMA snapshots (1000).")
      .field("log_every", &TeacherTrainOptions::log_every, "metrics.jsonl cadence (50).")
      .field("conditional", &TeacherTrainOptions::conditional, "Train with class labels.")
      .field("seed", &TeacherTrainOptions::seed, "Seed (0).")
      .field("loss", &TeacherTrainOptions::loss, "EdmLossOptions.");
  teacher.finish();
}

void bind_stage_options(py::module_& m) {
  OptionsClass<DegradationOptions> degradation(
      m, "DegradationOptions",
      "Degradation recording: N checkpoints, K fine-tuning steps apart, of a teacher copy "
      "fitted to the initial generator's samples.");
  degradation.field("num_checkpoints", &DegradationOptions::num_checkpoints, "N (4).")
      .field("interval", &DegradationOptions::interval, "K, steps between checkpoints (100).")
      .field("batch_size", &DegradationOptions::batch_size, "Batch size (64).")
      .field("learning_rate", &DegradationOptions::learning_rate, "Adam learning rate (5e-4).")
      .field("grad_clip", &DegradationOptions::grad_clip, "Max gradient norm; 0 disables (1).")
      .field("seed", &DegradationOptions::seed, "Seed (0).")
      .field("storage", &DegradationOptions::storage,
             "'float16-delta' (s_k - s_0 in float16, half the bytes) or 'exact' (lossless).")
      .field("loss", &DegradationOptions::loss, "EdmLossOptions of the fine-tuning.");
  add_validate(degradation.finish());

  OptionsClass<ScoreDistillationOptions> distillation(m, "ScoreDistillationOptions",
                                                      "The generator's score-distillation update.");
  distillation.field("objective", &ScoreDistillationOptions::objective, "'diff-instruct' or 'dmd'.")
      .field("sigma_sampling", &ScoreDistillationOptions::sigma_sampling,
             "'lognormal' (EDM) or 'karras' (uniform on the sampler's grid).")
      .field("P_mean", &ScoreDistillationOptions::P_mean, "lognormal: mean of ln sigma (-1.2).")
      .field("P_std", &ScoreDistillationOptions::P_std, "lognormal: std of ln sigma (1.2).")
      .field("sigma_min", &ScoreDistillationOptions::sigma_min, "karras: smallest level.")
      .field("sigma_max", &ScoreDistillationOptions::sigma_max, "karras: largest level.")
      .field("rho", &ScoreDistillationOptions::rho, "karras: grid exponent.")
      .field("grid_size", &ScoreDistillationOptions::grid_size, "karras: levels on the grid.");
  add_validate(distillation.finish());

  OptionsClass<SwitchRuleOptions> switching(
      m, "SwitchRuleOptions", "When backtracking moves to the next target on the path.");
  switching.field("rule", &SwitchRuleOptions::rule, "'fixed' or 'convergence'.")
      .field("iterations_per_target", &SwitchRuleOptions::iterations_per_target,
             "fixed: iterations on each target (200).")
      .field("threshold", &SwitchRuleOptions::threshold,
             "convergence: switch when the discrepancy <= threshold x its start (0.5).")
      .field("check_every", &SwitchRuleOptions::check_every,
             "convergence: iterations between discrepancy checks (25).")
      .field("min_iterations", &SwitchRuleOptions::min_iterations,
             "convergence: minimum iterations per target (50).")
      .field("max_iterations", &SwitchRuleOptions::max_iterations,
             "convergence: maximum iterations per target (400).");
  add_validate(switching.finish());

  OptionsClass<BacktrackOptions> backtrack(
      m, "BacktrackOptions", "The distillation loop of DisBack (and of the baseline).");
  backtrack.field("iterations", &BacktrackOptions::iterations, "Generator updates in all (2000).")
      .field("batch_size", &BacktrackOptions::batch_size, "Batch size (32).")
      .field("generator_lr", &BacktrackOptions::generator_lr, "Generator Adam lr (1e-4).")
      .field("fake_lr", &BacktrackOptions::fake_lr, "Fake-denoiser Adam lr (1e-4).")
      .field("beta1", &BacktrackOptions::beta1, "Adam beta1 of both (0).")
      .field("beta2", &BacktrackOptions::beta2, "Adam beta2 of both (0.99).")
      .field("fake_updates", &BacktrackOptions::fake_updates,
             "Fake updates per generator update (1).")
      .field("ema_half_life", &BacktrackOptions::ema_half_life,
             "Generator EMA half-life in samples; 0: off.")
      .field("grad_clip", &BacktrackOptions::grad_clip, "Max gradient norm; 0: off (1).")
      .field("holdout_size", &BacktrackOptions::holdout_size,
             "Held-out noise for the discrepancy (64).")
      .field("seed", &BacktrackOptions::seed, "Seed (0).")
      .field("distillation", &BacktrackOptions::distillation, "ScoreDistillationOptions.")
      .field("switching", &BacktrackOptions::switching, "SwitchRuleOptions.")
      .field("fake_loss", &BacktrackOptions::fake_loss, "EdmLossOptions of the fake denoiser.");
  add_validate(backtrack.finish());
}

void bind_metric_options(py::module_& m) {
  OptionsClass<KidOptions> kid(m, "KidOptions", "Kernel Inception Distance subsets.");
  kid.field("subsets", &KidOptions::subsets, "Random subsets averaged (100).")
      .field("subset_size", &KidOptions::subset_size, "Capped at the smaller set (1000).")
      .field("seed", &KidOptions::seed, "Seed of the subsets (0).");
  kid.finish();

  OptionsClass<EvalOptions> eval(m, "EvalOptions", "Settings of an Evaluator.");
  eval.field("batch_size", &EvalOptions::batch_size, "Samples per call and per batch (250).")
      .field("kid", &EvalOptions::kid, "KidOptions.")
      .field("kept_features", &EvalOptions::kept_features,
             "Generated features kept for KID and P/R (10000).")
      .field("precision_recall", &EvalOptions::precision_recall, "Compute P/R (True).")
      .field("precision_recall_samples", &EvalOptions::precision_recall_samples,
             "Samples per side for P/R (5000).")
      .field("precision_recall_k", &EvalOptions::precision_recall_k, "k of the k-NN balls (3).")
      .field("seed", &EvalOptions::seed, "Seed of subsets and reservoir (0).")
      .field("progress", &EvalOptions::progress, "Progress lines (True).");
  eval.finish();
}

void bind_toy_options(py::module_& m) {
  OptionsClass<GaussianMixture2d> mixture(
      m, "GaussianMixture2d",
      "A mixture of `modes` isotropic Gaussians (std `spread`) on a circle of `radius`.");
  mixture.field("modes", &GaussianMixture2d::modes, "Number of modes (8).")
      .field("radius", &GaussianMixture2d::radius, "Radius of the circle (1).")
      .field("spread", &GaussianMixture2d::spread, "Std of each mode (0.05).");
  mixture.finish()
      .def(
          "sample",
          [](const GaussianMixture2d& data, int64_t count, std::optional<uint64_t> seed) {
            if (count < 1) throw Error(str_cat("sample: expected count >= 1, got ", count));
            if (!seed) return data.sample(count);
            return data.sample(count, at::detail::createCPUGenerator(*seed));
          },
          py::arg("count"), py::arg("seed") = py::none(),
          "Points [count, 2] float32; seeded when `seed` is given, else torch's default "
          "generator.")
      .def("centres", &GaussianMixture2d::centres, "The mode centres [modes, 2].");

  OptionsClass<ToyOptions> toy(m, "ToyOptions",
                               "The 2-D toy problem end to end (see toy_defaults()).");
  toy.field("data", &ToyOptions::data, "GaussianMixture2d.")
      .field("teacher_iterations", &ToyOptions::teacher_iterations, "Teacher iterations (3000).")
      .field("teacher_batch", &ToyOptions::teacher_batch, "Teacher batch (256).")
      .field("teacher_lr", &ToyOptions::teacher_lr, "Teacher learning rate (2e-3).")
      .field("sigma_init", &ToyOptions::sigma_init, "Generator noise level (2.5).")
      .field("degradation", &ToyOptions::degradation, "DegradationOptions.")
      .field("backtrack", &ToyOptions::backtrack, "BacktrackOptions.")
      .field("eval_every", &ToyOptions::eval_every, "Iterations between distances (100).")
      .field("eval_samples", &ToyOptions::eval_samples, "Samples per distance (4000).")
      .field("seed", &ToyOptions::seed, "Seed (0).");
  toy.finish();
}

}  // namespace

void bind_options(py::module_& module) {
  bind_sampler_options(module);
  bind_training_options(module);
  bind_stage_options(module);
  bind_metric_options(module);
  bind_toy_options(module);
}

}  // namespace disback::bindings
