// The _disback extension module: error translation, logging into Python,
// Ctrl-C handling and JSON conversion; each area binds itself in its file.
#include <cmath>
#include <exception>
#include <iostream>

#include "bindings.h"
#include "common/log.h"
#include "common/runtime.h"

namespace disback::bindings {
namespace {

// Depth of long calls on this thread (see Interruptible).
thread_local int interruptible_depth = 0;

// Thrown from C++ code when Ctrl-C arrived; Python sees KeyboardInterrupt.
struct Interrupted : std::exception {
  const char* what() const noexcept override { return "interrupted"; }
};

// With the GIL held and a Python error set: turns it into a C++ exception.
[[noreturn]] void raise_pending_error() {
  if (PyErr_ExceptionMatches(PyExc_KeyboardInterrupt)) {
    PyErr_Clear();
    throw Interrupted();
  }
  throw py::error_already_set();
}

// Logging into Python.

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

LogLevel parse_level(const py::object& level) {
  if (py::isinstance<py::str>(level)) {
    const std::string name = level.cast<std::string>();
    for (LogLevel value :
         {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarning, LogLevel::kError}) {
      if (name == level_name(value)) return value;
    }
    throw py::value_error("log level must be debug, info, warning or error, got '" + name + "'");
  }
  // Python logging's numbers: 10 debug, 20 info, 30 warning, 40 error.
  const int number = level.cast<int>();
  if (number < 20) return LogLevel::kDebug;
  if (number < 30) return LogLevel::kInfo;
  if (number < 40) return LogLevel::kWarning;
  return LogLevel::kError;
}

// Where the messages go: Python's logging, Python's sys.stderr, a callable,
// or nowhere. The Python objects are only touched with the GIL held.
struct SinkTarget {
  enum class Kind { kLogging, kStderr, kCallable, kSilent } kind;
  py::object object;  // the logger or the callable
};

struct SinkTargetDeleter {
  void operator()(SinkTarget* target) const {
    if (!Py_IsInitialized()) return;  // at exit: leak rather than touch a dead interpreter
    py::gil_scoped_acquire gil;
    delete target;
  }
};

void emit(const SinkTarget& target, LogLevel level, const std::string& message) {
  switch (target.kind) {
    case SinkTarget::Kind::kLogging:
      target.object.attr("log")(10 * (static_cast<int>(level) + 1), message);
      break;
    case SinkTarget::Kind::kStderr: {
      static const char* prefixes[] = {"debug: ", "", "warning: ", "error: "};
      py::module_::import("sys").attr("stderr").attr("write")(prefixes[static_cast<int>(level)] +
                                                              message + "\n");
      break;
    }
    case SinkTarget::Kind::kCallable:
      target.object(level_name(level), message);
      break;
    case SinkTarget::Kind::kSilent:
      break;
  }
}

LogSink python_sink(std::shared_ptr<SinkTarget> target) {
  return [target](LogLevel level, const std::string& message) {
    if (!Py_IsInitialized()) {
      std::cerr << message << std::endl;
      return;
    }
    py::gil_scoped_acquire gil;
    const bool may_throw = interruptible_depth > 0 && std::uncaught_exceptions() == 0;
    try {
      emit(*target, level, message);
    } catch (py::error_already_set& error) {
      if (may_throw && error.matches(PyExc_KeyboardInterrupt)) throw Interrupted();
      std::cerr << "disback: log sink failed (" << error.what() << "): " << message << std::endl;
    }
    // Long C++ loops report progress through here: the place to see Ctrl-C.
    if (may_throw && PyErr_CheckSignals() != 0) raise_pending_error();
  };
}

void set_sink(const py::object& sink) {
  auto target = std::shared_ptr<SinkTarget>(new SinkTarget{SinkTarget::Kind::kSilent, {}},
                                            SinkTargetDeleter{});
  if (sink.is_none()) {
    target->kind = SinkTarget::Kind::kSilent;
  } else if (py::isinstance<py::str>(sink)) {
    const std::string name = sink.cast<std::string>();
    if (name == "logging") {
      target->kind = SinkTarget::Kind::kLogging;
      target->object = py::module_::import("logging").attr("getLogger")("disback");
    } else if (name == "stderr") {
      target->kind = SinkTarget::Kind::kStderr;
    } else {
      throw py::value_error(
          "set_log_sink: expected 'logging', 'stderr', None or a callable "
          "(level, message), got '" +
          name + "'");
    }
  } else if (PyCallable_Check(sink.ptr())) {
    target->kind = SinkTarget::Kind::kCallable;
    target->object = sink;
  } else {
    throw py::type_error(
        "set_log_sink: expected 'logging', 'stderr', None or a callable "
        "(level, message), got " +
        py::repr(sink).cast<std::string>());
  }
  LogSink installed = python_sink(std::move(target));
  // Another thread may be inside the sink waiting for the GIL.
  py::gil_scoped_release release;
  set_log_sink(std::move(installed));
}

void translate_exceptions(std::exception_ptr pending) {
  try {
    if (pending) std::rethrow_exception(pending);
  } catch (const Interrupted&) {
    PyErr_SetString(PyExc_KeyboardInterrupt, "interrupted");
  } catch (const c10::Error& error) {
    PyErr_SetString(PyExc_RuntimeError, error.what_without_backtrace());
  }
}

}  // namespace

// Helpers shared by the binding files (bindings.h).

Interruptible::Interruptible() { ++interruptible_depth; }
Interruptible::~Interruptible() { --interruptible_depth; }

void check_signals() {
  py::gil_scoped_acquire gil;
  if (PyErr_CheckSignals() != 0) raise_pending_error();
}

PyCallable::PyCallable(py::object callable)
    : callable_(new py::object(std::move(callable)), [](py::object* held) {
        if (!Py_IsInitialized()) return;
        py::gil_scoped_acquire gil;
        delete held;
      }) {}

facade::StepHook step_hook(const py::object& callback) {
  const PyCallable call(callback);
  return [call](const std::map<std::string, double>& metrics) {
    check_signals();
    if (!call.valid()) return;
    py::gil_scoped_acquire gil;
    call(metrics_dict(metrics));
  };
}

py::dict metrics_dict(const std::map<std::string, double>& metrics) {
  py::dict out;
  for (const auto& [key, value] : metrics) {
    const bool integral = std::isfinite(value) && std::floor(value) == value &&
                          (key == "step" || key == "iteration" || key == "target" ||
                           key == "checkpoints" || key == "switched");
    if (integral) {
      out[key.c_str()] = py::int_(static_cast<int64_t>(value));
    } else {
      out[key.c_str()] = py::float_(value);
    }
  }
  return out;
}

nlohmann::json to_json(py::handle object) {
  if (object.is_none()) return nullptr;
  if (py::isinstance<py::bool_>(object)) return object.cast<bool>();
  if (py::isinstance<py::int_>(object)) {
    if (py::int_(py::reinterpret_borrow<py::object>(object)) < py::int_(0)) {
      return object.cast<int64_t>();
    }
    return object.cast<uint64_t>();
  }
  if (py::isinstance<py::float_>(object)) return object.cast<double>();
  if (py::isinstance<py::str>(object)) return object.cast<std::string>();
  if (py::isinstance<py::dict>(object)) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& item : py::reinterpret_borrow<py::dict>(object)) {
      if (!py::isinstance<py::str>(item.first)) {
        throw py::type_error("JSON object keys must be str, got " +
                             py::repr(item.first).cast<std::string>());
      }
      out[item.first.cast<std::string>()] = to_json(item.second);
    }
    return out;
  }
  if (py::isinstance<py::list>(object) || py::isinstance<py::tuple>(object)) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& item : py::reinterpret_borrow<py::sequence>(object)) {
      out.push_back(to_json(item));
    }
    return out;
  }
  // numpy and torch scalars.
  if (py::hasattr(object, "item") && py::hasattr(object, "dtype")) {
    return to_json(object.attr("item")());
  }
  throw py::type_error("cannot convert " + py::repr(object).cast<std::string>() +
                       " to JSON (expected None, bool, int, float, str, list or dict)");
}

