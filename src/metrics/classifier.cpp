#include "metrics/classifier.h"

#include <filesystem>

#include "common/error.h"
#include "common/log.h"
#include "common/progress.h"
#include "io/hdf5_file.h"
#include "nn/model_file.h"

namespace disback {
namespace {

constexpr const char* kClassifierFormat = "disback-classifier-1";

torch::nn::Conv2d conv3x3(int64_t in, int64_t out) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).padding(1));
}

nlohmann::json parse_json(const Hdf5File& file, const std::string& key) {
  try {
    return nlohmann::json::parse(file.attr_string("/", key));
  } catch (const nlohmann::json::exception& error) {
    throw Error(
        str_cat("'", file.path(), "' attribute '", key, "' is not valid JSON: ", error.what()));
  }
}

}  // namespace

nlohmann::json ClassifierConfig::to_json() const {
  return {{"model_type", "Classifier"},    {"resolution", resolution},
          {"img_channels", img_channels},  {"num_classes", num_classes},
          {"channels", channels},          {"feature_dim", feature_dim},
          {"feature_scale", feature_scale}};
}

ClassifierConfig ClassifierConfig::from_json(const nlohmann::json& config) {
  ClassifierConfig result;
  result.resolution = config.value("resolution", result.resolution);
  result.img_channels = config.value("img_channels", result.img_channels);
  result.num_classes = config.value("num_classes", result.num_classes);
  result.channels = config.value("channels", result.channels);
  result.feature_dim = config.value("feature_dim", result.feature_dim);
  result.feature_scale = config.value("feature_scale", result.feature_scale);
  return result;
}

Classifier::Classifier(ClassifierConfig config) : config_(std::move(config)) {
  const int64_t stages = static_cast<int64_t>(config_.channels.size());
  DISBACK_CHECK(stages >= 1 && config_.resolution % (int64_t{1} << stages) == 0,
                "classifier resolution ", config_.resolution, " must be divisible by 2^", stages,
                " (one halving per stage)");
  int64_t in = config_.img_channels;
  for (int64_t s = 0; s < stages; ++s) {
    const int64_t out = config_.channels[s];
    torch::nn::Sequential stage({{"conv0", conv3x3(in, out)},
                                 {"relu0", torch::nn::ReLU()},
                                 {"conv1", conv3x3(out, out)},
                                 {"relu1", torch::nn::ReLU()},
                                 {"pool", torch::nn::MaxPool2d(2)}});
    stages_.push_back(register_module("stage" + std::to_string(s), stage));
    in = out;
  }
  const int64_t side = config_.resolution >> stages;
  features_ = register_module("features", torch::nn::Linear(in * side * side, config_.feature_dim));
  head_ = register_module("head", torch::nn::Linear(config_.feature_dim, config_.num_classes));
}

torch::Tensor Classifier::penultimate(const torch::Tensor& images) {
  DISBACK_CHECK(images.dim() == 4 && images.size(1) == config_.img_channels &&
                    images.size(2) == config_.resolution && images.size(3) == config_.resolution,
                "classifier expects images [N, ", config_.img_channels, ", ", config_.resolution,
                ", ", config_.resolution, "], got ", images.sizes());
  torch::Tensor x = images;
  for (auto& stage : stages_) x = stage->forward(x);
  return torch::relu(features_->forward(x.flatten(1)));
}

torch::Tensor Classifier::features(const torch::Tensor& images) {
  return penultimate(images) * config_.feature_scale;
}

torch::Tensor Classifier::forward(const torch::Tensor& images) {
  return head_->forward(penultimate(images));
}

namespace {

// 1 / sqrt(mean square of the unscaled features over `images`).
double unit_mean_square_scale(Classifier& classifier, const torch::Tensor& images) {
  torch::NoGradGuard no_grad;
  classifier.eval();
  const double previous = classifier.config().feature_scale;
  classifier.set_feature_scale(1.0);
  double sum = 0;
  for (int64_t start = 0; start < images.size(0); start += 500) {
    sum += classifier.features(images.slice(0, start, start + 500))
               .to(torch::kFloat64)
               .square()
               .sum()
               .item<double>();
  }
  classifier.set_feature_scale(previous);
  const double mean_square =
      sum / static_cast<double>(images.size(0) * classifier.config().feature_dim);
  DISBACK_CHECK(mean_square > 0, "classifier features are all zero; cannot scale them");
  return 1 / std::sqrt(mean_square);
}

}  // namespace

double classifier_accuracy(Classifier& classifier, const torch::Tensor& images,
                           const torch::Tensor& labels, int64_t batch_size) {
  torch::NoGradGuard no_grad;
  const bool was_training = classifier.is_training();
  classifier.eval();
  int64_t correct = 0;
  for (int64_t start = 0; start < images.size(0); start += batch_size) {
    const torch::Tensor logits = classifier.forward(images.slice(0, start, start + batch_size));
    correct +=
        (logits.argmax(1) == labels.slice(0, start, start + batch_size)).sum().item<int64_t>();
  }
  classifier.train(was_training);
  return static_cast<double>(correct) / static_cast<double>(images.size(0));
}

