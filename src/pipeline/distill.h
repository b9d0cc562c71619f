// Runs a Backtracker to the end as a job: a status line, metrics.jsonl,
// periodic evaluation and resumable checkpoints in the run folder.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "backtrack/backtracker.h"
#include "common/run_dir.h"

namespace disback {

/// Evaluates a generator; the returned values are logged (e.g. {"fid": ...}).
using GeneratorEvaluation = std::function<std::map<std::string, double>(const OneStepGenerator&)>;

struct DistillJobOptions {
  int64_t eval_every = 0;        // iterations between evaluations (0: never)
  GeneratorEvaluation evaluate;  // called with the EMA generator
  int64_t checkpoint_every = 0;  // iterations between checkpoints (0: never)
  std::string label = "backtrack";
};

/// Steps `backtracker` until it is finished. Every step's metrics go to
/// metrics.jsonl (stage = label); checkpoints go to checkpoint.h5, so a
/// stopped job resumes with Backtracker::load_checkpoint.
void run_distillation(Backtracker& backtracker, const RunDir& run,
                      const DistillJobOptions& options);

}  // namespace disback
