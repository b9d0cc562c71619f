#include "io/image_grid.h"

#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb_image_write.h>

#include <cmath>

#include "common/error.h"

namespace disback {

torch::Tensor to_uint8(const torch::Tensor& images) {
  return (images.detach().to(torch::kCPU, torch::kFloat32) * 127.5 + 128)
      .clamp(0, 255)
      .to(torch::kUInt8);
}

void save_image_grid(const std::string& path, const torch::Tensor& images, int64_t columns) {
  DISBACK_CHECK(images.dim() == 4, "image grid '", path, "': expected [N, C, H, W], got ",
                images.sizes());
  const int64_t count = images.size(0), channels = images.size(1);
  const int64_t height = images.size(2), width = images.size(3);
  DISBACK_CHECK(count > 0, "image grid '", path, "': no images");
  DISBACK_CHECK(channels == 1 || channels == 3, "image grid '", path,
                "': expected 1 or 3 channels, got ", channels);
  if (columns <= 0) columns = static_cast<int64_t>(std::ceil(std::sqrt(double(count))));
  const int64_t rows = (count + columns - 1) / columns;

  // Tile [N, C, H, W] into [rows*H, columns*W, C], padding the last row.
  torch::Tensor pixels = to_uint8(images);
  const int64_t padding = rows * columns - count;
  if (padding > 0) {
    pixels =
        torch::cat({pixels, torch::zeros({padding, channels, height, width}, pixels.options())});
  }
  pixels = pixels.reshape({rows, columns, channels, height, width})
               .permute({0, 3, 1, 4, 2})
               .reshape({rows * height, columns * width, channels})
               .contiguous();
  const int ok =
      stbi_write_png(path.c_str(), static_cast<int>(columns * width),
                     static_cast<int>(rows * height), static_cast<int>(channels),
                     pixels.data_ptr<uint8_t>(), static_cast<int>(columns * width * channels));
  DISBACK_CHECK(ok != 0, "cannot write PNG '", path, "'");
}

}  // namespace disback
