#include "backtrack/switch_rule.h"

#include "common/error.h"

namespace disback {

nlohmann::json SwitchRuleOptions::to_json() const {
  return {{"rule", rule},
          {"iterations_per_target", iterations_per_target},
          {"threshold", threshold},
          {"check_every", check_every},
          {"min_iterations", min_iterations},
          {"max_iterations", max_iterations}};
}

void SwitchRuleOptions::validate() const {
  DISBACK_CHECK(rule == "fixed" || rule == "convergence",
                "backtrack.switch_rule: expected fixed or convergence, got '", rule, "'");
  DISBACK_CHECK(iterations_per_target >= 1, "backtrack.iterations_per_target: expected >= 1, got ",
                iterations_per_target);
  DISBACK_CHECK(threshold > 0 && threshold < 1,
                "backtrack.switch_threshold: expected in (0, 1), got ", threshold);
  DISBACK_CHECK(check_every >= 1, "backtrack.switch_check_every: expected >= 1, got ", check_every);
  DISBACK_CHECK(
      min_iterations >= 1 && max_iterations >= min_iterations,
      "expected 1 <= backtrack.switch_min_iterations <= backtrack.switch_max_iterations, got ",
      min_iterations, " and ", max_iterations);
}

SwitchRule::SwitchRule(SwitchRuleOptions options) : options_(std::move(options)) {
  options_.validate();
}

bool SwitchRule::wants_discrepancy(int64_t iterations_on_target) const {
  return options_.rule == "convergence" && iterations_on_target % options_.check_every == 0;
}

bool SwitchRule::should_switch(int64_t iterations_on_target, std::optional<double> discrepancy) {
  if (options_.rule == "fixed") return iterations_on_target >= options_.iterations_per_target;
  if (iterations_on_target >= options_.max_iterations) return true;
  if (iterations_on_target < options_.min_iterations || !discrepancy || !reference_) return false;
  return *discrepancy <= options_.threshold * *reference_;
}

void SwitchRule::start_target(std::optional<double> reference) { reference_ = reference; }

}  // namespace disback
