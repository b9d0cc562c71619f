// disback: distil a multi-step diffusion teacher into a one-step generator
// by distribution backtracking.
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "cli/args.h"
#include "cli/commands.h"

namespace {

struct Command {
  const char* name;
  const char* summary;
  int (*run)(int, char**);
};

const std::vector<Command>& commands() {
  using namespace disback::cli;
  static const std::vector<Command> all = {
      {"train-teacher", "Train an EDM teacher denoiser on a dataset", train_teacher_command},
      {"info", "Print a model file's architecture and parameter count", info_command},
  };
  return all;
}

void print_usage() {
  std::cout << "usage: disback <command> [options]\n\ncommands:\n";
  for (const auto& command : commands()) {
    std::printf("  %-16s %s\n", command.name, command.summary);
  }
  std::cout << "\n'disback <command> --help' lists a command's options and defaults.\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    print_usage();
    return argc < 2 ? 2 : 0;
  }
  const std::string name = argv[1];
  for (const auto& command : commands()) {
    if (name != command.name) continue;
    try {
      return command.run(argc - 1, argv + 1);
    } catch (const disback::cli::UsageError& error) {
      std::cerr << "disback " << name << ": " << error.what() << std::endl;
      return 2;
    } catch (const std::exception& error) {
      std::cerr << "disback " << name << ": error: " << error.what() << std::endl;
      return 1;
    }
  }
  std::cerr << "disback: unknown command '" << name << "'\n\n";
  print_usage();
  return 2;
}
