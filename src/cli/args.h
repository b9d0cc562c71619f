// Command-line parsing for the subcommands. Values are read as text and
// converted here, so every error names the flag and the value given.
#pragma once

#include <cxxopts.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/error.h"

namespace disback::cli {

/// A mistake on the command line; the message starts with the flag.
class UsageError : public Error {
 public:
  using Error::Error;
};

class CommandLine {
 public:
  CommandLine(const std::string& command, const std::string& description);

  /// Declares "--name VALUE" with a default shown in --help.
  CommandLine& option(const std::string& name, const std::string& help,
                      const std::string& default_value);
  /// Declares "--name VALUE" without a default (see given()).
  CommandLine& required(const std::string& name, const std::string& help);
  /// Declares a switch "--name".
  CommandLine& flag(const std::string& name, const std::string& help);
  /// Accepts one positional argument, stored under `name`.
  CommandLine& positional(const std::string& name, const std::string& help);

  /// Parses; returns false (after printing help) when --help was given.
  bool parse(int argc, char** argv);

  bool given(const std::string& name) const;
  std::string text(const std::string& name) const;
  int64_t integer(const std::string& name) const;
  double real(const std::string& name) const;
  bool enabled(const std::string& name) const;
  /// A comma-separated list of integers, e.g. "1,2,2".
  std::vector<int64_t> integers(const std::string& name) const;

  /// Every option's resolved value, for options.json.
  nlohmann::json resolved() const;

 private:
  std::string command_;
  cxxopts::Options options_;
  std::vector<std::string> names_, flags_;
  std::string positional_;
  cxxopts::ParseResult result_;
};

/// Adds --threads, --seed and --quiet, common to every command.
void add_runtime_options(CommandLine& cli);
/// Applies --threads and --quiet.
void apply_runtime_options(const CommandLine& cli);

}  // namespace disback::cli
