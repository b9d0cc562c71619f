// A numbered run folder (00000-name, 00001-name, ...) holding the resolved
// options, the metrics as JSON lines, sample grids and checkpoints.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace disback {

class RunDir {
 public:
  /// Creates `root/NNNNN-name` with the next free number.
  static RunDir create(const std::string& root, const std::string& name);
  /// Uses an existing folder as it is (for resuming).
  static RunDir open(const std::string& path);

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const;

  /// Writes options.json (the options the run actually used).
  void save_options(const nlohmann::json& options) const;
  /// Appends one line to metrics.jsonl.
  void append_metrics(const nlohmann::json& record) const;

 private:
  explicit RunDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

/// Writes `text` to `path` through a temporary file and a rename, so that an
/// interrupted write never leaves a half-written file in place.
void write_text_atomically(const std::string& path, const std::string& text);

}  // namespace disback
