// disback eval: FID, KID and precision/recall of a sample source against
// reference statistics or another source.
#include <cstdio>
#include <iostream>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/metrics_options.h"
#include "common/log.h"
#include "common/run_dir.h"
#include "metrics/evaluator.h"

namespace disback::cli {
namespace {

struct Reference {
  FeatureStatistics stats;
  std::string description;
};

// A statistics file as it is, or any source through the detector.
Reference load_reference(const std::string& spec, FeatureExtractor& detector,
                         const SourceOptions& source_options, int64_t keep) {
  if (is_statistics_file(spec)) {
    Reference reference{FeatureStatistics::load(spec), "statistics file"};
    if (!reference.stats.features.defined()) {
      log_warning("'", spec, "' keeps no feature rows: KID and precision/recall are skipped");
    }
    return reference;
  }
  SourceOptions options = source_options;
  if (!is_model_file(spec)) options.count = 0;  // every image of a fixed reference set
  const LoadedSource source = load_source(spec, options);
  return {image_statistics(detector, source.images, keep, options.batch_size, "reference",
                           options.seed),
          source.kind};
}

EvalOptions eval_options(const CommandLine& cli) {
  EvalOptions options;
  options.batch_size = cli.integer("batch");
  options.kid.subsets = cli.integer("kid-subsets");
  options.kid.subset_size = cli.integer("kid-subset-size");
  options.kept_features = cli.integer("keep-features");
  options.precision_recall = !cli.enabled("no-pr");
  options.precision_recall_samples = cli.integer("pr-samples");
  options.precision_recall_k = cli.integer("pr-k");
  options.seed = static_cast<uint64_t>(cli.integer("seed"));
  if (options.kid.subsets < 1) {
    throw UsageError(str_cat("--kid-subsets: expected >= 1, got ", options.kid.subsets));
  }
  if (options.kid.subset_size < 2) {
    throw UsageError(str_cat("--kid-subset-size: expected >= 2, got ", options.kid.subset_size));
  }
  if (options.precision_recall_k < 1) {
    throw UsageError(str_cat("--pr-k: expected >= 1, got ", options.precision_recall_k));
  }
  return options;
}

// Samples produced and evaluated per second (the reference's cost excluded).
double samples_per_second(const EvalResult& result, const LoadedSource& source) {
  return static_cast<double>(result.count) / (source.seconds + result.seconds);
}

void print_result(const EvalResult& result, const LoadedSource& source,
                  const std::string& reference_spec, const Reference& reference,
                  double total_seconds) {
  std::printf("source      %s (%s)\n", source.spec.c_str(), source.kind.c_str());
  std::printf("reference   %s (%s, %lld samples)\n", reference_spec.c_str(),
              reference.description.c_str(), static_cast<long long>(reference.stats.count));
  std::printf("detector    %s\n", result.detector.c_str());
  std::printf("samples     %lld\n", static_cast<long long>(result.count));
  std::printf("FID         %.4f\n", result.fid);
  if (result.kid) {
    std::printf("KID         %.6f ± %.6f (%lld subsets of %lld)\n", result.kid->mean,
                result.kid->std, static_cast<long long>(result.kid->subsets),
                static_cast<long long>(result.kid->subset_size));
  } else {
    std::printf("KID         n/a (the reference keeps no feature rows)\n");
  }
  if (result.precision_recall) {
    std::printf(
        "precision   %.4f (k = %lld)\nrecall      %.4f\n", result.precision_recall->precision,
        static_cast<long long>(result.precision_recall->k), result.precision_recall->recall);
  } else {
    std::printf("precision   n/a\nrecall      n/a\n");
  }
  std::printf(
      "time        %.1f s in all; sampling/loading %.1f s, features and metrics %.1f s: "
      "%.1f samples/s\n",
      total_seconds, source.seconds, result.seconds, samples_per_second(result, source));
}

}  // namespace

int eval_command(int argc, char** argv) {
  CommandLine cli("eval",
                  "Evaluate samples: FID, KID (mean ± std over subsets), precision and recall "
                  "(k-NN manifolds) against reference statistics or another source.");
  cli.positional("source", kSourceHelp)
      .option("ref",
              "Reference: a statistics file (.h5 from 'disback stats', or .npz with mu and "
              "sigma) or any source as above (all of its images)",
              "models/fmnist16_train_stats.h5")
      .option("output", "JSON result file", "eval.json")
      .option("kid-subsets", "KID: random subsets averaged", "100")
      .option("kid-subset-size", "KID: samples per subset (capped at the smaller set)", "1000")
      .option("keep-features", "Feature rows kept per side for KID and precision/recall", "10000")
      .option("pr-samples", "Precision/recall: at most this many samples per side", "5000")
      .option("pr-k", "Precision/recall: k of the k-NN radii", "3")
      .flag("no-pr", "Skip precision and recall");
  add_source_options(cli,
                     "Samples drawn from a model, or a seeded random subset of this "
                     "size from a fixed set (0: all of a fixed set)",
                     "10000");
  add_detector_options(cli);
  add_runtime_options(cli);
  if (!cli.parse(argc, argv)) return 0;
  apply_runtime_options(cli);
  if (!cli.given("source"))
    throw UsageError("missing source (usage: disback eval SOURCE --ref REF)");
  const EvalOptions options = eval_options(cli);
  const SourceOptions sources = source_options(cli);

  const auto start = std::chrono::steady_clock::now();
  const FeatureExtractorPtr detector = detector_option(cli);
  const std::string reference_spec = cli.text("ref");
  Reference reference = load_reference(reference_spec, *detector, sources, options.kept_features);
  const LoadedSource source = load_source(cli.text("source"), sources);
  Evaluator evaluator(detector, reference.stats, options);
  const EvalResult result = evaluator.evaluate_images(source.images);
  const double total =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  print_result(result, source, reference_spec, reference, total);
  nlohmann::json json = result.to_json();
  json["command"] = command_text(argc, argv);
  json["source"] = {{"spec", source.spec}, {"kind", source.kind}, {"details", source.details}};
  json["reference"] = {{"spec", reference_spec},
                       {"count", reference.stats.count},
                       {"detector", reference.stats.detector}};
  json["sampling_seconds"] = source.seconds;
  json["total_seconds"] = total;
  json["samples_per_second"] = samples_per_second(result, source);
  const std::string output = cli.text("output");
  if (!output.empty()) {
    write_text_atomically(output, json.dump(2) + "\n");
    std::printf("result      %s\n", output.c_str());
  }
  return 0;
}

}  // namespace disback::cli
