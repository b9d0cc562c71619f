// NumPy's array files: .npy (one array) and .npz (a zip archive of .npy
// members, as numpy.savez and numpy.savez_compressed write them). Used for
// FID reference statistics exchanged with the common Python FID tools.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace disback {

/// Encodes a tensor as .npy bytes: format version 1.0, little-endian, C order.
/// Supported types: float32, float64, int32, int64, uint8, bool.
std::vector<uint8_t> encode_npy(const torch::Tensor& tensor);

/// Decodes .npy bytes (versions 1.0, 2.0 and 3.0; C or Fortran order;
/// little-endian float16/32/64, int8/16/32/64, uint8, bool) into a CPU tensor.
/// `what` names the source in error messages.
torch::Tensor decode_npy(const std::vector<uint8_t>& bytes, const std::string& what);

/// Reads every member "name.npy" of an .npz file, stored or deflated, keyed
/// by "name". Errors name the path and the member.
std::map<std::string, torch::Tensor> read_npz(const std::string& path);

/// Writes arrays as an .npz file that numpy.load reads; `compress` deflates
/// the members as numpy.savez_compressed does. The write goes through a
/// temporary file and a rename.
void write_npz(const std::string& path, const std::map<std::string, torch::Tensor>& arrays,
               bool compress = false);

}  // namespace disback
