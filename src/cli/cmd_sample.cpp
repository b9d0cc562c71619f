// disback sample: draw samples from a teacher (multi-step samplers) or a
// one-step generator, as a PNG grid and/or an HDF5 array.
#include <iostream>

#include "cli/args.h"
#include "cli/commands.h"
#include "common/log.h"
#include "io/image_grid.h"
#include "nn/model_file.h"
#include "samplers/generate.h"
#include "samplers/sampler.h"

namespace disback::cli {
namespace {

std::string sampler_list() {
  std::string list;
  for (const auto& name : sampler_names()) list += (list.empty() ? "" : ", ") + name;
  return list;
}

// Generator files from the distillation stage carry their sigma_init in the
// metadata; --sigma-init overrides it.
double resolve_sigma_init(const CommandLine& cli, const std::string& model_path) {
  if (cli.given("sigma-init")) return cli.real("sigma-init");
  const nlohmann::json metadata = read_model_metadata(model_path);
  if (metadata.contains("sigma_init") && metadata["sigma_init"].is_number()) {
    return metadata["sigma_init"].get<double>();
  }
  const double fallback = SamplerOptions().sigma_init;
  log_info("onestep: '", model_path, "' has no sigma_init in its metadata; using ", fallback);
  return fallback;
}

void require(bool ok, const std::string& flag, const std::string& expected, double value) {
  if (!ok) throw UsageError(str_cat("--", flag, ": expected ", expected, ", got ", value));
}

SamplerOptions sampler_options(const CommandLine& cli, const std::string& model_path) {
  SamplerOptions options;
  options.with_num_steps(cli.integer("steps"))
      .with_sigma_min(cli.real("sigma-min"))
      .with_sigma_max(cli.real("sigma-max"))
      .with_rho(cli.real("rho"))
      .with_S_churn(cli.real("churn"))
      .with_S_min(cli.real("S-min"))
      .with_S_max(cli.real("S-max"))
      .with_S_noise(cli.real("S-noise"))
      .with_eta(cli.real("eta"));
  if (cli.text("sampler") == "onestep") {
    options.with_sigma_init(resolve_sigma_init(cli, model_path));
  }
  require(options.num_steps >= 1, "steps", ">= 1", double(options.num_steps));
  require(options.sigma_min > 0, "sigma-min", "> 0", options.sigma_min);
  require(options.sigma_max > options.sigma_min, "sigma-max", "> --sigma-min", options.sigma_max);
  require(options.rho > 0, "rho", "> 0", options.rho);
  require(options.S_churn >= 0, "churn", ">= 0", options.S_churn);
  require(options.S_noise >= 0, "S-noise", ">= 0", options.S_noise);
  require(options.eta >= 0, "eta", ">= 0", options.eta);
  require(options.sigma_init > 0, "sigma-init", "> 0", options.sigma_init);
  return options;
}

GenerateOptions generate_options(const CommandLine& cli) {
  GenerateOptions options;
  options.count = cli.integer("count");
  options.batch_size = cli.integer("batch");
  options.seed = static_cast<uint64_t>(cli.integer("seed"));
  options.class_label = cli.integer("class");
  options.progress = !cli.enabled("quiet");
  require(options.count > 0, "count", "> 0", double(options.count));
  require(options.batch_size > 0, "batch", "> 0", double(options.batch_size));
  require(options.class_label >= -1, "class", ">= -1", double(options.class_label));
  try {
    options.device = torch::Device(cli.text("device"));
  } catch (const c10::Error&) {
    throw UsageError(
        str_cat("--device: expected cpu or cuda[:index], got '", cli.text("device"), "'"));
  }
  return options;
}

void write_outputs(const CommandLine& cli, const GeneratedSamples& samples, const Sampler& sampler,
                   uint64_t seed) {
  const std::string grid = cli.text("grid"), h5 = cli.text("h5");
  if (!grid.empty()) {
    const int64_t shown = std::min<int64_t>(cli.integer("grid-count"), samples.images.size(0));
    save_image_grid(grid, samples.images.slice(0, 0, shown));
    log_info("grid of ", shown, " samples written to ", grid);
  }
  if (!h5.empty()) {
    save_samples_h5(h5, samples, sampler, seed);
    log_info(samples.images.size(0), " samples written to ", h5);
  }
  if (grid.empty() && h5.empty()) log_warning("no --grid or --h5 given: the samples are not saved");
}

}  // namespace

int sample_command(int argc, char** argv) {
  CommandLine cli("sample", "Draw samples from a teacher or a one-step generator.");
  cli.required("model", "Model file (.h5): a teacher denoiser or a generator")
      .option("sampler", "One of: " + sampler_list(), "heun")
      .option("steps", "Number of steps N (heun and edm-stochastic: 2N-1 evaluations)", "18")
      .option("count", "Number of samples", "64")
      .option("batch", "Samples per network batch", "256")
      .option("class", "Class of every sample for a conditional model (-1: random)", "-1")
      .option("grid", "Write a PNG grid of the first --grid-count samples here", "")
      .option("grid-count", "Samples shown in the grid", "64")
      .option("h5", "Write all samples as HDF5 (dataset 'images', float32 in [-1, 1])", "")
      .option("sigma-min", "Smallest noise level of the schedule", "0.002")
      .option("sigma-max", "Largest noise level of the schedule", "80")
      .option("rho", "Schedule exponent (EDM Eq. 5)", "7")
      .option("churn", "edm-stochastic: S_churn", "40")
      .option("S-min", "edm-stochastic: lowest noise level that gets churn", "0.05")
      .option("S-max", "edm-stochastic: highest noise level that gets churn", "50")
      .option("S-noise", "edm-stochastic: noise inflation", "1.003")
      .option("eta", "ddim: 0 deterministic, 1 ancestral", "0")
      .option("sigma-init", "onestep: generator noise level (default: model metadata, else 2.5)",
              "")
      .option("device", "cpu or cuda[:i]", "cpu");
  add_runtime_options(cli);
  if (!cli.parse(argc, argv)) return 0;
  apply_runtime_options(cli);

  const std::string model_path = cli.text("model");
  const std::string name = cli.text("sampler");
  const SamplerOptions sampler_settings = sampler_options(cli, model_path);
  SamplerPtr sampler;
  try {
    sampler = make_sampler(name, sampler_settings);
  } catch (const Error& error) {
    throw UsageError(str_cat("--sampler: ", error.what()));
  }
  const GenerateOptions options = generate_options(cli);
  const DenoiserPtr denoiser = load_denoiser(model_path);
  denoiser->to(options.device);

  const GeneratedSamples samples = generate_samples(*sampler, denoiser, options);
  std::cout << "sampler " << sampler->name() << "  steps " << sampler->num_steps() << "  NFE "
            << samples.nfe << "  samples " << samples.images.size(0) << "  time " << samples.seconds
            << " s  " << double(samples.images.size(0)) / samples.seconds << " samples/s"
            << std::endl;
  write_outputs(cli, samples, *sampler, options.seed);
  return 0;
}

}  // namespace disback::cli
