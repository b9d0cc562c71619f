// disback info: what a model or path file holds.
#include <filesystem>
#include <iostream>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/network_summary.h"
#include "common/progress.h"
#include "degradation/degradation_path.h"
#include "nn/model_file.h"

namespace disback::cli {
namespace {

void print_path(const std::string& file) {
  const PathReader path(file);
  const DenoiserPtr teacher = path.load(0);
  const double bytes = double(std::filesystem::file_size(file));
  const double float32_bytes =
      float32_path_bytes(path.num_checkpoints(), teacher->parameter_count());
  std::cout << "file:        " << file << " (degradation path)\n"
            << "checkpoints: teacher + " << path.num_checkpoints() << " (" << path.storage()
            << ")\n"
            << "size:        " << format_bytes(bytes) << ", " << format_bytes(float32_bytes)
            << " as float32 (" << int(100 * bytes / float32_bytes) << " %)\n"
            << "network:     " << teacher->config().value("model_type", "?") << ", "
            << teacher->parameter_count() << " parameters\n"
            << "metadata:    " << path.metadata().dump() << std::endl;
}

}  // namespace

int info_command(int argc, char** argv) {
  CommandLine cli("info",
                  "Print a model file's architecture, parameter count and metadata, or a path "
                  "file's checkpoints and size.");
  cli.positional("file", "Model or degradation path file (.h5)");
  if (!cli.parse(argc, argv)) return 0;
  if (!cli.given("file")) throw UsageError("missing model file (usage: disback info FILE.h5)");
  const std::string path = cli.text("file");
  if (is_path_file(path)) {
    print_path(path);
    return 0;
  }
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
