// disback info: what a model or path file holds.
#include <iostream>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/network_summary.h"
#include "nn/model_file.h"

namespace disback::cli {

int info_command(int argc, char** argv) {
  CommandLine cli("info", "Print a model file's architecture, parameter count and metadata.");
  cli.positional("file", "Model file (.h5)");
  if (!cli.parse(argc, argv)) return 0;
  if (!cli.given("file")) throw UsageError("missing model file (usage: disback info FILE.h5)");
  const std::string path = cli.text("file");
  const DenoiserPtr denoiser = load_denoiser(path);
  std::cout << "file:        " << path << "\n"
            << "model_type:  " << denoiser->config().value("model_type", "?") << "\n"
            << "parameters:  " << denoiser->parameter_count() << "\n"
            << "  by part:   " << describe_parameter_counts(*denoiser) << "\n"
            << "sample:      " << c10::IntArrayRef(denoiser->sample_shape()) << "\n"
            << "config:      " << denoiser->config().dump() << "\n"
            << "metadata:    " << read_model_metadata(path).dump() << std::endl;
  return 0;
}

}  // namespace disback::cli
