#include "io/hdf5_file.h"

#include <hdf5.h>

#include <algorithm>
#include <filesystem>

#include "common/error.h"

namespace disback {
namespace {

void close_any(hid_t id) {
  switch (H5Iget_type(id)) {
    case H5I_FILE:
      H5Fclose(id);
      break;
    case H5I_GROUP:
      H5Gclose(id);
      break;
    case H5I_DATASET:
      H5Dclose(id);
      break;
    case H5I_DATASPACE:
      H5Sclose(id);
      break;
    case H5I_DATATYPE:
      H5Tclose(id);
      break;
    case H5I_ATTR:
      H5Aclose(id);
      break;
    case H5I_GENPROP_LST:
      H5Pclose(id);
      break;
    default:
      break;
  }
}

// RAII for any HDF5 identifier; dispatches on the identifier's kind.
struct Id {
  hid_t value;
  explicit Id(hid_t v) : value(v) {}
  ~Id() {
    if (value >= 0) close_any(value);
  }
  Id(const Id&) = delete;
  Id& operator=(const Id&) = delete;
  operator hid_t() const { return value; }
};

void silence_hdf5_errors() {
  // HDF5 prints its own error stack by default; our errors say it better.
  static const bool silenced = [] {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)silenced;
}

// IEEE binary16 laid out as numpy's float16, which h5py reads as such;
// HDF5 1.10 predefines no half-precision type.
hid_t half_type() {
  static const hid_t type = [] {
    const hid_t half = H5Tcopy(H5T_IEEE_F32LE);
    H5Tset_fields(half, 15, 10, 5, 0, 10);
    H5Tset_size(half, 2);
    H5Tset_ebias(half, 15);
    H5Tlock(half);
    return half;
  }();
  return type;
}

hid_t native_type(torch::ScalarType type) {
  switch (type) {
    case torch::kFloat16:
      return half_type();
    case torch::kFloat32:
      return H5T_NATIVE_FLOAT;
    case torch::kFloat64:
      return H5T_NATIVE_DOUBLE;
    case torch::kInt64:
      return H5T_NATIVE_INT64;
    case torch::kInt32:
      return H5T_NATIVE_INT32;
    case torch::kUInt8:
      return H5T_NATIVE_UINT8;
    default:
      return -1;
  }
}

torch::ScalarType scalar_type_of(hid_t stored, const std::string& where) {
  const H5T_class_t type_class = H5Tget_class(stored);
  const size_t size = H5Tget_size(stored);
  if (type_class == H5T_FLOAT) {
    if (size == 2) return torch::kFloat16;
    return size == 8 ? torch::kFloat64 : torch::kFloat32;
  }
  if (type_class == H5T_INTEGER) {
    const bool is_signed = H5Tget_sign(stored) == H5T_SGN_2;
    if (size == 1 && !is_signed) return torch::kUInt8;
    if (size <= 4 && is_signed) return torch::kInt32;
    return torch::kInt64;
  }
  if (type_class == H5T_ENUM && size == 1) return torch::kUInt8;  // h5py's bool
  throw Error(
      str_cat(where, ": unsupported HDF5 data type (class ", type_class, ", size ", size, ")"));
}

std::vector<std::string> split_path(const std::string& name) {
  std::vector<std::string> parts;
  std::string part;
  for (char c : name) {
    if (c == '/') {
      if (!part.empty()) parts.push_back(part);
      part.clear();
    } else {
      part += c;
    }
  }
  if (!part.empty()) parts.push_back(part);
  return parts;
}

herr_t collect_child(hid_t, const char* name, const H5L_info_t*, void* data) {
  static_cast<std::vector<std::string>*>(data)->push_back(name);
  return 0;
}

}  // namespace

Hdf5File::Hdf5File(std::string path, Mode mode) : path_(std::move(path)) {
  silence_hdf5_errors();
  if (mode == Mode::kCreate) {
    file_ = H5Fcreate(path_.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    DISBACK_CHECK(file_ >= 0, "cannot create HDF5 file '", path_, "'");
    return;
  }
  DISBACK_CHECK(std::filesystem::exists(path_), "file '", path_, "' does not exist");
  DISBACK_CHECK(H5Fis_hdf5(path_.c_str()) > 0, "file '", path_,
                "' is not a readable HDF5 file (corrupt or another format)");
  const unsigned flags = mode == Mode::kRead ? H5F_ACC_RDONLY : H5F_ACC_RDWR;
  file_ = H5Fopen(path_.c_str(), flags, H5P_DEFAULT);
  // A file whose signature survives but whose end was cut off (an
  // interrupted copy) fails here.
  DISBACK_CHECK(file_ >= 0, "cannot open HDF5 file '", path_, "' (truncated or corrupt?)");
}

Hdf5File::~Hdf5File() {
  if (file_ >= 0) H5Fclose(file_);
}

std::string Hdf5File::where(const std::string& name) const {
  return str_cat("'", path_, "' dataset '", name, "'");
}

bool Hdf5File::has(const std::string& name) const {
  // H5Lexists fails on a missing intermediate group, so walk the path.
  std::string prefix;
  for (const auto& part : split_path(name)) {
    prefix += "/" + part;
    if (H5Lexists(file_, prefix.c_str(), H5P_DEFAULT) <= 0) return false;
  }
  return true;
}

int64_t Hdf5File::open_object(const std::string& object) const {
  DISBACK_CHECK(object == "/" || has(object), "'", path_, "' has no object '", object, "'");
  const hid_t id = H5Oopen(file_, object.c_str(), H5P_DEFAULT);
  DISBACK_CHECK(id >= 0, "cannot open '", object, "' in '", path_, "'");
  return id;
}

std::vector<std::string> Hdf5File::children(const std::string& group) const {
  Id id(open_object(group));
  std::vector<std::string> names;
  H5Literate(id, H5_INDEX_NAME, H5_ITER_INC, nullptr, collect_child, &names);
  return names;
}

std::vector<std::string> Hdf5File::datasets_below(const std::string& group) const {
  std::vector<std::string> found;
  for (const auto& child : children(group)) {
    const std::string full = (group == "/" ? "" : group) + "/" + child;
    H5O_info_t info;
    H5Oget_info_by_name2(file_, full.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT);
    if (info.type == H5O_TYPE_DATASET) {
      found.push_back(child);
    } else if (info.type == H5O_TYPE_GROUP) {
      for (const auto& below : datasets_below(full)) found.push_back(child + "/" + below);
    }
  }
  std::sort(found.begin(), found.end());
  return found;
}

void Hdf5File::create_group(const std::string& name) {
  std::string prefix;
  for (const auto& part : split_path(name)) {
    prefix += "/" + part;
    if (H5Lexists(file_, prefix.c_str(), H5P_DEFAULT) > 0) continue;
    Id group(H5Gcreate2(file_, prefix.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    DISBACK_CHECK(group >= 0, "cannot create group '", prefix, "' in '", path_, "'");
  }
}

void Hdf5File::write(const std::string& name, const torch::Tensor& tensor, bool compress) {
  torch::Tensor data = tensor.detach().to(torch::kCPU);
  if (data.scalar_type() == torch::kBool) data = data.to(torch::kUInt8);
  const hid_t type = native_type(data.scalar_type());
  DISBACK_CHECK(type >= 0, where(name), ": cannot store tensors of type ", data.scalar_type());
  data = data.contiguous();

  const auto parts = split_path(name);
  DISBACK_CHECK(!parts.empty(), "empty dataset name for '", path_, "'");
  std::string parent;
  for (size_t i = 0; i + 1 < parts.size(); ++i) parent += "/" + parts[i];
  if (!parent.empty()) create_group(parent);
  if (has(name)) H5Ldelete(file_, name.c_str(), H5P_DEFAULT);

  std::vector<hsize_t> dims(data.sizes().begin(), data.sizes().end());
  Id space(data.dim() == 0 ? H5Screate(H5S_SCALAR)
                           : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr));
  Id properties(H5Pcreate(H5P_DATASET_CREATE));
  // Chunked storage costs a few kilobytes of index per dataset: for small
  // tensors that is more than compression saves, so they stay contiguous.
  constexpr int64_t kSmallestCompressed = 4096;
  if (compress && data.dim() > 0 && data.numel() >= kSmallestCompressed) {
    H5Pset_chunk(properties, static_cast<int>(dims.size()), dims.data());
    H5Pset_shuffle(properties);
    H5Pset_deflate(properties, 4);
  }
  Id dataset(H5Dcreate2(file_, name.c_str(), type, space, H5P_DEFAULT, properties, H5P_DEFAULT));
  DISBACK_CHECK(dataset >= 0, where(name), ": cannot create dataset");
  DISBACK_CHECK(H5Dwrite(dataset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data_ptr()) >= 0,
                where(name), ": write failed");
}

std::vector<int64_t> Hdf5File::shape(const std::string& name) const {
  DISBACK_CHECK(has(name), "'", path_, "' has no dataset '", name, "'");
  Id dataset(H5Dopen2(file_, name.c_str(), H5P_DEFAULT));
  DISBACK_CHECK(dataset >= 0, where(name), ": not a dataset");
  Id space(H5Dget_space(dataset));
  const int rank = H5Sget_simple_extent_ndims(space);
  std::vector<hsize_t> dims(std::max(rank, 0));
  H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  return std::vector<int64_t>(dims.begin(), dims.end());
}

torch::Tensor Hdf5File::read(const std::string& name) const {
  const auto sizes = shape(name);
  Id dataset(H5Dopen2(file_, name.c_str(), H5P_DEFAULT));
  Id stored(H5Dget_type(dataset));
  const torch::ScalarType type = scalar_type_of(stored, where(name));
  torch::Tensor data = torch::empty(sizes, torch::TensorOptions().dtype(type));
  DISBACK_CHECK(
      H5Dread(dataset, native_type(type), H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data_ptr()) >= 0,
      where(name), ": read failed (corrupt file?)");
  return data;
}

namespace {

void replace_attribute(hid_t object, const std::string& key) {
  if (H5Aexists(object, key.c_str()) > 0) H5Adelete(object, key.c_str());
}

void write_scalar_attribute(hid_t object, const std::string& key, hid_t type, const void* value) {
  replace_attribute(object, key);
  Id space(H5Screate(H5S_SCALAR));
  Id attribute(H5Acreate2(object, key.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT));
  DISBACK_CHECK(attribute >= 0, "cannot create attribute '", key, "'");
  DISBACK_CHECK(H5Awrite(attribute, type, value) >= 0, "cannot write attribute '", key, "'");
}

}  // namespace

void Hdf5File::set_attr(const std::string& object, const std::string& key,
                        const std::string& value) {
  Id id(open_object(object));
  Id type(H5Tcopy(H5T_C_S1));
  H5Tset_size(type, H5T_VARIABLE);
  H5Tset_cset(type, H5T_CSET_UTF8);
  const char* text = value.c_str();
  write_scalar_attribute(id, key, type, &text);
}

void Hdf5File::set_attr(const std::string& object, const std::string& key, const char* value) {
  set_attr(object, key, std::string(value));
}

void Hdf5File::set_attr(const std::string& object, const std::string& key, double value) {
  Id id(open_object(object));
  write_scalar_attribute(id, key, H5T_NATIVE_DOUBLE, &value);
}

void Hdf5File::set_attr(const std::string& object, const std::string& key, int64_t value) {
  Id id(open_object(object));
  write_scalar_attribute(id, key, H5T_NATIVE_INT64, &value);
}

bool Hdf5File::has_attr(const std::string& object, const std::string& key) const {
  if (object != "/" && !has(object)) return false;
  Id id(open_object(object));
  return H5Aexists(id, key.c_str()) > 0;
}

std::string Hdf5File::attr_string(const std::string& object, const std::string& key) const {
  DISBACK_CHECK(has_attr(object, key), "'", path_, "' has no attribute '", key, "' on '", object,
                "'");
  Id id(open_object(object));
  Id attribute(H5Aopen(id, key.c_str(), H5P_DEFAULT));
  Id stored(H5Aget_type(attribute));
  DISBACK_CHECK(H5Tget_class(stored) == H5T_STRING, "'", path_, "' attribute '", key,
                "' is not text");
  if (H5Tis_variable_str(stored) > 0) {
    Id memory(H5Tcopy(H5T_C_S1));
    H5Tset_size(memory, H5T_VARIABLE);
    H5Tset_cset(memory, H5Tget_cset(stored));
    char* text = nullptr;
    DISBACK_CHECK(H5Aread(attribute, memory, &text) >= 0, "cannot read attribute '", key, "'");
    std::string value = text ? text : "";
    Id space(H5Aget_space(attribute));
    H5Dvlen_reclaim(memory, space, H5P_DEFAULT, &text);
    return value;
  }
  std::string value(H5Tget_size(stored), '\0');
  DISBACK_CHECK(H5Aread(attribute, stored, value.data()) >= 0, "cannot read attribute '", key, "'");
  return value.substr(0, value.find('\0'));
}

double Hdf5File::attr_double(const std::string& object, const std::string& key) const {
  DISBACK_CHECK(has_attr(object, key), "'", path_, "' has no attribute '", key, "' on '", object,
                "'");
  Id id(open_object(object));
  Id attribute(H5Aopen(id, key.c_str(), H5P_DEFAULT));
  double value = 0;
  DISBACK_CHECK(H5Aread(attribute, H5T_NATIVE_DOUBLE, &value) >= 0, "cannot read attribute '", key,
                "' of '", path_, "'");
  return value;
}

int64_t Hdf5File::attr_int(const std::string& object, const std::string& key) const {
  DISBACK_CHECK(has_attr(object, key), "'", path_, "' has no attribute '", key, "' on '", object,
                "'");
  Id id(open_object(object));
  Id attribute(H5Aopen(id, key.c_str(), H5P_DEFAULT));
  int64_t value = 0;
  DISBACK_CHECK(H5Aread(attribute, H5T_NATIVE_INT64, &value) >= 0, "cannot read attribute '", key,
                "' of '", path_, "'");
  return value;
}

void write_hdf5_atomically(const std::string& path, const std::function<void(Hdf5File&)>& fill) {
  const std::string temporary = path + ".tmp";
  try {
    Hdf5File file(temporary, Hdf5File::Mode::kCreate);
    fill(file);
  } catch (...) {
    std::filesystem::remove(temporary);
    throw;
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  DISBACK_CHECK(!error, "cannot move '", temporary, "' to '", path, "': ", error.message());
}

}  // namespace disback
