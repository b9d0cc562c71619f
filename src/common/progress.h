// Fixed-field status line for long loops: iteration, metrics, seconds per
// iteration and the estimated time left, written through the log sink.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

namespace disback {

class ProgressMeter {
 public:
  /// `total` iterations; a line is printed at most every `interval_s` seconds
  /// (and always for the last iteration).
  ProgressMeter(std::string label, int64_t total, double interval_s = 5.0);

  /// Reports that `done` iterations are complete, with the latest metrics.
  void update(int64_t done, const std::map<std::string, double>& metrics = {});

  double seconds_elapsed() const;
  double seconds_per_iteration() const;

 private:
  std::string label_;
  int64_t total_;
  int64_t done_ = 0;
  double interval_s_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_print_;
};

/// "1h02m", "4m05s", "12.3s".
std::string format_duration(double seconds);

/// "6.25 MB", "812 kB", "96 B".
std::string format_bytes(double bytes);

}  // namespace disback
