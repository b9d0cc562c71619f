#include "pipeline/study.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <numeric>

#include "common/error.h"
#include "common/log.h"
#include "pipeline/config.h"

namespace disback {

namespace {

// The 2-D mixture trains an MLP in seconds: large batches, a learning rate
// ten times the image model's, short stages.
nlohmann::json toy_study_config(nlohmann::json config) {
  config["degradation"].update(
      {{"num_checkpoints", 4}, {"interval", 150}, {"batch_size", 256}, {"learning_rate", 1e-3}});
  config["backtrack"].update({{"iterations", 1200},
                              {"batch_size", 256},
                              {"generator_lr", 1e-3},
                              {"fake_lr", 1e-3},
                              {"iterations_per_target", 100},
                              {"switch_check_every", 20},
                              {"switch_min_iterations", 40},
                              {"switch_max_iterations", 200},
                              {"checkpoint_every", 0}});
  config["study"].update({{"eval_every", 100}, {"eval_samples", 4000}});
  return config;
}

}  // namespace

nlohmann::json default_study_config(const std::string& problem) {
  DISBACK_CHECK(problem == "toy" || problem == "fmnist",
                "study problem: expected toy or fmnist, got '", problem, "'");
  const nlohmann::json pipeline = default_pipeline_config();
  nlohmann::json config = {{"generator", pipeline.at("generator")},
                           {"degradation", pipeline.at("degradation")},
                           {"backtrack", pipeline.at("backtrack")},
                           {"study",
                            {{"label", problem},
                             {"seeds", 3},
                             {"eval_every", 100},
                             {"eval_samples", 1000},
                             {"tolerance", 0.05}}}};
  config["backtrack"]["checkpoint_every"] = 0;
  return problem == "toy" ? toy_study_config(config) : config;
}

void validate_study_config(const nlohmann::json& config) {
  const nlohmann::json& study = config.at("study");
  const int64_t seeds = study.at("seeds"), eval_every = study.at("eval_every"),
                eval_samples = study.at("eval_samples");
  const int64_t iterations = config.at("backtrack").at("iterations");
  const double tolerance = study.at("tolerance"),
               sigma_init = config.at("generator").at("sigma_init");
  DISBACK_CHECK(seeds >= 1, "study.seeds: expected >= 1, got ", seeds);
  DISBACK_CHECK(eval_every >= 1 && eval_every <= iterations, "study.eval_every: expected 1 ..",
                iterations, " (backtrack.iterations), got ", eval_every);
  DISBACK_CHECK(eval_samples >= 2, "study.eval_samples: expected >= 2, got ", eval_samples);
  DISBACK_CHECK(tolerance >= 0 && std::isfinite(tolerance),
                "study.tolerance: expected >= 0 (0.05 = within 5 %), got ", tolerance);
  DISBACK_CHECK(sigma_init > 0, "generator.sigma_init: expected > 0, got ", sigma_init);
  const DegradationOptions degradation = degradation_options(config.at("degradation"), 0);
  const BacktrackOptions backtrack = backtrack_options(config.at("backtrack"), 0);
  const int64_t before_teacher =
      (degradation.num_checkpoints - 1) * backtrack.switching.iterations_per_target;
  if (backtrack.switching.rule == "fixed" && before_teacher >= iterations) {
    log_warning("DisBack spends ", before_teacher, " iterations on targets s_",
                degradation.num_checkpoints - 1, "..s_1, backtrack.iterations is ", iterations,
                ": it never reaches the teacher");
  }
}

std::vector<double> MethodCurves::mean() const {
  DISBACK_CHECK(!per_seed.empty(), "no curves to average");
  std::vector<double> average(iterations.size(), 0.0);
  for (const auto& curve : per_seed) {
    DISBACK_CHECK(curve.size() == iterations.size(), "curves of different lengths: ", curve.size(),
                  " vs ", iterations.size());
    for (size_t i = 0; i < curve.size(); ++i) average[i] += curve[i] / double(per_seed.size());
  }
  return average;
}

nlohmann::json SpeedUp::to_json() const {
  return {{"baseline_iteration", baseline_iteration},
          {"disback_iteration", disback_iteration},
          {"speedup", speedup},
          {"baseline_final", baseline_final},
          {"disback_final", disback_final},
          {"target_value", target_value},
          {"disback_settles_at", disback_settles_at},
          {"baseline_reaches_disback_final_at", baseline_reaches_disback_final_at}};
}

namespace {

// Mean of the last `window` values, never counting the first (the
// untrained generator) when there are few.
double tail_mean(const std::vector<double>& values, int64_t window) {
  const int64_t n = std::min<int64_t>(window, int64_t(values.size()) - 1);
  DISBACK_CHECK(n >= 1, "a curve needs an evaluation after its start, got ", values.size(),
                " value(s)");
  return std::accumulate(values.end() - n, values.end(), 0.0) / double(n);
}

int64_t first_at_or_below(const std::vector<int64_t>& iterations, const std::vector<double>& values,
                          double threshold) {
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i] <= threshold) return iterations[i];
  }
  return -1;
}

}  // namespace

