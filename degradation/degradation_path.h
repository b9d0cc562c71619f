// A degradation path file: the teacher s_0 and the checkpoints s_1 .. s_N of
// the auxiliary denoiser as it was fine-tuned towards the initial generator.
//
// HDF5 layout (readable with h5py):
//   attr format "disback-path-1", attr config (architecture JSON),
//   attr metadata (JSON: teacher file, sigma_init, N, K, steps, losses)
//   attr checkpoint_storage "float16-delta" or "exact" (absent: "exact")
//   teacher/<key>          s_0, float32
//   checkpoints/<k>/<key>  s_k for k = 1..N (k zero-padded to 4 digits), as
//     float16-delta: s_k - s_0 rounded to float16 (s_k = s_0 + stored). A
//                    fine-tuning step moves weights far less than their size,
//                    so the rounding error, at most |s_k - s_0| * 2^-11 per
//                    weight, is orders below the weights; half the bytes.
//     exact:         the bitwise XOR of s_k's float32 bits with s_0's
//                    (s_k = s_0 ^ stored); lossless, but Adam changes most
//                    mantissa bits, so gzip saves only 10-20 %.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "io/hdf5_file.h"
#include "nn/denoiser.h"

namespace disback {

/// Writes a path file checkpoint by checkpoint. The file appears under its
/// final name only when finish() succeeds; an earlier file is left intact
/// until then.
class PathWriter {
 public:
  /// `storage`: "float16-delta" or "exact" (see above).
  PathWriter(const std::string& path, const Denoiser& teacher,
             const std::string& storage = "float16-delta");
  ~PathWriter();
  /// Appends s_k (k = 1, 2, ... in order). Returns the largest absolute
  /// difference between a stored weight and the given one (0 if exact).
  double add_checkpoint(const Denoiser& checkpoint);
  /// Writes the metadata and moves the file into place.
  void finish(const nlohmann::json& metadata);
  int64_t num_checkpoints() const { return count_; }

 private:
  std::string path_, temporary_, storage_;
  std::unique_ptr<Hdf5File> file_;
  std::unique_ptr<Denoiser> teacher_;
  int64_t count_ = 0;
};

/// Read access to a path file. Checkpoints are read on demand, so a long
/// path of large networks never needs to fit in memory at once.
class PathReader {
 public:
  explicit PathReader(const std::string& path);

  const std::string& path() const { return file_->path(); }
  const nlohmann::json& config() const { return config_; }
  const nlohmann::json& metadata() const { return metadata_; }
  /// N: the number of checkpoints after the teacher.
  int64_t num_checkpoints() const { return num_checkpoints_; }
  /// "float16-delta" or "exact".
  const std::string& storage() const { return storage_; }

  /// Loads s_k (0 = the teacher, N = closest to the initial generator) into
  /// `target`, which must have the path's architecture.
  void load_into(int64_t k, Denoiser& target) const;
  /// Builds a fresh denoiser holding s_k.
  DenoiserPtr load(int64_t k) const;

 private:
  std::unique_ptr<Hdf5File> file_;
  nlohmann::json config_, metadata_;
  std::string storage_;
  int64_t num_checkpoints_ = 0;
};

/// The checkpoint storage names PathWriter accepts.
bool is_path_storage(const std::string& storage);

/// True when `file` is an HDF5 file written by PathWriter.
bool is_path_file(const std::string& file);

/// The bytes teacher + `num_checkpoints` networks of `parameter_count`
/// weights take as plain float32: what a path file's size is measured against.
double float32_path_bytes(int64_t num_checkpoints, int64_t parameter_count);

/// The group name of checkpoint k ("checkpoints/0003").
std::string checkpoint_group(int64_t k);

}  // namespace disback
