#include "cli/args.h"

#include <iostream>

#include "common/log.h"
#include "common/runtime.h"

namespace disback::cli {

CommandLine::CommandLine(const std::string& command, const std::string& description)
    : command_(command), options_("disback " + command, description) {
  options_.add_options()("h,help", "Show this help");
}

CommandLine& CommandLine::option(const std::string& name, const std::string& help,
                                 const std::string& default_value) {
  options_.add_options()(name, help, cxxopts::value<std::string>()->default_value(default_value));
  names_.push_back(name);
  return *this;
}

CommandLine& CommandLine::required(const std::string& name, const std::string& help) {
  options_.add_options()(name, help, cxxopts::value<std::string>());
  names_.push_back(name);
  return *this;
}

CommandLine& CommandLine::flag(const std::string& name, const std::string& help) {
  options_.add_options()(name, help);
  flags_.push_back(name);
  return *this;
}

CommandLine& CommandLine::positional(const std::string& name, const std::string& help) {
  options_.add_options()(name, help, cxxopts::value<std::string>());
  options_.parse_positional({name});
  options_.positional_help("[" + name + "]");
  names_.push_back(name);
  positional_ = name;
  return *this;
}

bool CommandLine::parse(int argc, char** argv) {
  try {
    result_ = options_.parse(argc, argv);
  } catch (const cxxopts::exceptions::exception& error) {
    throw UsageError(str_cat(error.what(), " (see 'disback ", command_, " --help')"));
  }
  if (result_.count("help")) {
    std::cout << options_.help() << std::endl;
    return false;
  }
  if (!result_.unmatched().empty()) {
    throw UsageError(str_cat("unexpected argument '", result_.unmatched().front(),
                             "' (see 'disback ", command_, " --help')"));
  }
  return true;
}

bool CommandLine::given(const std::string& name) const { return result_.count(name) > 0; }

std::string CommandLine::text(const std::string& name) const {
  if (!given(name) && !result_[name].has_default()) {
    throw UsageError(str_cat("--", name, " is required (see 'disback ", command_, " --help')"));
  }
  return result_[name].as<std::string>();
}

int64_t CommandLine::integer(const std::string& name) const {
  const std::string value = text(name);
  try {
    size_t used = 0;
    const long long parsed = std::stoll(value, &used);
    if (used == value.size()) return parsed;
  } catch (const std::exception&) {
  }
  throw UsageError(str_cat("--", name, ": expected an integer, got '", value, "'"));
}

double CommandLine::real(const std::string& name) const {
  const std::string value = text(name);
  try {
    size_t used = 0;
    const double parsed = std::stod(value, &used);
    if (used == value.size() && std::isfinite(parsed)) return parsed;
  } catch (const std::exception&) {
  }
  throw UsageError(str_cat("--", name, ": expected a finite number, got '", value, "'"));
}

bool CommandLine::enabled(const std::string& name) const { return result_.count(name) > 0; }

std::vector<int64_t> CommandLine::integers(const std::string& name) const {
  const std::string value = text(name);
  std::vector<int64_t> parsed;
  std::stringstream stream(value);
  std::string item;
  while (std::getline(stream, item, ',')) {
    try {
      size_t used = 0;
      parsed.push_back(std::stoll(item, &used));
      if (used != item.size()) throw std::invalid_argument(item);
    } catch (const std::exception&) {
      throw UsageError(
          str_cat("--", name, ": expected integers separated by commas, got '", value, "'"));
    }
  }
  return parsed;
}

nlohmann::json CommandLine::resolved() const {
  nlohmann::json values = nlohmann::json::object();
  for (const auto& name : names_) {
    if (given(name) || result_[name].has_default()) values[name] = result_[name].as<std::string>();
  }
  for (const auto& name : flags_) values[name] = enabled(name);
  return values;
}

void add_runtime_options(CommandLine& cli) {
  cli.option("threads", "CPU threads for LibTorch (0: one per core)", "0")
      .option("seed", "Random seed", "0")
      .flag("quiet", "Print warnings and errors only");
}

void apply_runtime_options(const CommandLine& cli) {
  const int64_t threads = cli.integer("threads");
  if (threads < 0) throw UsageError(str_cat("--threads: expected >= 0, got ", threads));
  set_num_threads(static_cast<int>(threads));
  if (cli.enabled("quiet")) set_log_level(LogLevel::kWarning);
}

}  // namespace disback::cli