ClassifierTrainResult train_classifier(Classifier& classifier, const ImageDataset& train,
                                       const ImageDataset& test,
                                       const ClassifierTrainOptions& options) {
  DISBACK_CHECK(options.epochs > 0 && options.batch_size > 0,
                "classifier training needs epochs and batch size > 0, got ", options.epochs,
                " and ", options.batch_size);
  torch::manual_seed(options.seed);
  const int64_t count = train.size();
  const int64_t per_epoch = count / options.batch_size;
  const int64_t total = per_epoch * options.epochs;
  torch::optim::Adam optimizer(classifier.parameters(),
                               torch::optim::AdamOptions(options.learning_rate));
  ProgressMeter progress("classifier", total);
  ClassifierTrainResult result;
  classifier.train();
  for (int64_t epoch = 0; epoch < options.epochs; ++epoch) {
    const torch::Tensor order = torch::randperm(count, torch::kInt64);
    for (int64_t b = 0; b < per_epoch; ++b, ++result.iterations) {
      // Cosine decay: large steps early, fine convergence at the end.
      const double lr = 0.5 * options.learning_rate *
                        (1 + std::cos(M_PI * static_cast<double>(result.iterations) / total));
      static_cast<torch::optim::AdamOptions&>(optimizer.param_groups()[0].options()).lr(lr);
      const torch::Tensor rows =
          order.slice(0, b * options.batch_size, (b + 1) * options.batch_size);
      const torch::Tensor loss = torch::nn::functional::cross_entropy(
          classifier.forward(train.images.index_select(0, rows)),
          train.labels.index_select(0, rows));
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
      progress.update(result.iterations + 1, {{"loss", loss.item<double>()}, {"lr", lr}});
    }
    result.test_accuracy = classifier_accuracy(classifier, test.images, test.labels);
    log_info("classifier epoch ", epoch + 1, "/", options.epochs, ": test accuracy ",
             result.test_accuracy);
  }
  classifier.set_feature_scale(unit_mean_square_scale(classifier, train.images));
  log_info("classifier feature scale ", classifier.config().feature_scale);
  result.seconds = progress.seconds_elapsed();
  return result;
}

void save_classifier(const std::string& path, const Classifier& classifier,
                     const nlohmann::json& metadata) {
  write_hdf5_atomically(path, [&](Hdf5File& file) {
    file.set_attr("/", "format", kClassifierFormat);
    file.set_attr("/", "config", classifier.config().to_json().dump());
    file.set_attr("/", "metadata", metadata.dump());
    save_state(classifier, file);
  });
}

ClassifierPtr load_classifier(const std::string& path) {
  Hdf5File file(path, Hdf5File::Mode::kRead);
  DISBACK_CHECK(
      file.has_attr("/", "format") && file.attr_string("/", "format") == kClassifierFormat, "'",
      path, "' is not a classifier model file (attribute format should be '", kClassifierFormat,
      "'); train one with 'disback train-classifier'");
  auto classifier =
      std::make_shared<Classifier>(ClassifierConfig::from_json(parse_json(file, "config")));
  load_state(*classifier, file);
  classifier->eval();
  return classifier;
}

torch::Tensor prepare_images(const torch::Tensor& images, int64_t channels, int64_t resolution) {
  DISBACK_CHECK(images.dim() == 4, "expected images [N, C, H, W], got ", images.sizes());
  torch::Tensor x = images.to(torch::kFloat32);
  if (x.size(1) != channels) {
    DISBACK_CHECK((x.size(1) == 3 && channels == 1) || (x.size(1) == 1 && channels == 3),
                  "cannot convert images with ", x.size(1), " channels to ", channels);
    x = channels == 1 ? x.mean(1, /*keepdim=*/true) : x.repeat({1, 3, 1, 1});
  }
  if (x.size(2) == resolution && x.size(3) == resolution) return x;
  // Shrinking averages areas, as the dataset loader downsamples.
  if (x.size(2) >= resolution && x.size(3) >= resolution) {
    return torch::adaptive_avg_pool2d(x, {resolution, resolution});
  }
  namespace F = torch::nn::functional;
  return F::interpolate(x, F::InterpolateFuncOptions()
                               .size(std::vector<int64_t>{resolution, resolution})
                               .mode(torch::kBilinear)
                               .align_corners(false));
}

ClassifierDetector::ClassifierDetector(ClassifierPtr classifier, std::string name,
                                       torch::Device device)
    : classifier_(std::move(classifier)), name_(std::move(name)), device_(device) {
  classifier_->to(device_);
  classifier_->eval();
}

torch::Tensor ClassifierDetector::features(const torch::Tensor& images) {
  torch::NoGradGuard no_grad;
  const ClassifierConfig& config = classifier_->config();
  const torch::Tensor x =
      prepare_images(images.to(device_), config.img_channels, config.resolution);
  return classifier_->features(x).to(torch::kCPU, torch::kFloat32);
}

FeatureExtractorPtr load_classifier_detector(const std::string& path, torch::Device device) {
  DISBACK_CHECK(std::filesystem::exists(path), "classifier detector '", path,
                "' does not exist; train it with 'disback train-classifier --output ", path, "'");
  return std::make_shared<ClassifierDetector>(
      load_classifier(path), "fmnist-classifier:" + std::filesystem::path(path).filename().string(),
      device);
}

}  // namespace disback
