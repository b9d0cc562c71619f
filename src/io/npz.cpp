#include "io/npz.h"

#include <zip.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

#include "common/error.h"

namespace disback {
namespace {

constexpr char kNpyMagic[] = "\x93NUMPY";
constexpr size_t kNpyMagicSize = 6;
// numpy pads the header so that the data starts on a 64-byte boundary.
constexpr size_t kNpyAlignment = 64;

struct NpyType {
  const char* descr;
  torch::Dtype dtype;
};

// The descriptors numpy writes on a little-endian machine ('|' where the
// byte order does not matter).
const std::vector<NpyType>& npy_types() {
  static const std::vector<NpyType> types = {
      {"<f4", torch::kFloat32}, {"<f8", torch::kFloat64}, {"<f2", torch::kFloat16},
      {"<i8", torch::kInt64},   {"<i4", torch::kInt32},   {"<i2", torch::kInt16},
      {"|i1", torch::kInt8},    {"|u1", torch::kUInt8},   {"|b1", torch::kBool},
  };
  return types;
}

std::string descr_of(torch::Dtype dtype) {
  for (const auto& type : npy_types()) {
    if (type.dtype == dtype) return type.descr;
  }
  throw Error(str_cat("cannot store a tensor of type ", dtype, " in .npy"));
}

torch::Dtype dtype_of(std::string descr, const std::string& what) {
  // '=' means native order, which is little-endian on every machine this builds for.
  if (!descr.empty() && descr[0] == '=') descr[0] = '<';
  for (const auto& type : npy_types()) {
    if (descr == type.descr || (descr.substr(1) == std::string(type.descr).substr(1) &&
                                (descr[0] == '<' || descr[0] == '|'))) {
      return type.dtype;
    }
  }
  throw Error(str_cat(what, ": unsupported .npy element type '", descr,
                      "' (supported: little-endian float16/32/64, int8/16/32/64, uint8, bool)"));
}

// The text after `'key':` in a header dict, with leading spaces removed.
std::string value_after(const std::string& header, const std::string& key,
                        const std::string& what) {
  const std::string quoted = "'" + key + "':";
  const size_t at = header.find(quoted);
  DISBACK_CHECK(at != std::string::npos, what, ": .npy header has no '", key, "': ", header);
  const size_t start = header.find_first_not_of(' ', at + quoted.size());
  return start == std::string::npos ? "" : header.substr(start);
}

std::vector<int64_t> parse_shape(const std::string& text, const std::string& what) {
  DISBACK_CHECK(!text.empty() && text[0] == '(', what, ": malformed .npy shape '", text, "'");
  const size_t end = text.find(')');
  DISBACK_CHECK(end != std::string::npos, what, ": malformed .npy shape '", text, "'");
  std::vector<int64_t> shape;
  std::stringstream items(text.substr(1, end - 1));
  std::string item;
  while (std::getline(items, item, ',')) {
    if (item.find_first_not_of(' ') == std::string::npos) continue;
    try {
      shape.push_back(std::stoll(item));
    } catch (const std::exception&) {
      throw Error(str_cat(what, ": malformed .npy shape '", text.substr(0, end + 1), "'"));
    }
  }
  return shape;
}

std::string shape_text(c10::IntArrayRef sizes) {
  std::string text = "(";
  for (const int64_t size : sizes) text += std::to_string(size) + ", ";
  if (sizes.size() > 1) text.resize(text.size() - 2);
  if (sizes.size() == 1) text.pop_back();  // "(5,)", as Python writes a 1-tuple
  return text + ")";
}

}  // namespace

std::vector<uint8_t> encode_npy(const torch::Tensor& tensor) {
  const torch::Tensor data = tensor.detach().to(torch::kCPU).contiguous();
  std::string header =
      str_cat("{'descr': '", descr_of(data.scalar_type()),
              "', 'fortran_order': False, 'shape': ", shape_text(data.sizes()), ", }");
  const size_t preamble = kNpyMagicSize + 4;  // magic, version, 2-byte header length
  const size_t padded =
      (preamble + header.size() + 1 + kNpyAlignment - 1) / kNpyAlignment * kNpyAlignment;
  header.append(padded - preamble - header.size() - 1, ' ');
  header.push_back('\n');

  std::vector<uint8_t> bytes(kNpyMagic, kNpyMagic + kNpyMagicSize);
  bytes.push_back(1);  // version 1.0
  bytes.push_back(0);
  bytes.push_back(static_cast<uint8_t>(header.size() & 0xff));
  bytes.push_back(static_cast<uint8_t>(header.size() >> 8));
  bytes.insert(bytes.end(), header.begin(), header.end());
  const auto* raw = static_cast<const uint8_t*>(data.data_ptr());
  bytes.insert(bytes.end(), raw, raw + data.nbytes());
  return bytes;
}

torch::Tensor decode_npy(const std::vector<uint8_t>& bytes, const std::string& what) {
  DISBACK_CHECK(
      bytes.size() >= kNpyMagicSize + 4 && std::memcmp(bytes.data(), kNpyMagic, kNpyMagicSize) == 0,
      what, ": not a .npy array (no \\x93NUMPY magic)");
  const int major = bytes[kNpyMagicSize];
  DISBACK_CHECK(major >= 1 && major <= 3, what, ": unsupported .npy version ", major);
  // Version 1 stores the header length in 2 bytes, versions 2 and 3 in 4.
  const size_t length_bytes = major == 1 ? 2 : 4;
  const size_t length_at = kNpyMagicSize + 2;
  DISBACK_CHECK(bytes.size() >= length_at + length_bytes, what, ": truncated .npy header");
  size_t header_size = 0;
  for (size_t i = 0; i < length_bytes; ++i) header_size |= size_t{bytes[length_at + i]} << (8 * i);
  const size_t data_at = length_at + length_bytes + header_size;
  DISBACK_CHECK(bytes.size() >= data_at, what, ": truncated .npy header");
  const std::string header(bytes.begin() + length_at + length_bytes, bytes.begin() + data_at);

  std::string descr = value_after(header, "descr", what);
  DISBACK_CHECK(descr.size() > 2 && descr[0] == '\'', what, ": malformed descr in ", header);
  descr = descr.substr(1, descr.find('\'', 1) - 1);
  const torch::Dtype dtype = dtype_of(descr, what);
  const bool fortran = value_after(header, "fortran_order", what).rfind("True", 0) == 0;
  std::vector<int64_t> shape = parse_shape(value_after(header, "shape", what), what);

  // Fortran order is C order of the reversed shape, transposed back.
  if (fortran) std::reverse(shape.begin(), shape.end());
  const auto options = torch::TensorOptions().dtype(dtype);
  torch::Tensor tensor = torch::empty(shape, options);
  DISBACK_CHECK(bytes.size() - data_at == tensor.nbytes(), what, ": .npy data holds ",
                bytes.size() - data_at, " bytes, shape ", c10::IntArrayRef(shape), " of ", descr,
                " needs ", tensor.nbytes());
  if (tensor.nbytes() > 0) std::memcpy(tensor.data_ptr(), bytes.data() + data_at, tensor.nbytes());
  if (fortran && tensor.dim() > 1) {
    std::vector<int64_t> order(tensor.dim());
    for (int64_t i = 0; i < tensor.dim(); ++i) order[i] = tensor.dim() - 1 - i;
    tensor = tensor.permute(order).contiguous();
  }
  return tensor;
}

namespace {

std::string zip_error_text(int code) {
  zip_error_t error;
  zip_error_init_with_code(&error, code);
  std::string text = zip_error_strerror(&error);
  zip_error_fini(&error);
  return text;
}

std::vector<uint8_t> read_member(zip_t* archive, zip_uint64_t index, const std::string& what) {
  zip_stat_t stat;
  zip_stat_init(&stat);
  DISBACK_CHECK(zip_stat_index(archive, index, 0, &stat) == 0 && (stat.valid & ZIP_STAT_SIZE), what,
                ": cannot read the member's size: ", zip_strerror(archive));
  std::unique_ptr<zip_file_t, int (*)(zip_file_t*)> member(zip_fopen_index(archive, index, 0),
                                                           zip_fclose);
  DISBACK_CHECK(member != nullptr, what, ": cannot open the member: ", zip_strerror(archive));
  std::vector<uint8_t> bytes(stat.size);
  const zip_int64_t got = zip_fread(member.get(), bytes.data(), bytes.size());
  DISBACK_CHECK(got == static_cast<zip_int64_t>(bytes.size()), what, ": read ", got, " of ",
                bytes.size(), " bytes: ", zip_file_strerror(member.get()));
  return bytes;
}

}  // namespace

std::map<std::string, torch::Tensor> read_npz(const std::string& path) {
  int code = 0;
  std::unique_ptr<zip_t, void (*)(zip_t*)> archive(zip_open(path.c_str(), ZIP_RDONLY, &code),
                                                   zip_discard);
  DISBACK_CHECK(archive != nullptr, "cannot open '", path, "' as .npz: ", zip_error_text(code));
  std::map<std::string, torch::Tensor> arrays;
  const zip_int64_t count = zip_get_num_entries(archive.get(), 0);
  for (zip_int64_t i = 0; i < count; ++i) {
    std::string name = zip_get_name(archive.get(), i, 0);
    const std::string what = str_cat("'", path, "' member '", name, "'");
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".npy") == 0) {
      name.resize(name.size() - 4);
    }
    arrays[name] = decode_npy(read_member(archive.get(), i, what), what);
  }
  return arrays;
}

