// disback record-path: degradation recording (DisBack stage 1).
#include <filesystem>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/json_flags.h"
#include "common/log.h"
#include "degradation/recorder.h"
#include "nn/model_file.h"
#include "pipeline/config.h"

namespace disback::cli {

int record_path_command(int argc, char** argv) {
  const nlohmann::json defaults = default_pipeline_config().at("degradation");
  CommandLine cli("record-path",
                  "Fine-tune a copy of the teacher on samples of the initial generator "
                  "G_0(z) = teacher(sigma_init z; sigma_init) and save N checkpoints, every K "
                  "steps, into one HDF5 path file.");
  cli.option("teacher", "Teacher model file", "models/fmnist16_teacher.h5")
      .option("sigma-init", "Noise level of the initial generator", "2.5")
      .required("output", "Path file to write (.h5)");
  add_json_flags(cli, "degradation", defaults);
  add_runtime_options(cli);
  if (!cli.parse(argc, argv)) return 0;
  apply_runtime_options(cli);

  const double sigma_init = cli.real("sigma-init");
  if (!(sigma_init > 0)) throw UsageError(str_cat("--sigma-init: expected > 0, got ", sigma_init));
  const std::string output = cli.text("output");
  DegradationOptions options;
  try {
    options = degradation_options(read_json_flags(cli, defaults), cli.integer("seed"));
  } catch (const UsageError&) {
    throw;
  } catch (const Error& error) {
    throw UsageError(error.what());
  }
  const std::string teacher_file = cli.text("teacher");
  if (std::filesystem::exists(output) && (std::filesystem::is_directory(output) ||
                                          (std::filesystem::exists(teacher_file) &&
                                           std::filesystem::equivalent(output, teacher_file)))) {
    throw UsageError(str_cat("--output: '", output, "' is ",
                             std::filesystem::is_directory(output) ? "a folder" : "the teacher",
                             "; choose another file"));
  }
  const DenoiserPtr teacher = load_denoiser(teacher_file);
  const nlohmann::json metadata =
      record_degradation(*teacher, {teacher->clone(), sigma_init}, options, output,
                         {{"teacher", cli.text("teacher")}});
  log_info("path: N = ", metadata.at("N"), ", K = ", metadata.at("K"), ", ",
           std::filesystem::file_size(output), " bytes");
  return 0;
}

}  // namespace disback::cli
