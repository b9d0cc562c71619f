// When backtracking moves from one target on the degradation path to the
// next (closer to the teacher).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace disback {

struct SwitchRuleOptions {
  /// "fixed": after `iterations_per_target` iterations (the authors'
  /// released code). "convergence": when the fake-versus-target discrepancy
  /// on held-out noise has fallen to `threshold` times its value at the
  /// switch, checked every `check_every` iterations, but never before
  /// `min_iterations` and always by `max_iterations`.
  std::string rule = "fixed";
  int64_t iterations_per_target = 200;
  double threshold = 0.5;
  int64_t check_every = 25;
  int64_t min_iterations = 50;
  int64_t max_iterations = 400;

  nlohmann::json to_json() const;
  void validate() const;
};

class SwitchRule {
 public:
  explicit SwitchRule(SwitchRuleOptions options);

  /// Whether the discrepancy must be measured after this iteration.
  bool wants_discrepancy(int64_t iterations_on_target) const;
  /// Decides after `iterations_on_target` iterations on the current target;
  /// `discrepancy` is given when wants_discrepancy() asked for it.
  bool should_switch(int64_t iterations_on_target, std::optional<double> discrepancy);
  /// Starts a new target whose first discrepancy is `reference`.
  void start_target(std::optional<double> reference);

  std::optional<double> reference() const { return reference_; }
  const SwitchRuleOptions& options() const { return options_; }

 private:
  SwitchRuleOptions options_;
  std::optional<double> reference_;
};

}  // namespace disback
