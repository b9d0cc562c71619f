// Errors raised to callers. Messages carry the offending values, the flag or
// the file, so that a user can act on them without reading the code.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace disback {

/// Every error the toolkit raises for bad input or a failed operation.
/// Python sees it as RuntimeError with the same message.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Concatenates any streamable values into one string.
template <typename... Args>
std::string str_cat(const Args&... args) {
  std::ostringstream out;
  (out << ... << args);
  return out.str();
}

}  // namespace disback

/// Throws disback::Error with the streamed message when `cond` is false.
#define DISBACK_CHECK(cond, ...)                               \
  do {                                                         \
    if (!(cond)) {                                             \
      throw ::disback::Error(::disback::str_cat(__VA_ARGS__)); \
    }                                                          \
  } while (false)
