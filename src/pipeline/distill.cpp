#include "pipeline/distill.h"

#include "common/progress.h"

namespace disback {

void run_distillation(Backtracker& backtracker, const RunDir& run,
                      const DistillJobOptions& options) {
  const int64_t total = backtracker.options().iterations;
  ProgressMeter progress(options.label, total);
  while (!backtracker.finished()) {
    StepMetrics metrics = backtracker.step();
    const int64_t iteration = backtracker.iteration();
    if (options.evaluate && options.eval_every > 0 &&
        (iteration % options.eval_every == 0 || iteration == total)) {
      for (const auto& [name, value] : options.evaluate(backtracker.ema_generator())) {
        metrics[name] = value;
      }
    }
    if (options.checkpoint_every > 0 && iteration % options.checkpoint_every == 0) {
      backtracker.save_checkpoint(run.file("checkpoint.h5"));
    }

    nlohmann::json record = {{"stage", options.label}, {"seconds", progress.seconds_elapsed()}};
    for (const auto& [name, value] : metrics) record[name] = value;
    run.append_metrics(record);
    progress.update(iteration, {{"target", metrics.at("target")},
                                {"g_loss", metrics.at("generator_loss")},
                                {"fake_loss", metrics.at("fake_loss")}});
  }
}

}  // namespace disback
