// Denoisers, one-step generators, model and path files, data sets and
// teacher training.
#include <ATen/CPUGeneratorImpl.h>

#include "bindings.h"
#include "data/fashion_mnist.h"
#include "data/toy.h"
#include "nn/model_file.h"

namespace disback::bindings {
namespace {

// A noise level from Python: a number (0-d float64 tensor) or a tensor.
torch::Tensor sigma_tensor(const py::object& sigma) {
  if (THPVariable_Check(sigma.ptr())) return sigma.cast<torch::Tensor>();
  if (py::isinstance<py::float_>(sigma) || py::isinstance<py::int_>(sigma)) {
    return torch::tensor(sigma.cast<double>(), torch::kFloat64);
  }
  throw py::type_error("sigma: expected a number or a tensor, got " +
                       py::repr(sigma).cast<std::string>());
}

torch::Device device_from(const py::object& device) {
  return torch::Device(py::str(device).cast<std::string>());
}

std::string describe(const Denoiser& denoiser) {
  return str_cat("Denoiser(", denoiser.config().value("model_type", "?"), ", sample ",
                 facade::shape_text(denoiser.sample_shape()), ", label_dim ", denoiser.label_dim(),
                 ", ", denoiser.parameter_count(), " parameters, ", facade::device_of(denoiser),
                 ")");
}

py::dict tensor_dict(const std::vector<std::pair<std::string, torch::Tensor>>& items) {
  py::dict out;
  for (const auto& [name, tensor] : items) out[name.c_str()] = tensor;
  return out;
}

const char* kDenoiserDoc = R"(The EDM-preconditioned denoiser D(x; sigma) (Karras et al. 2022).

Teachers, fake denoisers, path checkpoints and generator networks are all
Denoisers. Build one from an architecture config dict or a preset name
('fmnist16', 'toy2d', 'ddpmpp64', 'adm64', or a .json file), or load one
with load_denoiser(). Parameters are shared with torch: parameters() returns
the module's own tensors, so in-place changes from Python reach C++.)";

void bind_denoiser(py::module_& m) {
  py::class_<Denoiser, DenoiserPtr>(m, "Denoiser", kDenoiserDoc)
      .def(py::init([](const nlohmann::json& config, std::optional<uint64_t> seed) {
             return facade::make_denoiser(config, seed);
           }),
           py::arg("config"), py::arg("seed") = py::none(),
           "A fresh network from a config dict or preset name, in eval mode; `seed` seeds "
           "the initial weights.")
      .def(
          "__call__",
          [](Denoiser& self, const torch::Tensor& x, const py::object& sigma,
             std::optional<torch::Tensor> labels) {
            const torch::Tensor s = sigma_tensor(sigma);
            py::gil_scoped_release release;
            return facade::denoise(self, x, s, labels.value_or(torch::Tensor()));
          },
          py::arg("x"), py::arg("sigma"), py::arg("labels") = py::none(),
          "D(x; sigma): x [N, *sample_shape] floating on the model's device; sigma a number, "
          "a 0-d tensor or [N], all > 0; labels None, int64 class indices [N] or one-hot "
          "[N, label_dim]. Returns float32 [N, *sample_shape]; gradients flow when enabled.")
      .def_property_readonly("config", &Denoiser::config, "The architecture config (dict).")
      .def_property_readonly("sigma_data", &Denoiser::sigma_data,
                             "sigma_data of the EDM "
                             "preconditioning.")
      .def_property_readonly("label_dim", &Denoiser::label_dim, "Classes (0: unconditional).")
      .def_property_readonly(
          "sample_shape",
          [](const Denoiser& self) { return py::tuple(py::cast(self.sample_shape())); },
          "Shape of one sample: (C, H, W) for images, (D,) for vectors.")
      .def_property_readonly("parameter_count", &Denoiser::parameter_count,
                             "Number of trainable scalars.")
      .def_property_readonly(
          "device", [](const Denoiser& self) { return facade::device_of(self); },
          "The device of the parameters (torch.device).")
      .def_property_readonly(
          "training", [](const Denoiser& self) { return self.is_training(); },
          "True in training mode.")
      .def("clone", &Denoiser::clone, "A deep copy with its own weights.")
      .def(
          "to",
          [](DenoiserPtr self, const py::object& device) {
            const torch::Device target = device_from(device);
            py::gil_scoped_release release;
            self->to(target);
            return self;
          },
          py::arg("device"), "Moves the weights to `device` in place; returns self.")
      .def(
          "eval",
          [](DenoiserPtr self) {
            self->eval();
            return self;
          },
          "Evaluation mode (dropout off); returns self.")
      .def(
          "train",
          [](DenoiserPtr self, bool mode) {
            self->train(mode);
            return self;
          },
          py::arg("mode") = true, "Training mode on or off; returns self.")
      .def(
          "requires_grad_",
          [](DenoiserPtr self, bool flag) {
            for (auto& parameter : self->parameters()) parameter.set_requires_grad(flag);
            return self;
          },
          py::arg("requires_grad") = true, "Sets requires_grad on every parameter; returns self.")
      .def(
          "parameters", [](const Denoiser& self) { return self.parameters(); },
          "The parameters (the module's own tensors, no copies).")
      .def(
          "named_parameters",
          [](const Denoiser& self) { return tensor_dict(facade::named_tensors(self, false)); },
          "{name: parameter}, under the EDM state-dict keys (no copies).")
      .def(
          "named_buffers",
          [](const Denoiser& self) { return tensor_dict(facade::named_tensors(self, true)); },
          "{name: buffer} (no copies).")
      .def("copy_weights_from", &Denoiser::copy_weights_from, py::arg("other"),
           py::call_guard<py::gil_scoped_release>(),
           "Copies the weights of a denoiser of the same architecture.")
      .def(
          "save",
          [](const Denoiser& self, const std::string& path, const nlohmann::json& metadata) {
            py::gil_scoped_release release;
            save_denoiser(path, self, metadata.is_null() ? nlohmann::json::object() : metadata);
          },
          py::arg("path"), py::arg("metadata") = py::none(),
          "Saves a model file (HDF5, atomically); `metadata` is a JSON-able dict.")
      .def("__repr__", &describe);

  m.def(
      "load_denoiser",
      [](const std::string& path) {
        py::gil_scoped_release release;
        return load_denoiser(path);
      },
      py::arg("path"),
      "Loads a model file (HDF5 written by disback or the converter), in eval mode. "
      "RuntimeError names the file when it is missing or not a model file.");
  m.def(
      "save_denoiser",
      [](const std::string& path, const Denoiser& denoiser, const nlohmann::json& metadata) {
        py::gil_scoped_release release;
        save_denoiser(path, denoiser, metadata.is_null() ? nlohmann::json::object() : metadata);
      },
      py::arg("path"), py::arg("denoiser"), py::arg("metadata") = py::none(),
      "Saves a denoiser as a model file that the CLI ('disback info', 'sample') reads.");
  m.def("read_model_config", &read_model_config, py::arg("path"),
        "The architecture config of a model file, without building the network.");
  m.def("read_model_metadata", &read_model_metadata, py::arg("path"),
        "The metadata dict of a model file.");
  m.def("network_preset", &facade::preset, py::arg("name"),
        "The config of a built-in architecture: fmnist16, toy2d, ddpmpp64, adm64 (or a .json "
        "file).");
}

void bind_generator(py::module_& m) {
  py::class_<OneStepGenerator>(
      m, "OneStepGenerator",
      "The one-step generator G(z) = D(sigma_init z; sigma_init), z ~ N(0, I). Its network "
      "is shared, not copied: a Backtracker trains it in place.")
      .def(py::init([](DenoiserPtr network, double sigma_init) {
             if (!network) throw Error("OneStepGenerator: expected a Denoiser, got None");
             if (!(sigma_init > 0)) {
               throw Error(str_cat("OneStepGenerator: expected sigma_init > 0, got ", sigma_init));
             }
             return OneStepGenerator{std::move(network), sigma_init};
           }),
           py::arg("network"), py::arg("sigma_init") = 2.5,
           "Wraps `network` (shared) at noise level `sigma_init`.")
      .def_static(
          "from_teacher",
          [](const Denoiser& teacher, double sigma_init) {
            return OneStepGenerator{teacher.clone(), sigma_init};
          },
          py::arg("teacher"), py::arg("sigma_init") = 2.5,
          "G_0: a copy of the teacher at `sigma_init` (the teacher itself stays untouched).")
      .def_readwrite("network", &OneStepGenerator::network, "The Denoiser it evaluates.")
      .def_readwrite("sigma_init", &OneStepGenerator::sigma_init, "The fixed noise level.")
      .def(
          "__call__",
          [](const OneStepGenerator& self, const torch::Tensor& z,
             std::optional<torch::Tensor> labels) {
            py::gil_scoped_release release;
            return facade::generate_one_step(self, z, labels.value_or(torch::Tensor()));
          },
          py::arg("z"), py::arg("labels") = py::none(),
          "Samples [N, *sample_shape] from latents z (floating, on the network's device).")
      .def(
          "sample",
          [](const OneStepGenerator& self, int64_t count, std::optional<uint64_t> seed) {
            if (!self.network) throw Error("OneStepGenerator: it has no network");
            if (count < 1) throw Error(str_cat("sample: expected count >= 1, got ", count));
            py::gil_scoped_release release;
            torch::NoGradGuard no_grad;
            std::vector<int64_t> shape = self.network->sample_shape();
            shape.insert(shape.begin(), count);
            const auto device = facade::device_of(*self.network);
            torch::Tensor z = seed ? torch::randn(shape, at::detail::createCPUGenerator(*seed))
                                   : torch::randn(shape);
            return self(z.to(device));
          },
          py::arg("count"), py::arg("seed") = py::none(),
          "`count` samples from fresh latents (seeded when `seed` is given), without "
          "gradients.")
      .def(
          "save",
          [](const OneStepGenerator& self, const std::string& path,
             const nlohmann::json& metadata) {
            py::gil_scoped_release release;
            save_generator(path, self, metadata.is_null() ? nlohmann::json::object() : metadata);
          },
          py::arg("path"), py::arg("metadata") = py::none(),
          "Saves a model file whose metadata carries sigma_init ('disback sample --sampler "
          "onestep' reads it).")
      .def("__repr__", [](const OneStepGenerator& self) {
        return str_cat("OneStepGenerator(sigma_init=", self.sigma_init,
                       ", network=", self.network ? describe(*self.network) : std::string("None"),
                       ")");
      });

  m.def(
      "save_generator",
      [](const std::string& path, const OneStepGenerator& generator,
         const nlohmann::json& metadata) {
        py::gil_scoped_release release;
        save_generator(path, generator, metadata.is_null() ? nlohmann::json::object() : metadata);
      },
      py::arg("path"), py::arg("generator"), py::arg("metadata") = py::none(),
      "Saves a generator as a model file with sigma_init in its metadata.");
  m.def(
      "load_generator",
      [](const std::string& path, std::optional<double> sigma_init) {
        py::gil_scoped_release release;
        return load_generator(path, sigma_init);
      },
      py::arg("path"), py::arg("sigma_init") = py::none(),
      "Loads a generator file; sigma_init from its metadata, else the one given here.");
}

void bind_path(py::module_& m) {
  py::class_<PathReader, std::shared_ptr<PathReader>>(
      m, "PathReader",
      "A degradation path file: the teacher s_0 and checkpoints s_1 .. s_N, read on demand.")
      .def(py::init<const std::string&>(), py::arg("path"),
           "Opens a path file; RuntimeError names the file when it is missing or of another "
           "format.")
      .def_property_readonly("path", &PathReader::path, "The file.")
      .def_property_readonly("config", &PathReader::config, "The architecture config.")
      .def_property_readonly("metadata", &PathReader::metadata,
                             "Teacher, sigma_init, N, K, losses, ...")
      .def_property_readonly("num_checkpoints", &PathReader::num_checkpoints,
                             "N, the checkpoints after the teacher.")
      .def_property_readonly("storage", &PathReader::storage,
                             "How checkpoints are stored: 'float16-delta' or 'exact'.")
      .def("load", &PathReader::load, py::arg("k"), py::call_guard<py::gil_scoped_release>(),
           "A fresh Denoiser holding s_k (0 = teacher, N = closest to the generator).")
      .def("load_into", &PathReader::load_into, py::arg("k"), py::arg("target"),
           py::call_guard<py::gil_scoped_release>(),
           "Loads s_k into an existing Denoiser of the path's architecture.")
      .def("__repr__", [](const PathReader& self) {
        return str_cat("PathReader('", self.path(), "', num_checkpoints=", self.num_checkpoints(),
                       ", storage='", self.storage(), "')");
      });
}

void bind_data(py::module_& m) {
  m.def(
      "load_fashion_mnist",
      [](const std::string& directory, const std::string& split, int64_t resolution) {
        py::gil_scoped_release release;
        const ImageDataset data = load_fashion_mnist(directory, split, resolution);
        return std::make_tuple(data.images, data.labels);
      },
      py::arg("directory") = kDefaultFashionMnistDir, py::arg("split") = "train",
      py::arg("resolution") = 0,
      "Fashion-MNIST as (images [N, 1, R, R] float32 in [-1, 1], labels [N] int64); "
      "resolution < 28 area-downsamples (0 keeps 28).");
  m.def("one_hot_labels", &one_hot_labels, py::arg("labels"), py::arg("num_classes"),
        "One-hot float32 [N, num_classes] from class indices [N].");
  m.def(
      "resize_area",
      [](const torch::Tensor& images, int64_t resolution) {
        facade::check_images(images, "resize_area: images");
        return resize_area(images, resolution);
      },
      py::arg("images"), py::arg("resolution"), "Area-averaging resize of images [N, C, H, W].");
  m.def(
      "sliced_wasserstein",
      [](const torch::Tensor& a, const torch::Tensor& b, int64_t projections, uint64_t seed) {
        facade::check_features(a, "sliced_wasserstein: a");
        facade::check_features(b, "sliced_wasserstein: b");
        py::gil_scoped_release release;
        return sliced_wasserstein(a, b, projections, seed);
      },
      py::arg("a"), py::arg("b"), py::arg("projections") = 256, py::arg("seed") = 0,
      "Sliced Wasserstein-1 distance between point clouds a [N, D] and b [M, D].");
}

void bind_training(py::module_& m) {
  m.def(
      "train_teacher",
      [](DenoiserPtr denoiser, const torch::Tensor& data, std::optional<torch::Tensor> labels,
         std::optional<TeacherTrainOptions> options, const std::string& run_root,
         const std::string& run_name) {
        Interruptible interruptible;
        py::gil_scoped_release release;
        const facade::TeacherRun run =
            facade::train_teacher(denoiser, data, labels.value_or(torch::Tensor()),
                                  options.value_or(TeacherTrainOptions{}), run_root, run_name);
        return std::make_tuple(run.teacher, run.run_dir);
      },
      py::arg("denoiser"), py::arg("data"), py::arg("labels") = py::none(),
      py::arg("options") = py::none(), py::arg("run_root") = "runs",
      py::arg("run_name") = "teacher",
      "Trains `denoiser` (in place) with the EDM loss on `data` [N, *sample_shape]; labels "
      "[N] int64 for conditional training. Writes a numbered run folder under `run_root` "
      "(teacher.h5, metrics.jsonl). Returns (EMA teacher, run folder). Ctrl-C is seen at "
      "progress lines (every ~5 s).");
  m.def("toy_defaults", &toy_defaults, "ToyOptions that converge in seconds on a CPU.");
  m.def(
      "train_toy_teacher",
      [](std::optional<ToyOptions> options) {
        Interruptible interruptible;
        py::gil_scoped_release release;
        return train_toy_teacher(options.value_or(toy_defaults()));
      },
      py::arg("options") = py::none(),
      "Trains the 2-D MLP teacher on options.data (no files written).");
  m.def(
      "toy_distance",
      [](const OneStepGenerator& generator, std::optional<ToyOptions> options) {
        py::gil_scoped_release release;
        return toy_distance(generator, options.value_or(toy_defaults()));
      },
      py::arg("generator"), py::arg("options") = py::none(),
      "Sliced W1 distance of the generator's samples to fresh toy data (lower is better).");
}

}  // namespace

void bind_models(py::module_& module) {
  bind_denoiser(module);
  bind_generator(module);
  bind_path(module);
  bind_data(module);
  bind_training(module);
}

}  // namespace disback::bindings
