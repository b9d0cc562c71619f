#include "common/run_dir.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>

#include "common/error.h"

namespace fs = std::filesystem;

namespace disback {
namespace {

int next_run_number(const fs::path& root) {
  int next = 0;
  const std::regex numbered(R"(^(\d{5})-.*)");
  for (const auto& entry : fs::directory_iterator(root)) {
    std::smatch match;
    const std::string name = entry.path().filename().string();
    if (std::regex_match(name, match, numbered)) next = std::max(next, std::stoi(match[1]) + 1);
  }
  return next;
}

}  // namespace

RunDir RunDir::create(const std::string& root, const std::string& name) {
  std::error_code error;
  fs::create_directories(root, error);
  DISBACK_CHECK(!error, "cannot create run root '", root, "': ", error.message());
  char number[16];
  std::snprintf(number, sizeof(number), "%05d", next_run_number(root));
  const fs::path path = fs::path(root) / (std::string(number) + "-" + name);
  fs::create_directories(path, error);
  DISBACK_CHECK(!error, "cannot create run folder '", path.string(), "': ", error.message());
  return RunDir(path.string());
}

RunDir RunDir::open(const std::string& path) {
  DISBACK_CHECK(fs::is_directory(path), "run folder '", path, "' does not exist");
  return RunDir(path);
}

std::string RunDir::file(const std::string& name) const {
  return (fs::path(path_) / name).string();
}

void RunDir::save_options(const nlohmann::json& options) const {
  write_text_atomically(file("options.json"), options.dump(2) + "\n");
}

void RunDir::append_metrics(const nlohmann::json& record) const {
  std::ofstream out(file("metrics.jsonl"), std::ios::app);
  DISBACK_CHECK(out.good(), "cannot append to '", file("metrics.jsonl"), "'");
  out << record.dump() << "\n";
}

void write_text_atomically(const std::string& path, const std::string& text) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    DISBACK_CHECK(out.good(), "cannot write '", temporary, "'");
    out << text;
    DISBACK_CHECK(out.good(), "write to '", temporary, "' failed");
  }
  std::error_code error;
  fs::rename(temporary, path, error);
  DISBACK_CHECK(!error, "cannot move '", temporary, "' to '", path, "': ", error.message());
}

}  // namespace disback