void write_npz(const std::string& path, const std::map<std::string, torch::Tensor>& arrays,
               bool compress) {
  DISBACK_CHECK(!arrays.empty(), "'", path, "': an .npz file needs at least one array");
  const std::string temporary = path + ".tmp";
  int code = 0;
  zip_t* archive = zip_open(temporary.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &code);
  DISBACK_CHECK(archive != nullptr, "cannot create '", temporary, "': ", zip_error_text(code));

  // libzip reads the buffers only in zip_close, so they must live until then.
  std::vector<std::vector<uint8_t>> members;
  members.reserve(arrays.size());
  auto fail = [&](const std::string& message) {
    zip_discard(archive);
    std::remove(temporary.c_str());
    throw Error(str_cat("cannot write '", path, "': ", message));
  };
  for (const auto& [name, tensor] : arrays) {
    members.push_back(encode_npy(tensor));
    zip_source_t* source =
        zip_source_buffer(archive, members.back().data(), members.back().size(), 0);
    if (source == nullptr) fail(zip_strerror(archive));
    const zip_int64_t index =
        zip_file_add(archive, (name + ".npy").c_str(), source, ZIP_FL_ENC_UTF_8);
    if (index < 0) {
      zip_source_free(source);
      fail(zip_strerror(archive));
    }
    if (zip_set_file_compression(archive, index, compress ? ZIP_CM_DEFLATE : ZIP_CM_STORE, 0) !=
        0) {
      fail(zip_strerror(archive));
    }
  }
  if (zip_close(archive) != 0) fail(zip_strerror(archive));
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  DISBACK_CHECK(!error, "cannot move '", temporary, "' to '", path, "': ", error.message());
}

}  // namespace disback
