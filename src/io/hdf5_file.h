// HDF5 files as the toolkit uses them: tensors as datasets under slash paths,
// scalars and JSON text as attributes. Everything written here reads back
// with h5py (strings are variable-length UTF-8, as h5py writes them).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace disback {

class Hdf5File {
 public:
  enum class Mode { kRead, kCreate, kReadWrite };

  /// Opens `path`. kCreate truncates. Errors name the path and say whether
  /// the file is missing or not HDF5.
  Hdf5File(std::string path, Mode mode);
  ~Hdf5File();
  Hdf5File(const Hdf5File&) = delete;
  Hdf5File& operator=(const Hdf5File&) = delete;

  const std::string& path() const { return path_; }

  /// True if a dataset or group exists at the slash path `name`.
  bool has(const std::string& name) const;
  /// Direct children (datasets and groups) of a group, in name order.
  std::vector<std::string> children(const std::string& group) const;
  /// Paths (relative to `group`) of all datasets below it, in name order.
  std::vector<std::string> datasets_below(const std::string& group) const;

  /// Writes a contiguous CPU copy of `tensor` (float16, float32, float64,
  /// int64, int32, uint8, bool as uint8); intermediate groups are created.
  /// `compress` stores it chunked with gzip level 4.
  void write(const std::string& name, const torch::Tensor& tensor, bool compress = false);
  /// Reads a dataset into a CPU tensor of its stored type.
  torch::Tensor read(const std::string& name) const;
  /// The dataset's shape without reading it.
  std::vector<int64_t> shape(const std::string& name) const;

  void create_group(const std::string& name);

  // Attributes on the object at `object` ("/" for the file).
  void set_attr(const std::string& object, const std::string& key, const std::string& value);
  void set_attr(const std::string& object, const std::string& key, const char* value);
  void set_attr(const std::string& object, const std::string& key, double value);
  void set_attr(const std::string& object, const std::string& key, int64_t value);
  bool has_attr(const std::string& object, const std::string& key) const;
  std::string attr_string(const std::string& object, const std::string& key) const;
  double attr_double(const std::string& object, const std::string& key) const;
  int64_t attr_int(const std::string& object, const std::string& key) const;

 private:
  int64_t open_object(const std::string& object) const;
  std::string where(const std::string& name) const;

  std::string path_;
  int64_t file_ = -1;
};

/// Writes an HDF5 file through a temporary name and a rename: an
/// interrupted or failed write leaves any earlier file at `path` intact.
void write_hdf5_atomically(const std::string& path, const std::function<void(Hdf5File&)>& fill);

}  // namespace disback
