#include "data/idx.h"

#include <zlib.h>

#include <filesystem>
#include <vector>

#include "common/error.h"

namespace disback {
namespace {

std::vector<uint8_t> read_gzip_or_plain(const std::string& path) {
  DISBACK_CHECK(std::filesystem::exists(path), "file '", path, "' does not exist");
  // gzread passes plain files through unchanged, so one reader serves both.
  gzFile file = gzopen(path.c_str(), "rb");
  DISBACK_CHECK(file != nullptr, "cannot open '", path, "'");
  std::vector<uint8_t> bytes;
  std::vector<uint8_t> chunk(1 << 20);
  int got = 0;
  while ((got = gzread(file, chunk.data(), static_cast<unsigned>(chunk.size()))) > 0) {
    bytes.insert(bytes.end(), chunk.begin(), chunk.begin() + got);
  }
  int error_code = Z_OK;
  const std::string message = got < 0 ? gzerror(file, &error_code) : "";
  gzclose(file);
  DISBACK_CHECK(got == 0, "'", path, "' is corrupt: ", message);
  return bytes;
}

uint32_t big_endian(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

}  // namespace

torch::Tensor read_idx(const std::string& path) {
  const std::vector<uint8_t> bytes = read_gzip_or_plain(path);
  DISBACK_CHECK(bytes.size() >= 4, "'", path, "' is too short to be an IDX file (", bytes.size(),
                " bytes)");
  // Magic: two zero bytes, the element type (0x08 = unsigned byte), the rank.
  DISBACK_CHECK(bytes[0] == 0 && bytes[1] == 0, "'", path,
                "' is not an IDX file (bad magic number)");
  DISBACK_CHECK(bytes[2] == 0x08, "'", path, "' holds IDX element type 0x", std::hex, int(bytes[2]),
                "; only unsigned bytes (0x08) are supported");
  const size_t rank = bytes[3];
  DISBACK_CHECK(rank >= 1 && bytes.size() >= 4 + 4 * rank, "'", path, "' has a truncated header");
  std::vector<int64_t> shape;
  size_t count = 1;
  for (size_t i = 0; i < rank; ++i) {
    shape.push_back(big_endian(&bytes[4 + 4 * i]));
    count *= static_cast<size_t>(shape.back());
  }
  const size_t offset = 4 + 4 * rank;
  DISBACK_CHECK(bytes.size() - offset == count, "'", path, "' is truncated or padded: header says ",
                count, " bytes of data, file has ", bytes.size() - offset);
  torch::Tensor data = torch::empty(shape, torch::kUInt8);
  std::memcpy(data.data_ptr<uint8_t>(), bytes.data() + offset, count);
  return data;
}

void write_idx_gz(const std::string& path, const torch::Tensor& tensor) {
  const torch::Tensor data = tensor.to(torch::kUInt8).contiguous();
  std::vector<uint8_t> header = {0, 0, 0x08, static_cast<uint8_t>(data.dim())};
  for (int64_t size : data.sizes()) {
    for (int shift = 24; shift >= 0; shift -= 8) header.push_back((size >> shift) & 0xff);
  }
  gzFile file = gzopen(path.c_str(), "wb");
  DISBACK_CHECK(file != nullptr, "cannot write '", path, "'");
  const bool ok = gzwrite(file, header.data(), static_cast<unsigned>(header.size())) ==
                      static_cast<int>(header.size()) &&
                  gzwrite(file, data.data_ptr<uint8_t>(), static_cast<unsigned>(data.numel())) ==
                      static_cast<int>(data.numel());
  gzclose(file);
  DISBACK_CHECK(ok, "write to '", path, "' failed");
}

}  // namespace disback
