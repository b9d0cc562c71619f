// The convergence study of issue-style claims: DisBack against plain score
// distillation (the baseline), same code, same seeds, quality against
// iteration. The speed-up is read off the seed-averaged curves:
//   baseline_iteration  first evaluation where the baseline is within
//                       `tolerance` of its own final value
//   disback_iteration   first evaluation where DisBack is at least as good
//                       as that (the baseline's final value x (1+tolerance))
//   speedup             baseline_iteration / disback_iteration
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace disback {

/// The settings of `disback study` for `problem` ("toy" or "fmnist"): the
/// pipeline's "degradation" and "backtrack" sections (see config.h) and a
/// "study" section: label (the table's first column), seeds, eval_every,
/// eval_samples, tolerance. A config
/// file or --set overrides any subset, exactly as for `disback run`.
nlohmann::json default_study_config(const std::string& problem);

/// Throws, naming "section.key", for settings a study cannot run with;
/// warns when the fixed rule would never reach the teacher.
void validate_study_config(const nlohmann::json& config);

/// Quality (lower is better) at common evaluation iterations, one curve per seed.
struct MethodCurves {
  std::vector<int64_t> iterations;
  std::vector<std::vector<double>> per_seed;
  std::vector<double> mean() const;
};

struct SpeedUp {
  int64_t baseline_iteration = -1;
  int64_t disback_iteration = -1;  // -1: never reached
  double speedup = 0;
  double baseline_final = 0, disback_final = 0;
  double target_value = 0;
  // The same reading at DisBack's own final quality, for when it ends
  // better than the baseline: when DisBack settles, and when (if ever) the
  // baseline first gets that good.
  int64_t disback_settles_at = -1;
  int64_t baseline_reaches_disback_final_at = -1;
  nlohmann::json to_json() const;
};

/// `tolerance`: relative slack, e.g. 0.05 for "within 5 %". The final value
/// is the mean of the last `final_window` evaluations (noise-robust).
SpeedUp compare_convergence(const MethodCurves& baseline, const MethodCurves& disback,
                            double tolerance = 0.05, int64_t final_window = 3);

/// The curves of a study's curves.jsonl by method ("baseline", "disback"),
/// seeds in file order; `metric` names the value column.
std::map<std::string, MethodCurves> read_study_curves(const std::string& file,
                                                      const std::string& metric);

/// A markdown table of the comparison (`metric` names the quality column).
std::string speedup_table(const std::string& problem, const std::string& metric,
                          const SpeedUp& result, int64_t seeds);

}  // namespace disback
