// What the binding files share: JSON <-> Python conversion, keyword-built
// option classes, the GIL / Ctrl-C helpers and the per-area bind functions.
#pragma once

#include <torch/extension.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "facade.h"

namespace py = pybind11;

namespace disback::bindings {

/// JSON values from Python objects (None, bool, int, float, str, list,
/// tuple, dict with str keys); other objects raise TypeError.
nlohmann::json to_json(py::handle object);
py::object from_json(const nlohmann::json& value);

/// Marks the calling thread as inside a long call: the log sink then checks
/// for Ctrl-C at every message it receives (progress lines, every few s).
struct Interruptible {
  Interruptible();
  ~Interruptible();
  Interruptible(const Interruptible&) = delete;
  Interruptible& operator=(const Interruptible&) = delete;
};

/// For long calls: Ctrl-C checks in the sink, and the GIL released.
using long_call = py::call_guard<Interruptible, py::gil_scoped_release>;

/// Takes the GIL and raises KeyboardInterrupt (or any exception a signal
/// handler raised) when a signal arrived; for loops between their steps.
void check_signals();

/// A Python callable wrapped for calls from C++ code running without the
/// GIL: the callable is held (and released) with the GIL taken. A call takes
/// the GIL, but the caller must hold it too while it keeps the result.
class PyCallable {
 public:
  explicit PyCallable(py::object callable);
  template <typename... Args>
  py::object operator()(Args&&... args) const {
    py::gil_scoped_acquire gil;
    return (*callable_)(std::forward<Args>(args)...);
  }
  bool valid() const { return callable_ && !callable_->is_none(); }

 private:
  std::shared_ptr<py::object> callable_;
};

/// A step hook for the facade loops: Ctrl-C check, then `callback(metrics)`
/// when one is given (None: none).
facade::StepHook step_hook(const py::object& callback);

/// A Python dict from a metrics map; integral values become int.
py::dict metrics_dict(const std::map<std::string, double>& metrics);

/// Binds an options struct as a class built from keyword arguments, with
/// __repr__, __eq__, to_dict(), replace(**changes) and copy().
template <typename T>
class OptionsClass {
 public:
  OptionsClass(py::module_& module, const char* name, const char* doc)
      : class_(module, name, doc), name_(name), fields_(std::make_shared<Fields>()) {}

  template <typename V>
  OptionsClass& field(const char* name, V T::*member, const char* doc) {
    class_.def_readwrite(name, member, doc);
    fields_->push_back(name);
    return *this;
  }
  template <typename Getter, typename Setter>
  OptionsClass& property(const char* name, Getter getter, Setter setter, const char* doc) {
    class_.def_property(name, getter, setter, doc);
    fields_->push_back(name);
    return *this;
  }

  /// Adds the constructor and the generic methods; returns the class for more.
  py::class_<T>& finish() {
    auto fields = fields_;
    const std::string type = name_;
    class_.def(
        py::init([fields, type](const py::kwargs& changes) {
          py::object self = py::cast(T{});
          apply(self, changes, *fields, type);
          return self.cast<T>();
        }),
        ("Keyword construction; every option not given keeps its default: " + join(*fields) + ".")
            .c_str());
    class_.def("__repr__", [fields, type](const py::object& self) {
      std::string text = type + "(";
      for (size_t i = 0; i < fields->size(); ++i) {
        const std::string& key = (*fields)[i];
        text += (i ? ", " : "") + key + "=" + py::repr(self.attr(key.c_str())).cast<std::string>();
      }
      return text + ")";
    });
    class_.def(
        "to_dict",
        [fields](const py::object& self) {
          py::dict out;
          for (const auto& key : *fields) {
            py::object value = self.attr(key.c_str());
            out[key.c_str()] = py::hasattr(value, "to_dict") ? value.attr("to_dict")() : value;
          }
          return out;
        },
        "The options as a plain dict (nested options as dicts).");
    class_.def("__eq__", [](const py::object& self, const py::object& other) {
      return py::type::of(self).is(py::type::of(other)) &&
             self.attr("to_dict")().equal(other.attr("to_dict")());
    });
    class_.def(
        "copy", [](const T& self) { return T(self); }, "A copy of these options.");
    class_.def(
        "replace",
        [fields, type](const py::object& self, const py::kwargs& changes) {
          py::object copy = py::cast(self.cast<T>());
          apply(copy, changes, *fields, type);
          return copy;
        },
        "A copy with the given options changed, e.g. opts.replace(batch_size=8).");
    return class_;
  }

 private:
  using Fields = std::vector<std::string>;

  static std::string join(const Fields& fields) {
    std::string text;
    for (const auto& key : fields) text += (text.empty() ? "" : ", ") + key;
    return text;
  }

  // Sets each keyword on `self`; a dict given for nested options builds them.
  static void apply(py::object& self, const py::dict& changes, const Fields& fields,
                    const std::string& type) {
    for (const auto& item : changes) {
      const std::string key = py::str(item.first);
      if (std::find(fields.begin(), fields.end(), key) == fields.end()) {
        throw py::type_error(type + ": unknown option '" + key + "' (options: " + join(fields) +
                             ")");
      }
      py::object value = py::reinterpret_borrow<py::object>(item.second);
      const py::object current = self.attr(key.c_str());
      if (py::isinstance<py::dict>(value) && py::hasattr(current, "to_dict")) {
        value = current.attr("replace")(**value);
      }
      try {
        self.attr(key.c_str()) = value;
      } catch (py::error_already_set& error) {
        if (!error.matches(PyExc_TypeError)) throw;
        throw py::type_error(type + ": option '" + key + "' expects a value like " +
                             py::repr(current).cast<std::string>() + ", got " +
                             py::repr(value).cast<std::string>());
      }
    }
  }

  py::class_<T> class_;
  std::string name_;
  std::shared_ptr<Fields> fields_;
};

void bind_options(py::module_& module);
void bind_models(py::module_& module);
void bind_sampling(py::module_& module);
void bind_stages(py::module_& module);
void bind_metrics(py::module_& module);

}  // namespace disback::bindings

namespace pybind11::detail {

/// nlohmann::json <-> the corresponding Python value (dict, list, ...).
template <>
struct type_caster<nlohmann::json> {
  PYBIND11_TYPE_CASTER(nlohmann::json, const_name("Any"));

  bool load(handle source, bool) {
    try {
      value = disback::bindings::to_json(source);
      return true;
    } catch (const std::exception&) {
      PyErr_Clear();
      return false;
    }
  }
  static handle cast(const nlohmann::json& source, return_value_policy, handle) {
    return disback::bindings::from_json(source).release();
  }
};

}  // namespace pybind11::detail
