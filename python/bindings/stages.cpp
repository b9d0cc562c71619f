// The DisBack stages, in one call or a step at a time: degradation
// recording, backtracking, the 2-D toy run and the whole pipeline.
#include "bindings.h"
#include "pipeline/config.h"

namespace disback::bindings {
namespace {

// A path given as None, a file name or an open PathReader.
std::shared_ptr<const PathReader> path_from(const py::object& path) {
  if (path.is_none()) return nullptr;
  if (py::isinstance<PathReader>(path)) return path.cast<std::shared_ptr<PathReader>>();
  if (py::isinstance<py::str>(path)) {
    const std::string file = path.cast<std::string>();
    py::gil_scoped_release release;
    return std::make_shared<PathReader>(file);
  }
  throw py::type_error("path: expected None, a file name or a PathReader, got " +
                       py::repr(path).cast<std::string>());
}

py::list metrics_list(const std::vector<StepMetrics>& history) {
  py::list out;
  for (const auto& metrics : history) out.append(metrics_dict(metrics));
  return out;
}

void bind_degradation(py::module_& m) {
  py::class_<DegradationRecorder>(
      m, "DegradationRecorder",
      "Degradation recording a step at a time (DisBack Sec. 3.2): a copy of the teacher is "
      "fine-tuned on samples of the frozen initial generator and saved every K steps into "
      "the path file, which appears when finish() is called.")
      .def(py::init([](const Denoiser& teacher, const OneStepGenerator& initial_generator,
                       const std::string& path_file, std::optional<DegradationOptions> options,
                       const nlohmann::json& provenance) {
             if (!initial_generator.network) {
               throw Error("DegradationRecorder: the initial generator has no network");
             }
             py::gil_scoped_release release;
             return std::make_unique<DegradationRecorder>(
                 teacher, initial_generator, options.value_or(DegradationOptions{}), path_file,
                 provenance.is_null() ? nlohmann::json::object() : provenance);
           }),
           py::arg("teacher"), py::arg("initial_generator"), py::arg("path_file"),
           py::arg("options") = py::none(), py::arg("provenance") = py::none(),
           "Prepares the recording; the teacher and the generator are not modified.")
      .def(
          "step",
          [](DegradationRecorder& self) {
            std::map<std::string, double> metrics;
            {
              py::gil_scoped_release release;
              metrics = self.step();
            }
            return metrics_dict(metrics);
          },
          "One fine-tuning step; returns {'step', 'loss', 'checkpoints'}.")
      .def_property_readonly("finished", &DegradationRecorder::finished, "True after N x K steps.")
      .def_property_readonly("steps_done", &DegradationRecorder::steps_done, "Steps so far.")
      .def_property_readonly("total_steps", &DegradationRecorder::total_steps, "N x K.")
      .def("finish", &DegradationRecorder::finish, py::call_guard<py::gil_scoped_release>(),
           "Writes the metadata and moves the path file into place (after an early stop it "
           "ends at the last saved checkpoint). Returns the metadata.")
      .def("__repr__", [](const DegradationRecorder& self) {
        return str_cat("DegradationRecorder(", self.steps_done(), "/", self.total_steps(),
                       " steps)");
      });

  m.def(
      "record_degradation",
      [](const Denoiser& teacher, const OneStepGenerator& initial_generator,
         const std::string& path_file, std::optional<DegradationOptions> options,
         const nlohmann::json& provenance, const py::object& callback, bool progress) {
        const facade::StepHook hook = step_hook(callback);
        py::gil_scoped_release release;
        return facade::record_degradation(
            teacher, initial_generator, options.value_or(DegradationOptions{}), path_file,
            provenance.is_null() ? nlohmann::json::object() : provenance, hook, progress);
      },
      py::arg("teacher"), py::arg("initial_generator"), py::arg("path_file"),
      py::arg("options") = py::none(), py::arg("provenance") = py::none(),
      py::arg("callback") = py::none(), py::arg("progress") = true,
      "Records the whole degradation path into `path_file`; callback(metrics) after every "
      "step. Ctrl-C stops it (an earlier file of that name is left intact). Returns the "
      "path's metadata.");
}

void bind_backtracker(py::module_& m) {
  py::class_<Backtracker>(
      m, "Backtracker",
      "Distribution backtracking (DisBack Sec. 3.3, Alg. 1) a step at a time. The fake "
      "denoiser starts at s_N; the generator is distilled against s_{N-1}, ..., s_0 = teacher "
      "in turn. Without a path it is plain score distillation against the teacher.")
      .def(py::init([](const Denoiser& teacher, const OneStepGenerator& generator,
                       const py::object& path, std::optional<BacktrackOptions> options) {
             const auto reader = path_from(path);
             py::gil_scoped_release release;
             return std::make_unique<Backtracker>(teacher, generator, reader,
                                                  options.value_or(BacktrackOptions{}));
           }),
           py::arg("teacher"), py::arg("generator"), py::arg("path") = py::none(),
           py::arg("options") = py::none(),
           "path: None (baseline), a path file name or a PathReader. The generator's network "
           "is trained in place.")
      .def(
          "step",
          [](Backtracker& self) {
            StepMetrics metrics;
            {
              py::gil_scoped_release release;
              metrics = self.step();
            }
            return metrics_dict(metrics);
          },
          "One iteration; returns {'iteration', 'target', 'generator_loss', 'fake_loss', "
          "'direction_norm', 'switched', and 'discrepancy' when measured}.")
      .def(
          "run",
          [](Backtracker& self, const py::object& callback, bool progress) {
            const facade::StepHook hook = step_hook(callback);
            std::vector<StepMetrics> history;
            {
              py::gil_scoped_release release;
              history = facade::run_backtracking(self, hook, progress);
            }
            return metrics_list(history);
          },
          py::arg("callback") = py::none(), py::arg("progress") = true,
          "Steps until finished (callback(metrics) after each; Ctrl-C stops between steps). "
          "Returns the list of every step's metrics.")
      .def_property_readonly("finished", &Backtracker::finished, "True after all iterations.")
      .def_property_readonly("iteration", &Backtracker::iteration, "Iterations done.")
      .def_property_readonly("target_index", &Backtracker::target_index,
                             "Current target on the path (N-1 .. 0; 0 is the teacher).")
      .def_property_readonly(
          "generator", [](const Backtracker& self) { return self.generator(); },
          "The generator being trained (shares the network).")
      .def("ema_generator", &Backtracker::ema_generator,
           "The generator's EMA (the generator itself when the EMA is off).")
      .def_property_readonly(
          "target",
          [](const Backtracker& self) {
            return std::const_pointer_cast<Denoiser>(
                std::static_pointer_cast<const Denoiser>(self.target().shared_from_this()));
          },
          "The current target denoiser (shared, do not modify).")
      .def_property_readonly(
          "fake",
          [](const Backtracker& self) {
            return std::const_pointer_cast<Denoiser>(
                std::static_pointer_cast<const Denoiser>(self.fake().shared_from_this()));
          },
          "The fake denoiser fitted to the generator's samples (shared).")
      .def("discrepancy", &Backtracker::discrepancy, py::call_guard<py::gil_scoped_release>(),
           "Fake-versus-target discrepancy on the held-out noise, now.")
      .def("save_checkpoint", &Backtracker::save_checkpoint, py::arg("file"),
           py::call_guard<py::gil_scoped_release>(),
           "Saves weights, optimiser moments, EMA, RNG state, target and iteration.")
      .def("load_checkpoint", &Backtracker::load_checkpoint, py::arg("file"),
           py::call_guard<py::gil_scoped_release>(),
           "Restores a checkpoint of a run with the same teacher, path and architecture.")
      .def_property_readonly(
          "options", [](const Backtracker& self) { return self.options(); },
          "A copy of the BacktrackOptions.")
      .def("__repr__", [](const Backtracker& self) {
        return str_cat("Backtracker(iteration ", self.iteration(), "/", self.options().iterations,
                       ", target ", self.target_index(), ")");
      });

  m.def(
      "backtrack",
      [](const Denoiser& teacher, const OneStepGenerator& generator, const py::object& path,
         std::optional<BacktrackOptions> options, const py::object& callback, bool progress) {
        const auto reader = path_from(path);
        const facade::StepHook hook = step_hook(callback);
        std::vector<StepMetrics> history;
        {
          py::gil_scoped_release release;
          Backtracker backtracker(teacher, generator, reader, options.value_or(BacktrackOptions{}));
          history = facade::run_backtracking(backtracker, hook, progress);
        }
        return metrics_list(history);
      },
      py::arg("teacher"), py::arg("generator"), py::arg("path") = py::none(),
      py::arg("options") = py::none(), py::arg("callback") = py::none(), py::arg("progress") = true,
      "Backtracking in one call: trains generator.network in place; returns every step's "
      "metrics. callback(metrics) after each step; Ctrl-C stops between steps.");
}

void bind_pipeline(py::module_& m) {
  m.def("default_pipeline_config", &default_pipeline_config,
        "Every setting of the main job with its default (a dict of sections).");
  m.def("merge_config", &merge_config, py::arg("base"), py::arg("overrides"),
        py::arg("origin") = "python",
        "`overrides` merged into `base`; unknown keys and wrongly typed values raise, naming "
        "'section.key' and `origin`.");
  m.def("run_pipeline", &facade::run_pipeline, py::arg("config") = py::none(), long_call(),
        "Runs the whole DisBack pipeline (teacher, FID reference, teacher and G_0 samples, "
        "degradation, backtracking, evaluation) with `config` merged into "
        "default_pipeline_config(). Returns results.json's content. Ctrl-C is seen at "
        "progress lines.");
  m.def(
      "distill_toy",
      [](const Denoiser& teacher, std::optional<std::string> path_file,
         std::optional<ToyOptions> options) {
        ToyCurve curve;
        {
          Interruptible interruptible;
          py::gil_scoped_release release;
          curve = distill_toy(teacher, path_file, options.value_or(toy_defaults()));
        }
        py::dict out;
        out["iterations"] = curve.iterations;
        out["distance"] = curve.distance;
        out["switches"] = curve.switches;
        return out;
      },
      py::arg("teacher"), py::arg("path_file") = py::none(), py::arg("options") = py::none(),
      "The 2-D toy distillation in one call: DisBack with `path_file` (recorded first when "
      "missing), else the baseline. Returns {'iterations', 'distance', 'switches'}.");
}

}  // namespace

void bind_stages(py::module_& module) {
  bind_degradation(module);
  bind_backtracker(module);
  bind_pipeline(module);
}

}  // namespace disback::bindings
