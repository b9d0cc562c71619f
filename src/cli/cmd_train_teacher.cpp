// disback train-teacher: EDM training of a teacher denoiser.
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/json_flags.h"
#include "common/log.h"
#include "common/run_dir.h"
#include "data/fashion_mnist.h"
#include "data/toy.h"
#include "nn/model_file.h"
#include "nn/presets.h"
#include "training/teacher_trainer.h"

namespace disback::cli {

int train_teacher_command(int argc, char** argv) {
  CommandLine cli("train-teacher", "Train an EDM-preconditioned teacher denoiser.");
  cli.option("dataset", "fashion-mnist or toy (8-mode 2-D Gaussian mixture)", "fashion-mnist")
      .option("data", "Fashion-MNIST folder (gzip'd IDX files)", kDefaultFashionMnistDir)
      .option("resolution", "Image resolution (area downsampling from 28)", "16")
      .option("arch", "Network preset (fmnist16, toy2d, ddpmpp64, adm64) or JSON file", "fmnist16")
      .option("iterations", "Training iterations", "8000")
      .option("batch", "Batch size", "64")
      .option("lr", "Adam learning rate", "1e-3")
      .option("ema-half-life", "EMA half-life in samples (0: no averaging)", "20000")
      .option("grad-clip", "Maximum gradient norm (0: off)", "1.0")
      .option("checkpoint-every", "Iterations between snapshots", "1000")
      .option("out", "Folder that receives the numbered run folder", "runs")
      .option("output", "Also copy the final teacher to this path", "")
      .flag("conditional", "Train with class labels (needs label_dim > 0)");
  add_runtime_options(cli);
  if (!cli.parse(argc, argv)) return 0;
  apply_runtime_options(cli);

  TeacherTrainOptions options;
  options.iterations = cli.integer("iterations");
  options.batch_size = cli.integer("batch");
  options.learning_rate = cli.real("lr");
  options.ema_half_life_samples = cli.real("ema-half-life");
  options.grad_clip = cli.real("grad-clip");
  options.checkpoint_every = cli.integer("checkpoint-every");
  options.conditional = cli.enabled("conditional");
  options.seed = static_cast<uint64_t>(cli.integer("seed"));
  if (options.iterations <= 0)
    throw UsageError(str_cat("--iterations: expected > 0, got ", options.iterations));
  if (options.batch_size <= 0)
    throw UsageError(str_cat("--batch: expected > 0, got ", options.batch_size));
  if (!(options.learning_rate > 0))
    throw UsageError(str_cat("--lr: expected > 0, got ", options.learning_rate));

  const std::string dataset = cli.text("dataset");
  torch::Tensor images, labels;
  nlohmann::json config = network_flag(cli, "arch");
  if (dataset == "fashion-mnist") {
    const ImageDataset data =
        load_fashion_mnist(cli.text("data"), "train", cli.integer("resolution"));
    images = data.images;
    labels = data.labels;
    config["img_resolution"] = images.size(-1);
  } else if (dataset == "toy") {
    torch::manual_seed(options.seed);
    images = GaussianMixture2d{}.sample(50000);
    labels = torch::zeros({images.size(0)}, torch::kInt64);
    if (!cli.given("arch")) config = network_preset("toy2d");
  } else {
    throw UsageError(str_cat("--dataset: expected fashion-mnist or toy, got '", dataset, "'"));
  }

  torch::manual_seed(options.seed);
  auto denoiser = std::make_shared<Denoiser>(config);
  log_info("teacher: ", config.value("model_type", ""), " with ", denoiser->parameter_count(),
           " parameters on ", images.size(0), " samples of shape ",
           c10::IntArrayRef(denoiser->sample_shape()));
  RunDir run = RunDir::create(cli.text("out"), "teacher");
  run.save_options({{"command", "train-teacher"},
                    {"cli", cli.resolved()},
                    {"network", config},
                    {"training", options.to_json()}});
  DenoiserPtr teacher = train_teacher(denoiser, images, labels, options, run);
  if (!cli.text("output").empty()) {
    save_denoiser(cli.text("output"), *teacher, read_model_metadata(run.file("teacher.h5")));
    log_info("teacher copied to ", cli.text("output"));
  }
  return 0;
}

}  // namespace disback::cli
