// Fashion-MNIST (Xiao et al. 2017): 60,000 training and 10,000 test images,
// 28x28 grayscale, 10 classes. Debian's dataset-fashion-mnist package puts
// the gzip'd IDX files in kDefaultFashionMnistDir.
#pragma once

#include <torch/torch.h>

#include <string>

namespace disback {

inline constexpr const char* kDefaultFashionMnistDir = "/usr/share/datasets/fashion-mnist";

/// Images [N, C, H, W] float32 in [-1, 1] and integer labels [N].
struct ImageDataset {
  torch::Tensor images;
  torch::Tensor labels;
  int64_t num_classes = 0;
  int64_t size() const { return images.size(0); }
};

/// Loads the "train" or "test" split. `resolution` < 28 downsamples by area
/// averaging (0 or 28 keeps 28x28). A missing folder or file gives an error
/// naming the path and the Debian package that provides it.
ImageDataset load_fashion_mnist(const std::string& directory, const std::string& split,
                                int64_t resolution = 0);

/// Resizes images [N, C, H, W] to `resolution` by area averaging.
torch::Tensor resize_area(const torch::Tensor& images, int64_t resolution);

/// One-hot labels [N, num_classes] as float32.
torch::Tensor one_hot_labels(const torch::Tensor& labels, int64_t num_classes);

}  // namespace disback
