// Sample grids as PNG files.
#pragma once

#include <torch/torch.h>

#include <string>

namespace disback {

/// Writes images [N, C, H, W] with values in [-1, 1] (clamped) as one PNG
/// grid of `columns` columns (0: about square). C must be 1 or 3.
void save_image_grid(const std::string& path, const torch::Tensor& images, int64_t columns = 0);

/// Converts images in [-1, 1] to uint8 [N, C, H, W] in 0..255, rounding as
/// the EDM reference does (x * 127.5 + 128, clipped).
torch::Tensor to_uint8(const torch::Tensor& images);

}  // namespace disback
