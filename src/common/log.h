// Levelled logging behind one replaceable sink. The library itself only logs
// through here, so a notebook or a test can silence or capture it.
#pragma once

#include <functional>
#include <string>

#include "common/error.h"

namespace disback {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

using LogSink = std::function<void(LogLevel, const std::string&)>;

/// Replaces the sink; an empty function restores the default (stderr).
void set_log_sink(LogSink sink);
/// Messages below `level` are dropped.
void set_log_level(LogLevel level);
LogLevel log_level();
void log_message(LogLevel level, const std::string& message);

template <typename... Args>
void log_info(const Args&... args) {
  if (log_level() <= LogLevel::kInfo) log_message(LogLevel::kInfo, str_cat(args...));
}
template <typename... Args>
void log_warning(const Args&... args) {
  log_message(LogLevel::kWarning, str_cat(args...));
}
template <typename... Args>
void log_debug(const Args&... args) {
  if (log_level() <= LogLevel::kDebug) log_message(LogLevel::kDebug, str_cat(args...));
}

}  // namespace disback
