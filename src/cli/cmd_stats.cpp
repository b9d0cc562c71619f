// disback stats: reference feature statistics of a dataset or sample set.
#include <iostream>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/metrics_options.h"
#include "common/log.h"
#include "metrics/evaluator.h"

namespace disback::cli {

int stats_command(int argc, char** argv) {
  CommandLine cli("stats",
                  "Compute reference feature statistics (mean, covariance, a sample of the "
                  "features) of a dataset or a sample set, for 'disback eval'.");
  cli.positional("source", kSourceHelp)
      .required("output",
                "Statistics file: .h5 (mu, sigma, n, detector, features) or .npz (mu, sigma, as "
                "the Python FID tools read)")
      .option("keep-features",
              "Feature rows kept in .h5 files (seeded random subset) for KID and "
              "precision/recall; 0 keeps none",
              "5000");
  add_source_options(cli,
                     "Images used: fixed sets keep a seeded random subset of this size, "
                     "models draw this many; 0: all (fixed sets only)",
                     "0");
  add_detector_options(cli);
  add_runtime_options(cli);
  if (!cli.parse(argc, argv)) return 0;
  apply_runtime_options(cli);
  if (!cli.given("source"))
    throw UsageError("missing source (usage: disback stats SOURCE --output FILE)");
  const int64_t keep = cli.integer("keep-features");
  if (keep < 0) throw UsageError(str_cat("--keep-features: expected >= 0, got ", keep));

  const SourceOptions options = source_options(cli);
  const std::string spec = cli.text("source");
  const FeatureExtractorPtr detector = detector_option(cli);
  const LoadedSource source = load_source(spec, options);
  FeatureStatistics stats =
      image_statistics(*detector, source.images, keep, options.batch_size, "stats", options.seed);
  const std::string output = cli.text("output");
  stats.save(output);
  std::cout << "source      " << spec << " (" << source.kind << ", " << stats.count << " images "
            << source.images.sizes().slice(1) << ")\n"
            << "detector    " << stats.detector << " (" << stats.dim() << " features)\n"
            << "output      " << output << std::endl;
  return 0;
}

}  // namespace disback::cli
