// disback run: the whole DisBack pipeline (the main job).
#include <iostream>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/json_flags.h"
#include "pipeline/config.h"
#include "pipeline/pipeline.h"

namespace disback::cli {

int run_command(int argc, char** argv) {
  CommandLine cli("run",
                  "Run the whole DisBack pipeline: teacher, degradation path, backtracking, "
                  "samples and FIDs. Without a config file, the built-in default (Fashion-MNIST "
                  "16x16, about 20 minutes on 2 cores).");
  cli.positional("config", "JSON config file overriding the defaults (see --print-config)")
      .option("set", "Overrides, e.g. backtrack.iterations=500,eval.samples=1000", "")
      .flag("print-config", "Print the resolved configuration and exit");
  cli.option("threads", "CPU threads for LibTorch (0: one per core)", "0")
      .flag("quiet", "Print warnings and errors only");
  if (!cli.parse(argc, argv)) return 0;
  apply_runtime_options(cli);

  nlohmann::json config =
      cli.given("config") ? load_pipeline_config(cli.text("config")) : default_pipeline_config();
  if (!cli.text("set").empty()) config = apply_set_overrides(config, cli.text("set"));
  if (cli.enabled("print-config")) {
    std::cout << config.dump(2) << std::endl;
    return 0;
  }
  run_pipeline(config);
  return 0;
}

}  // namespace disback::cli
