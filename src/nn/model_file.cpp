#include "nn/model_file.h"

#include <set>

#include "common/error.h"

namespace disback {
namespace {

constexpr const char* kModelFormat = "disback-model-1";

nlohmann::json parse_json_attr(const Hdf5File& file, const std::string& key) {
  const std::string text = file.attr_string("/", key);
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& error) {
    throw Error(
        str_cat("'", file.path(), "' attribute '", key, "' is not valid JSON: ", error.what()));
  }
}

}  // namespace

std::string LoadReport::describe() const {
  std::ostringstream out;
  auto list = [&](const char* what, const std::vector<std::string>& names) {
    if (names.empty()) return;
    out << what << " (" << names.size() << "):";
    for (const auto& name : names) out << " " << name << ";";
    out << " ";
  };
  list("missing", missing);
  list("unexpected", unexpected);
  list("wrong shape", mismatched);
  return out.str();
}

LoadReport load_state(torch::nn::Module& module, const Hdf5File& file, const std::string& group,
                      bool strict) {
  LoadReport report;
  const auto stored = file.has(group) ? file.datasets_below(group) : std::vector<std::string>{};
  std::set<std::string> unused(stored.begin(), stored.end());

  torch::NoGradGuard no_grad;
  auto load_one = [&](const std::string& name, torch::Tensor& target) {
    if (!unused.count(name)) {
      report.missing.push_back(name);
      return;
    }
    unused.erase(name);
    const std::string dataset = group + "/" + name;
    const auto shape = file.shape(dataset);
    if (c10::IntArrayRef(shape) != target.sizes()) {
      report.mismatched.push_back(
          str_cat(name, ": file ", c10::IntArrayRef(shape), " vs model ", target.sizes()));
      return;
    }
    target.copy_(file.read(dataset).to(target.dtype()));
  };
  for (auto& item : module.named_parameters()) load_one(item.key(), item.value());
  for (auto& item : module.named_buffers()) load_one(item.key(), item.value());
  report.unexpected.assign(unused.begin(), unused.end());

  DISBACK_CHECK(!strict || report.ok(), "'", file.path(), "' group '", group,
                "' does not match the model: ", report.describe());
  return report;
}

void save_state(const torch::nn::Module& module, Hdf5File& file, const std::string& group,
                bool compress) {
  for (const auto& item : module.named_parameters()) {
    file.write(group + "/" + item.key(), item.value(), compress);
  }
  for (const auto& item : module.named_buffers()) {
    file.write(group + "/" + item.key(), item.value(), compress);
  }
}

void save_denoiser(const std::string& path, const Denoiser& denoiser,
                   const nlohmann::json& metadata) {
  write_hdf5_atomically(path, [&](Hdf5File& file) {
    file.set_attr("/", "format", kModelFormat);
    file.set_attr("/", "config", denoiser.config().dump());
    file.set_attr("/", "metadata", metadata.dump());
    save_state(denoiser, file);
  });
}

namespace {

// A path file shares the model file's attributes (config, metadata), so
// it is named as such rather than reported as a model missing its weights.
void require_model_file(const Hdf5File& file) {
  DISBACK_CHECK(!file.has_attr("/", "num_checkpoints"), "'", file.path(),
                "' is a degradation path, not a model file (its checkpoints load through "
                "PathReader; 'disback info' describes it)");
  DISBACK_CHECK(file.has_attr("/", "config"), "'", file.path(),
                "' is not a model file: it has no 'config' attribute");
}

}  // namespace

nlohmann::json read_model_config(const std::string& path) {
  Hdf5File file(path, Hdf5File::Mode::kRead);
  require_model_file(file);
  return parse_json_attr(file, "config");
}

nlohmann::json read_model_metadata(const std::string& path) {
  Hdf5File file(path, Hdf5File::Mode::kRead);
  if (!file.has_attr("/", "metadata")) return nlohmann::json::object();
  return parse_json_attr(file, "metadata");
}

DenoiserPtr load_denoiser(const std::string& path) {
  Hdf5File file(path, Hdf5File::Mode::kRead);
  require_model_file(file);
  nlohmann::json config = parse_json_attr(file, "config");
  DenoiserPtr denoiser;
  try {
    denoiser = std::make_shared<Denoiser>(config);
  } catch (const std::exception& error) {
    throw Error(str_cat("'", path, "': cannot build the network: ", error.what()));
  }
  load_state(*denoiser, file);
  denoiser->eval();
  return denoiser;
}

}  // namespace disback
