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
      {"run", "Run the whole DisBack pipeline from a config (the main job)", run_command},
      {"train-teacher", "Train an EDM teacher denoiser on a dataset", train_teacher_command},
      {"record-path", "Record the degradation path of the teacher towards G_0",
       record_path_command},
      {"distill", "Distil a one-step generator by backtracking (or the baseline)", distill_command},
      {"study", "DisBack against the plain baseline over seeds: curves and speed-up",
       study_command},
      {"info", "Print a model file's architecture and parameter count", info_command},
      {"sample", "Draw samples with a teacher's sampler or a one-step generator", sample_command},
      {"train-classifier", "Train the Fashion-MNIST classifier used as FID detector",
       train_classifier_command},
      {"stats", "Compute reference feature statistics (.h5 or .npz) for FID", stats_command},
      {"eval", "FID, KID, precision and recall of samples against a reference", eval_command},
      {"denoise", "Evaluate a model's denoiser on inputs from an HDF5 file", denoise_command},
      {"bench-network", "Print a network's size and CPU forward time", bench_network_command},
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
