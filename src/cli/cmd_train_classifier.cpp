// disback train-classifier: the Fashion-MNIST classifier whose features are
// the project's FID detector.
#include <filesystem>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/metrics_options.h"
#include "common/log.h"
#include "data/fashion_mnist.h"
#include "metrics/classifier.h"

namespace disback::cli {

int train_classifier_command(int argc, char** argv) {
  CommandLine cli(
      "train-classifier",
      "Train the Fashion-MNIST classifier used as FID detector; reports test accuracy.");
  cli.option("data", "Fashion-MNIST folder (gzip'd IDX files)", kDefaultFashionMnistDir)
      .option("resolution", "Native resolution (area downsampling from 28)", "16")
      .option("epochs", "Passes over the 60,000 training images", "3")
      .option("batch", "Batch size", "128")
      .option("lr", "Adam learning rate (cosine decay to 0)", "2e-3")
      .option("channels", "Channels of each stage (two 3x3 convolutions, then 2x2 pooling)",
              "16,32")
      .option("feature-dim", "Width of the penultimate (feature) layer", "128")
      .option("output", "Model file to write", kDefaultClassifierPath);
  add_runtime_options(cli);
  if (!cli.parse(argc, argv)) return 0;
  apply_runtime_options(cli);

  ClassifierConfig config;
  config.resolution = cli.integer("resolution");
  config.channels = cli.integers("channels");
  config.feature_dim = cli.integer("feature-dim");
  ClassifierTrainOptions options;
  options.epochs = cli.integer("epochs");
  options.batch_size = cli.integer("batch");
  options.learning_rate = cli.real("lr");
  options.seed = static_cast<uint64_t>(cli.integer("seed"));
  if (options.epochs <= 0)
    throw UsageError(str_cat("--epochs: expected > 0, got ", options.epochs));
  if (options.batch_size <= 0) {
    throw UsageError(str_cat("--batch: expected > 0, got ", options.batch_size));
  }
  if (!(options.learning_rate > 0)) {
    throw UsageError(str_cat("--lr: expected > 0, got ", options.learning_rate));
  }

  const ImageDataset train = load_fashion_mnist(cli.text("data"), "train", config.resolution);
  const ImageDataset test = load_fashion_mnist(cli.text("data"), "test", config.resolution);
  torch::manual_seed(options.seed);
  Classifier classifier(config);
  log_info("classifier ", config.to_json().dump(), " on ", train.size(), " images ",
           train.images.sizes().slice(1));
  const ClassifierTrainResult result = train_classifier(classifier, train, test, options);
  const double train_accuracy = classifier_accuracy(classifier, train.images, train.labels);

  const nlohmann::json metadata = {{"command", command_text(argc, argv)},
                                   {"dataset", "fashion-mnist"},
                                   {"resolution", config.resolution},
                                   {"test_accuracy", result.test_accuracy},
                                   {"train_accuracy", train_accuracy},
                                   {"epochs", options.epochs},
                                   {"batch", options.batch_size},
                                   {"lr", options.learning_rate},
                                   {"iterations", result.iterations},
                                   {"seconds", result.seconds},
                                   {"seed", options.seed},
                                   {"threads", cli.integer("threads")}};
  const std::string output = cli.text("output");
  const auto folder = std::filesystem::path(output).parent_path();
  if (!folder.empty()) std::filesystem::create_directories(folder);
  save_classifier(output, classifier, metadata);
  log_info("test accuracy ", result.test_accuracy, " (train ", train_accuracy, ") after ",
           result.seconds, " s; saved ", output);
  return 0;
}

}  // namespace disback::cli
