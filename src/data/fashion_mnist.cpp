#include "data/fashion_mnist.h"

#include <filesystem>

#include "common/error.h"
#include "data/idx.h"

namespace disback {

torch::Tensor resize_area(const torch::Tensor& images, int64_t resolution) {
  if (resolution <= 0 || resolution == images.size(-1)) return images;
  return torch::adaptive_avg_pool2d(images, {resolution, resolution});
}

torch::Tensor one_hot_labels(const torch::Tensor& labels, int64_t num_classes) {
  return torch::one_hot(labels.to(torch::kInt64), num_classes).to(torch::kFloat32);
}

ImageDataset load_fashion_mnist(const std::string& directory, const std::string& split,
                                int64_t resolution) {
  DISBACK_CHECK(split == "train" || split == "test", "Fashion-MNIST split must be 'train' or ",
                "'test', got '", split, "'");
  DISBACK_CHECK(std::filesystem::is_directory(directory), "Fashion-MNIST folder '", directory,
                "' does not exist; install it with 'apt-get install dataset-fashion-mnist' or ",
                "pass --data DIR");
  const std::string prefix = directory + "/" + (split == "train" ? "train" : "t10k");
  const std::string images_path = prefix + "-images-idx3-ubyte.gz";
  const std::string labels_path = prefix + "-labels-idx1-ubyte.gz";
  for (const auto& path : {images_path, labels_path}) {
    DISBACK_CHECK(std::filesystem::exists(path), "Fashion-MNIST file '", path,
                  "' is missing; reinstall it with 'apt-get install --reinstall ",
                  "dataset-fashion-mnist'");
  }
  const torch::Tensor raw_images = read_idx(images_path);
  const torch::Tensor raw_labels = read_idx(labels_path);
  DISBACK_CHECK(raw_images.dim() == 3, "'", images_path, "' should hold [N, H, W] images, got ",
                raw_images.sizes());
  DISBACK_CHECK(raw_labels.dim() == 1 && raw_labels.size(0) == raw_images.size(0), "'", labels_path,
                "' has ", raw_labels.sizes(), " labels for ", raw_images.size(0), " images");

  ImageDataset dataset;
  dataset.images = resize_area(raw_images.unsqueeze(1).to(torch::kFloat32) / 127.5 - 1, resolution);
  dataset.labels = raw_labels.to(torch::kInt64);
  dataset.num_classes = 10;
  return dataset;
}

}  // namespace disback
