// disback bench-network: size and CPU forward time of a denoiser network.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/json_flags.h"
#include "cli/network_summary.h"
#include "nn/model_file.h"
#include "nn/presets.h"

namespace disback::cli {
namespace {

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// A model file brings its weights; a preset or JSON file gets random ones,
// which time the same.
DenoiserPtr build_denoiser(const std::string& arch) {
  if (ends_with(arch, ".h5")) return load_denoiser(arch);
  auto denoiser = std::make_shared<Denoiser>(network_preset(arch));
  denoiser->eval();
  return denoiser;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t mid = values.size() / 2;
  return values.size() % 2 ? values[mid] : 0.5 * (values[mid - 1] + values[mid]);
}

}  // namespace

int bench_network_command(int argc, char** argv) {
  CommandLine cli("bench-network",
                  "Print a network's parameter count and its median forward time (no gradients).");
  cli.option("arch", "Preset (ddpmpp64, adm64, fmnist16, toy2d), JSON config or model file (.h5)",
             "ddpmpp64")
      .option("batch", "Samples per forward pass", "1")
      .option("repeats", "Timed forward passes (after one untimed warm-up)", "3");
  add_runtime_options(cli);
  if (!cli.parse(argc, argv)) return 0;
  apply_runtime_options(cli);
  const int64_t batch = cli.integer("batch"), repeats = cli.integer("repeats");
  if (batch <= 0) throw UsageError(str_cat("--batch: expected > 0, got ", batch));
  if (repeats <= 0) throw UsageError(str_cat("--repeats: expected > 0, got ", repeats));

  torch::manual_seed(static_cast<uint64_t>(cli.integer("seed")));
  const DenoiserPtr denoiser = build_denoiser(cli.text("arch"));
  std::vector<int64_t> shape = denoiser->sample_shape();
  shape.insert(shape.begin(), batch);
  const torch::Tensor x = torch::randn(shape);
  const torch::Tensor sigma = torch::ones({batch});
  torch::Tensor labels;
  if (denoiser->label_dim() > 0) {
    labels = torch::one_hot(torch::randint(denoiser->label_dim(), {batch}), denoiser->label_dim())
                 .to(torch::kFloat32);
  }

  torch::NoGradGuard no_grad;
  denoiser->forward(x, sigma, labels);  // warm-up: allocator and thread pool
  std::vector<double> times_ms;
  for (int64_t i = 0; i < repeats; ++i) {
    const auto start = std::chrono::steady_clock::now();
    denoiser->forward(x, sigma, labels);
    const std::chrono::duration<double, std::milli> elapsed =
        std::chrono::steady_clock::now() - start;
    times_ms.push_back(elapsed.count());
  }
  std::cout << "arch:        " << cli.text("arch") << " ("
            << denoiser->config().value("model_type", "?") << ", sample "
            << c10::IntArrayRef(denoiser->sample_shape()) << ")\n"
            << "parameters:  " << denoiser->parameter_count() << "\n"
            << "  by part:   " << describe_parameter_counts(*denoiser) << "\n";
  std::printf(
      "forward:     median %.1f ms over %lld runs at batch %lld (min %.1f, max %.1f) on %d "
      "threads\n",
      median(times_ms), static_cast<long long>(repeats), static_cast<long long>(batch),
      *std::min_element(times_ms.begin(), times_ms.end()),
      *std::max_element(times_ms.begin(), times_ms.end()), torch::get_num_threads());
  return 0;
}

}  // namespace disback::cli
