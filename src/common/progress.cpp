#include "common/progress.h"

#include <cstdio>
#include <sstream>

#include "common/log.h"

namespace disback {

std::string format_bytes(double bytes) {
  char text[32];
  if (bytes >= 1e6) {
    std::snprintf(text, sizeof(text), "%.2f MB", bytes / 1e6);
  } else if (bytes >= 1e3) {
    std::snprintf(text, sizeof(text), "%.0f kB", bytes / 1e3);
  } else {
    std::snprintf(text, sizeof(text), "%.0f B", bytes);
  }
  return text;
}

std::string format_duration(double seconds) {
  char text[32];
  if (seconds >= 3600) {
    std::snprintf(text, sizeof(text), "%dh%02dm", static_cast<int>(seconds / 3600),
                  static_cast<int>(seconds / 60) % 60);
  } else if (seconds >= 60) {
    std::snprintf(text, sizeof(text), "%dm%02ds", static_cast<int>(seconds / 60),
                  static_cast<int>(seconds) % 60);
  } else {
    std::snprintf(text, sizeof(text), "%.1fs", seconds);
  }
  return text;
}

ProgressMeter::ProgressMeter(std::string label, int64_t total, double interval_s)
    : label_(std::move(label)),
      total_(total),
      interval_s_(interval_s),
      start_(std::chrono::steady_clock::now()),
      last_print_(start_) {}

double ProgressMeter::seconds_elapsed() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

double ProgressMeter::seconds_per_iteration() const {
  return done_ > 0 ? seconds_elapsed() / static_cast<double>(done_) : 0.0;
}

void ProgressMeter::update(int64_t done, const std::map<std::string, double>& metrics) {
  done_ = done;
  const auto now = std::chrono::steady_clock::now();
  const bool finished = done >= total_;
  if (!finished && std::chrono::duration<double>(now - last_print_).count() < interval_s_) return;
  last_print_ = now;

  std::ostringstream line;
  char counter[64];
  std::snprintf(counter, sizeof(counter), "%-12s %7lld/%-7lld", label_.c_str(),
                static_cast<long long>(done), static_cast<long long>(total_));
  line << counter;
  for (const auto& [name, value] : metrics) {
    char field[64];
    std::snprintf(field, sizeof(field), "  %s %.4g", name.c_str(), value);
    line << field;
  }
  char timing[96];
  const double per_iteration = seconds_per_iteration();
  std::snprintf(timing, sizeof(timing), "  %.3f s/it  ETA %s", per_iteration,
                format_duration(per_iteration * static_cast<double>(total_ - done)).c_str());
  line << timing;
  log_info(line.str());
}

}  // namespace disback
