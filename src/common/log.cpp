#include "common/log.h"

#include <atomic>
#include <iostream>
#include <mutex>

namespace disback {
namespace {

std::mutex sink_mutex;
LogSink current_sink;
std::atomic<LogLevel> current_level{LogLevel::kInfo};

void write_to_stderr(LogLevel level, const std::string& message) {
  static const char* prefixes[] = {"debug: ", "", "warning: ", "error: "};
  std::cerr << prefixes[static_cast<int>(level)] << message << std::endl;
}

}  // namespace

void set_log_sink(LogSink sink) {
  std::lock_guard<std::mutex> lock(sink_mutex);
  current_sink = std::move(sink);
}

void set_log_level(LogLevel level) { current_level = level; }

LogLevel log_level() { return current_level; }

void log_message(LogLevel level, const std::string& message) {
  if (level < current_level) return;
  std::lock_guard<std::mutex> lock(sink_mutex);
  if (current_sink) {
    current_sink(level, message);
  } else {
    write_to_stderr(level, message);
  }
}

}  // namespace disback
