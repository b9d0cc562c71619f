// Model files: one HDF5 file per denoiser, readable with h5py.
//   attr  format   "disback-model-1"
//   attr  config   JSON architecture (rebuilds the network from the file alone)
//   attr  metadata JSON (what produced it: command, iterations, ...)
//   params/<name>  every parameter and buffer under the EDM reference's
//                  state-dict key (e.g. model.enc.16x16_conv.weight)
#pragma once

#include <string>
#include <vector>

#include "io/hdf5_file.h"
#include "nn/denoiser.h"

namespace disback {

/// What a by-name load found that did not match.
struct LoadReport {
  std::vector<std::string> missing;     // in the module, not in the file
  std::vector<std::string> unexpected;  // in the file, not in the module
  std::vector<std::string> mismatched;  // "name: file [a, b] vs module [c, d]"
  bool ok() const { return missing.empty() && unexpected.empty() && mismatched.empty(); }
  std::string describe() const;
};

/// Copies tensors from `group` of an open file into `module`'s parameters
/// and buffers by name. With `strict`, any mismatch throws with the report.
LoadReport load_state(torch::nn::Module& module, const Hdf5File& file,
                      const std::string& group = "params", bool strict = true);
/// Writes every parameter and buffer of `module` under `group`.
void save_state(const torch::nn::Module& module, Hdf5File& file,
                const std::string& group = "params", bool compress = false);

/// Saves a denoiser (atomically) with its config and metadata.
void save_denoiser(const std::string& path, const Denoiser& denoiser,
                   const nlohmann::json& metadata = nlohmann::json::object());
/// Rebuilds the denoiser from the file's config and loads its weights.
DenoiserPtr load_denoiser(const std::string& path);
/// The config and metadata of a model file, without building the network.
nlohmann::json read_model_config(const std::string& path);
nlohmann::json read_model_metadata(const std::string& path);

}  // namespace disback
