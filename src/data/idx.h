// IDX files (the MNIST family's format), plain or gzip-compressed.
#pragma once

#include <torch/torch.h>

#include <string>

namespace disback {

/// Reads an IDX file of unsigned bytes into a uint8 tensor of the stored
/// shape. Errors name the file and what was wrong (missing, truncated, bad
/// magic number, unsupported element type).
torch::Tensor read_idx(const std::string& path);

/// Writes a uint8 tensor as a gzip-compressed IDX file (for tests and tools).
void write_idx_gz(const std::string& path, const torch::Tensor& data);

}  // namespace disback