py::object from_json(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::null:
      return py::none();
    case nlohmann::json::value_t::boolean:
      return py::bool_(value.get<bool>());
    case nlohmann::json::value_t::number_integer:
      return py::int_(value.get<int64_t>());
    case nlohmann::json::value_t::number_unsigned:
      return py::int_(value.get<uint64_t>());
    case nlohmann::json::value_t::number_float:
      return py::float_(value.get<double>());
    case nlohmann::json::value_t::string:
      return py::str(value.get<std::string>());
    case nlohmann::json::value_t::array: {
      py::list out;
      for (const auto& item : value) out.append(from_json(item));
      return std::move(out);
    }
    case nlohmann::json::value_t::object: {
      py::dict out;
      for (const auto& [key, item] : value.items()) out[key.c_str()] = from_json(item);
      return std::move(out);
    }
    default:
      return py::none();  // binary and discarded values do not occur here
  }
}

}  // namespace disback::bindings

PYBIND11_MODULE(_disback, module) {
  using namespace disback;
  using namespace disback::bindings;
  // Tensors cross as torch.Tensor: torch's Python types must exist first.
  py::module_::import("torch");
  module.doc() =
      "C++ core of disback: EDM teachers, samplers, degradation paths, distribution "
      "backtracking (DisBack) and sample-quality metrics. Import the 'disback' package "
      "rather than this module.";
  module.attr("__version__") = DISBACK_VERSION;
  py::register_exception_translator(&translate_exceptions);

  module.def("set_log_sink", &set_sink, py::arg("sink"),
             "Routes the library's log messages: 'logging' (the 'disback' logger of Python's "
             "logging, the default), 'stderr' (Python's sys.stderr, shown in notebooks), None "
             "(silence) or a callable(level: str, message: str). Long calls check for Ctrl-C "
             "whenever a message (e.g. a progress line) arrives, whatever the sink.");
  module.def(
      "set_log_level", [](const py::object& level) { set_log_level(parse_level(level)); },
      py::arg("level"),
      "Drops messages below `level`: 'debug', 'info' (default), 'warning', 'error', or a "
      "logging level number. Above 'info' the progress lines, and with them the Ctrl-C checks "
      "of one-call C++ loops, are dropped too.");
  module.def(
      "log_level", []() { return std::string(level_name(log_level())); },
      "The current log level as a name.");
  module.def("set_num_threads", &set_num_threads, py::arg("threads"),
             "Sets LibTorch's intra-op thread count (0: one per core). Shared with torch.");
  module.def("seed_everything", &seed_everything, py::arg("seed"),
             "Seeds LibTorch's default generator (the same one torch.manual_seed seeds).");

  bind_options(module);
  bind_models(module);
  bind_sampling(module);
  bind_stages(module);
  bind_metrics(module);

  set_sink(py::str("logging"));
  // Before the interpreter goes away, give the log back to C++'s stderr.
  py::module_::import("atexit").attr("register")(py::cpp_function([]() {
    py::gil_scoped_release release;
    disback::set_log_sink({});
  }));
}
