#include "degradation/degradation_path.h"

#include <cstdio>
#include <filesystem>

#include "common/error.h"
#include "nn/model_file.h"

namespace disback {
namespace {

constexpr const char* kPathFormat = "disback-path-1";
constexpr const char* kFloat16Delta = "float16-delta";
constexpr const char* kExact = "exact";

// Float32 bits as int32, so XOR applies; the same bits reinterpret back.
torch::Tensor float_bits(const torch::Tensor& values) {
  return values.detach().to(torch::kCPU, torch::kFloat32).contiguous().view(torch::kInt32);
}

// What is stored for weights `now` against the teacher's `base`.
torch::Tensor encode(const std::string& storage, const torch::Tensor& now,
                     const torch::Tensor& base) {
  if (storage == kExact) return float_bits(now) ^ float_bits(base);
  return (now.detach().to(torch::kCPU, torch::kFloat32) - base).to(torch::kFloat16);
}

// The weights back from what encode() stored, shaped like `base`.
torch::Tensor decode(const std::string& storage, const torch::Tensor& stored,
                     const torch::Tensor& base) {
  const torch::Tensor cpu_base = base.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  if (storage == kExact) {
    return (stored ^ float_bits(cpu_base)).view(torch::kFloat32).reshape(base.sizes());
  }
  return (cpu_base + stored.to(torch::kFloat32).reshape(base.sizes()));
}

nlohmann::json parse_json_attr(const Hdf5File& file, const std::string& key) {
  DISBACK_CHECK(file.has_attr("/", key), "'", file.path(), "' has no attribute '", key, "'");
  try {
    return nlohmann::json::parse(file.attr_string("/", key));
  } catch (const nlohmann::json::exception& error) {
    throw Error(str_cat("'", file.path(), "': attribute '", key, "' is not JSON: ", error.what()));
  }
}

}  // namespace

bool is_path_storage(const std::string& storage) {
  return storage == kFloat16Delta || storage == kExact;
}

bool is_path_file(const std::string& file) {
  const Hdf5File h5(file, Hdf5File::Mode::kRead);
  return h5.has_attr("/", "format") && h5.attr_string("/", "format") == kPathFormat;
}

double float32_path_bytes(int64_t num_checkpoints, int64_t parameter_count) {
  return double(num_checkpoints + 1) * double(parameter_count) * sizeof(float);
}

std::string checkpoint_group(int64_t k) {
  char name[32];
  std::snprintf(name, sizeof(name), "checkpoints/%04lld", static_cast<long long>(k));
  return name;
}

PathWriter::PathWriter(const std::string& path, const Denoiser& teacher, const std::string& storage)
    : path_(path),
      temporary_(path + ".tmp"),
      storage_(storage),
      teacher_(std::make_unique<Denoiser>(teacher.config())) {
  DISBACK_CHECK(is_path_storage(storage), "path storage: expected ", kFloat16Delta, " or ", kExact,
                ", got '", storage, "'");
  teacher_->copy_weights_from(teacher);
  file_ = std::make_unique<Hdf5File>(temporary_, Hdf5File::Mode::kCreate);
  file_->set_attr("/", "format", kPathFormat);
  file_->set_attr("/", "checkpoint_storage", storage_);
  file_->set_attr("/", "config", teacher.config().dump());
  save_state(*teacher_, *file_, "teacher", /*compress=*/true);
}

PathWriter::~PathWriter() {
  if (file_) {  // not finished: drop the partial file, keep any earlier one
    file_.reset();
    std::error_code ignored;
    std::filesystem::remove(temporary_, ignored);
  }
}

double PathWriter::add_checkpoint(const Denoiser& checkpoint) {
  DISBACK_CHECK(file_ != nullptr, "path '", path_, "' is already finished");
  ++count_;
  const std::string group = checkpoint_group(count_);
  auto reference = teacher_->named_parameters();
  double max_error = 0;
  for (const auto& item : checkpoint.named_parameters()) {
    const auto* base = reference.find(item.key());
    DISBACK_CHECK(base != nullptr, "path checkpoint has a parameter '", item.key(),
                  "' the teacher lacks");
    const torch::Tensor stored = encode(storage_, item.value(), *base);
    file_->write(group + "/" + item.key(), stored, /*compress=*/true);
    const torch::Tensor error = decode(storage_, stored, *base) - item.value().detach().cpu();
    if (error.numel() > 0) max_error = std::max(max_error, error.abs().max().item<double>());
  }
  return max_error;
}

void PathWriter::finish(const nlohmann::json& metadata) {
  DISBACK_CHECK(file_ != nullptr, "path '", path_, "' is already finished");
  file_->set_attr("/", "metadata", metadata.dump());
  file_->set_attr("/", "num_checkpoints", count_);
  file_.reset();
  std::error_code error;
  std::filesystem::rename(temporary_, path_, error);
  if (error) {
    std::error_code ignored;
    std::filesystem::remove(temporary_, ignored);
    throw Error(str_cat("cannot write path '", path_, "': ", error.message()));
  }
}

PathReader::PathReader(const std::string& path)
    : file_(std::make_unique<Hdf5File>(path, Hdf5File::Mode::kRead)) {
  DISBACK_CHECK(file_->has_attr("/", "format") && file_->attr_string("/", "format") == kPathFormat,
                "'", path, "' is not a degradation path file (expected format '", kPathFormat,
                "')");
  config_ = parse_json_attr(*file_, "config");
  metadata_ = parse_json_attr(*file_, "metadata");
  num_checkpoints_ = file_->attr_int("/", "num_checkpoints");
  DISBACK_CHECK(num_checkpoints_ >= 1, "'", path, "': num_checkpoints is ", num_checkpoints_,
                ", expected >= 1 (corrupt path file?)");
  DISBACK_CHECK(file_->has("teacher"), "'", path, "' has no teacher (corrupt path file?)");
  for (int64_t k = 1; k <= num_checkpoints_; ++k) {
    DISBACK_CHECK(file_->has(checkpoint_group(k)), "'", path, "' lacks ", checkpoint_group(k),
                  " of its ", num_checkpoints_, " checkpoints (corrupt path file?)");
  }
  storage_ = file_->has_attr("/", "checkpoint_storage")
                 ? file_->attr_string("/", "checkpoint_storage")
                 : std::string(kExact);
  DISBACK_CHECK(is_path_storage(storage_), "'", path, "': unknown checkpoint_storage '", storage_,
                "'");
}

void PathReader::load_into(int64_t k, Denoiser& target) const {
  DISBACK_CHECK(k >= 0 && k <= num_checkpoints_, "path '", path(), "' has checkpoints 0..",
                num_checkpoints_, ", asked for ", k);
  load_state(target, *file_, "teacher");
  if (k == 0) return;
  torch::NoGradGuard no_grad;
  const std::string group = checkpoint_group(k);
  for (auto& item : target.named_parameters()) {
    const std::string name = group + "/" + item.key();
    DISBACK_CHECK(file_->has(name), "path '", path(), "' lacks '", name, "'");
    const torch::Tensor stored = file_->read(name);
    DISBACK_CHECK(stored.numel() == item.value().numel(), "path '", path(), "': '", name,
                  "' holds ", stored.numel(), " values, the network expects ",
                  item.value().numel());
    item.value().copy_(decode(storage_, stored, item.value()));
  }
}

DenoiserPtr PathReader::load(int64_t k) const {
  auto denoiser = std::make_shared<Denoiser>(config_);
  load_into(k, *denoiser);
  denoiser->eval();
  return denoiser;
}

}  // namespace disback