SpeedUp compare_convergence(const MethodCurves& baseline, const MethodCurves& disback,
                            double tolerance, int64_t final_window) {
  DISBACK_CHECK(baseline.iterations == disback.iterations,
                "both methods must be evaluated at the same iterations");
  const std::vector<double> base = baseline.mean(), ours = disback.mean();
  SpeedUp result;
  result.baseline_final = tail_mean(base, final_window);
  result.disback_final = tail_mean(ours, final_window);
  result.target_value = result.baseline_final * (1 + tolerance);
  result.baseline_iteration = first_at_or_below(baseline.iterations, base, result.target_value);
  result.disback_iteration = first_at_or_below(disback.iterations, ours, result.target_value);
  if (result.baseline_iteration > 0 && result.disback_iteration > 0) {
    result.speedup = double(result.baseline_iteration) / double(result.disback_iteration);
  }
  const double disback_target = result.disback_final * (1 + tolerance);
  result.disback_settles_at = first_at_or_below(disback.iterations, ours, disback_target);
  result.baseline_reaches_disback_final_at =
      first_at_or_below(baseline.iterations, base, disback_target);
  return result;
}

std::map<std::string, MethodCurves> read_study_curves(const std::string& file,
                                                      const std::string& metric) {
  std::ifstream in(file);
  DISBACK_CHECK(in.good(), "cannot read study curves '", file, "'");
  // (method, seed) -> (iteration, value) rows in file order.
  std::map<std::string, std::map<int64_t, std::vector<std::pair<int64_t, double>>>> rows;
  std::string line;
  for (int64_t number = 1; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    try {
      const nlohmann::json row = nlohmann::json::parse(line);
      rows[row.at("method")][row.at("seed")].emplace_back(row.at("iteration"), row.at(metric));
    } catch (const nlohmann::json::exception& error) {
      throw Error(
          str_cat(file, ":", number, ": not a curve row with '", metric, "': ", error.what()));
    }
  }
  std::map<std::string, MethodCurves> curves;
  for (const auto& [method, seeds] : rows) {
    MethodCurves& target = curves[method];
    for (const auto& [seed, points] : seeds) {
      std::vector<int64_t> iterations;
      std::vector<double> values;
      for (const auto& [iteration, value] : points) {
        iterations.push_back(iteration);
        values.push_back(value);
      }
      DISBACK_CHECK(target.per_seed.empty() || iterations == target.iterations, file, ": ", method,
                    " seed ", seed, " was evaluated at other iterations than seed 0");
      target.iterations = iterations;
      target.per_seed.push_back(values);
    }
  }
  return curves;
}

std::string speedup_table(const std::string& problem, const std::string& metric, const SpeedUp& r,
                          int64_t seeds) {
  const auto iteration = [](int64_t i) { return i < 0 ? std::string("never") : std::to_string(i); };
  char speedup[32] = "n/a";
  if (r.speedup > 0) std::snprintf(speedup, sizeof(speedup), "%.2fx", r.speedup);
  char finals[64];
  std::snprintf(finals, sizeof(finals), "%.4g | %.4g", r.baseline_final, r.disback_final);
  return "| problem | seeds | baseline reaches its final " + metric +
         " at | DisBack first reaches it at | speed-up | baseline final " + metric +
         " | DisBack final " + metric +
         " | DisBack settles at | baseline reaches DisBack's final at |\n"
         "|---|---|---|---|---|---|---|---|---|\n| " +
         problem + " | " + std::to_string(seeds) + " | " + iteration(r.baseline_iteration) + " | " +
         iteration(r.disback_iteration) + " | " + speedup + " | " + finals + " | " +
         iteration(r.disback_settles_at) + " | " + iteration(r.baseline_reaches_disback_final_at) +
         " |\n";
}

}  // namespace disback
