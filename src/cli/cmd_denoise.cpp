// disback denoise: evaluates a model file's denoiser D(x; sigma, labels) on
// inputs stored in an HDF5 file, e.g. to compare with another implementation.
#include <algorithm>

#include "cli/args.h"
#include "cli/commands.h"
#include "common/log.h"
#include "nn/model_file.h"

namespace disback::cli {
namespace {

struct DenoiseInputs {
  torch::Tensor x, sigma, class_labels;
};

DenoiseInputs read_inputs(const std::string& path, int64_t label_dim) {
  Hdf5File file(path, Hdf5File::Mode::kRead);
  for (const char* name : {"x", "sigma"}) {
    DISBACK_CHECK(file.has(name), "--input: '", path, "' has no dataset '", name, "'");
  }
  DenoiseInputs inputs{
      file.read("x").to(torch::kFloat32), file.read("sigma").to(torch::kFloat32), {}};
  DISBACK_CHECK(inputs.x.dim() > 0 && inputs.x.size(0) > 0, "--input: '", path,
                "' dataset 'x' holds no samples (shape ", inputs.x.sizes(), ")");
  const int64_t batch = inputs.x.size(0);
  inputs.sigma = inputs.sigma.reshape({-1});
  if (inputs.sigma.numel() == 1) inputs.sigma = inputs.sigma.expand({batch}).contiguous();
  DISBACK_CHECK(inputs.sigma.numel() == batch, "--input: '", path, "' dataset 'sigma' has ",
                inputs.sigma.numel(), " values for ", batch, " samples in 'x'");
  if (file.has("class_labels")) {
    inputs.class_labels = file.read("class_labels").to(torch::kFloat32);
    DISBACK_CHECK(inputs.class_labels.dim() == 2 && inputs.class_labels.size(0) == batch &&
                      inputs.class_labels.size(1) == label_dim,
                  "--input: '", path, "' dataset 'class_labels' has shape ",
                  inputs.class_labels.sizes(), ", expected [", batch, ", ", label_dim, "]");
  }
  return inputs;
}

}  // namespace

int denoise_command(int argc, char** argv) {
  CommandLine cli("denoise",
                  "Evaluate a denoiser D(x; sigma, labels) on HDF5 inputs: datasets 'x' [N, ...], "
                  "'sigma' [N] or scalar, optional 'class_labels' [N, label_dim]; writes 'D'.");
  cli.required("model", "Model file (.h5)")
      .required("input", "HDF5 file with x, sigma and optionally class_labels")
      .required("output", "HDF5 file to write, with dataset D")
      .option("batch", "Samples per forward pass", "64");
  add_runtime_options(cli);
  if (!cli.parse(argc, argv)) return 0;
  apply_runtime_options(cli);
  const int64_t batch = cli.integer("batch");
  if (batch <= 0) throw UsageError(str_cat("--batch: expected > 0, got ", batch));

  const DenoiserPtr denoiser = load_denoiser(cli.text("model"));
  const DenoiseInputs inputs = read_inputs(cli.text("input"), denoiser->label_dim());
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> outputs;
  const int64_t total = inputs.x.size(0);
  for (int64_t start = 0; start < total; start += batch) {
    const int64_t length = std::min(batch, total - start);
    const torch::Tensor labels = inputs.class_labels.defined()
                                     ? inputs.class_labels.narrow(0, start, length)
                                     : torch::Tensor();
    outputs.push_back(denoiser->forward(inputs.x.narrow(0, start, length),
                                        inputs.sigma.narrow(0, start, length), labels));
  }
  const torch::Tensor D = torch::cat(outputs);
  write_hdf5_atomically(cli.text("output"), [&](Hdf5File& file) { file.write("D", D); });
  log_info("denoised ", total, " samples with ", cli.text("model"), " -> ", cli.text("output"));
  return 0;
}

}  // namespace disback::cli
