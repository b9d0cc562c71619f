// The sampler family: Sampler objects, sample() on given latents and
// generate() with per-sample seeds, the same streams as 'disback sample'.
#include "bindings.h"

namespace disback::bindings {
namespace {

// What a sampler runs: a Denoiser, a OneStepGenerator's network, or any
// Python callable (x, sigma, labels) -> tensor shaped like x.
struct DenoiseSource {
  DenoiseFn denoise;
  DenoiserPtr denoiser;              // null for a callable
  std::optional<double> sigma_init;  // set for a OneStepGenerator
};

DenoiseSource denoise_source(const py::object& model) {
  DenoiseSource source;
  if (py::isinstance<Denoiser>(model)) {
    source.denoiser = model.cast<DenoiserPtr>();
  } else if (py::isinstance<OneStepGenerator>(model)) {
    const auto generator = model.cast<OneStepGenerator>();
    if (!generator.network) throw Error("the OneStepGenerator has no network");
    source.denoiser = generator.network;
    source.sigma_init = generator.sigma_init;
  } else if (PyCallable_Check(model.ptr())) {
    const PyCallable call(model);
    source.denoise = [call](const torch::Tensor& x, const torch::Tensor& sigma,
                            const torch::Tensor& labels) {
      py::gil_scoped_acquire gil;
      py::object out = call(x, sigma, labels.defined() ? py::cast(labels) : py::object(py::none()));
      if (!THPVariable_Check(out.ptr())) {
        throw py::type_error("the denoiser callable must return a tensor, got " +
                             py::repr(out).cast<std::string>());
      }
      const torch::Tensor result = out.cast<torch::Tensor>();
      if (result.sizes() != x.sizes()) {
        throw Error(str_cat("the denoiser callable returned shape ",
                            facade::shape_text(result.sizes()), " for input ",
                            facade::shape_text(x.sizes())));
      }
      return result;
    };
    return source;
  } else {
    throw py::type_error(
        "expected a Denoiser, a OneStepGenerator or a callable "
        "(x, sigma, labels) -> tensor, got " +
        py::repr(model).cast<std::string>());
  }
  source.denoise = denoiser_fn(source.denoiser);
  return source;
}

// Options from an optional SamplerOptions, `steps` and keyword overrides.
SamplerOptions sampler_options(const py::object& options, const py::object& steps,
                               const py::kwargs& overrides) {
  py::object resolved =
      py::cast(options.is_none() ? SamplerOptions{} : options.cast<SamplerOptions>());
  if (!steps.is_none()) resolved.attr("num_steps") = steps;
  if (overrides.size() > 0) resolved = resolved.attr("replace")(**overrides);
  return resolved.cast<SamplerOptions>();
}

// Resolves the sampler name (default heun, or onestep for a generator).
SamplerPtr resolve_sampler(const py::object& sampler, const DenoiseSource& source,
                           SamplerOptions options) {
  if (py::isinstance<Sampler>(sampler)) {
    if (source.sigma_init) throw Error("a OneStepGenerator is sampled with sampler='onestep'");
    return sampler.cast<std::shared_ptr<Sampler>>();
  }
  std::string name =
      sampler.is_none() ? (source.sigma_init ? "onestep" : "heun") : sampler.cast<std::string>();
  if (source.sigma_init) {
    if (name != "onestep") {
      throw Error(
          str_cat("a OneStepGenerator is sampled with sampler='onestep', got '", name, "'"));
    }
    options.sigma_init = *source.sigma_init;
  }
  return make_sampler(name, options);
}

// Per-step hook: Ctrl-C check, then the user's callback(step, sigma, x, denoised).
StepCallback step_callback(const py::object& callback) {
  const PyCallable call(callback);
  return [call](int64_t step, double sigma, const torch::Tensor& x, const torch::Tensor& denoised) {
    check_signals();
    if (!call.valid()) return;
    py::gil_scoped_acquire gil;  // the result is dropped here, under the GIL
    call(step, sigma, x, denoised);
  };
}

// The result of generate() with what produced it, so it can be saved.
struct Generated {
  GeneratedSamples samples;
  SamplerPtr sampler;
  uint64_t seed = 0;
};

torch::Tensor run_sample(const Sampler& sampler, const DenoiseSource& source,
                         const torch::Tensor& latents, std::optional<torch::Tensor> labels,
                         std::optional<uint64_t> seed, const py::object& callback) {
  const StepCallback hook = step_callback(callback);
  std::optional<std::vector<int64_t>> shape;
  std::optional<torch::Device> device;
  int64_t label_dim = 0;
  if (source.denoiser) {
    shape = source.denoiser->sample_shape();
    device = facade::device_of(*source.denoiser);
    label_dim = source.denoiser->label_dim();
  } else if (labels) {
    label_dim = labels->dim() == 2 ? labels->size(1) : 0;
  }
  py::gil_scoped_release release;
  return facade::sample(sampler, source.denoise, shape, device, label_dim, latents,
                        labels.value_or(torch::Tensor()), seed, hook)
      .samples;
}

const char* kSampleDoc = R"(Runs a sampler on given latents and returns the samples.

denoiser: a Denoiser, a OneStepGenerator (sampler 'onestep' at its
  sigma_init) or a callable (x, sigma, labels) -> tensor.
latents: z ~ N(0, I), [N, *sample_shape], floating, on the model's device.
sampler: a name from sampler_names() (default 'heun'; 'onestep' for a
  generator) or a Sampler.
steps: N (default options.num_steps, 18); options: SamplerOptions; any
  SamplerOptions field may also be given as a keyword (S_churn=0, ...).
labels: None, int64 class indices [N] or one-hot [N, label_dim].
seed: seeds the noise of stochastic samplers (else torch's generator).
callback(step, sigma, x, denoised): called at every step (x and denoised
  float64); Ctrl-C is checked there too.
Returns float32 samples [N, *sample_shape] on the latents' device.)";

const char* kGenerateDoc = R"(Generates `count` samples in batches, each sample from its own
seeded stream (its class, latents and noise do not depend on batch_size),
exactly as 'disback sample --seed S' does.

Returns GeneratedSamples (images [count, ...] float32 on the CPU, not
clamped; labels; nfe; seconds). Arguments as for sample(); device
defaults to the model's. Ctrl-C is seen at progress lines.)";

void bind_sampler(py::module_& m) {
  py::class_<Sampler, std::shared_ptr<Sampler>>(
      m, "Sampler",
      "One of the teacher's samplers (heun, euler, edm-stochastic, ddim, dpmpp-2m, onestep); "
      "all take the same arguments.")
      .def(py::init([](const std::string& name, const py::object& options, const py::object& steps,
                       const py::kwargs& overrides) {
             return std::const_pointer_cast<Sampler>(
                 make_sampler(name, sampler_options(options, steps, overrides)));
           }),
           py::arg("name") = "heun", py::arg("options") = py::none(), py::arg("steps") = py::none(),
           "Builds a sampler by name; SamplerOptions fields may be given as keywords.")
      .def_property_readonly("name", &Sampler::name, "The factory name.")
      .def_property_readonly("nfe", &Sampler::nfe, "Network evaluations per sample() call.")
      .def_property_readonly("num_steps", &Sampler::num_steps, "Steps actually taken.")
      .def_property_readonly("stochastic", &Sampler::stochastic,
                             "True if the output depends on noise besides the latents.")
      .def_property_readonly(
          "options", [](const Sampler& self) { return self.options(); },
          "A copy of the SamplerOptions.")
      .def(
          "time_steps", [](const Sampler& self) { return edm_time_steps(self.options()); },
          "The EDM time steps t_0 > ... > t_N = 0 (EDM Eq. 5).")
      .def(
          "sample",
          [](const Sampler& self, const py::object& denoiser, const torch::Tensor& latents,
             std::optional<torch::Tensor> labels, std::optional<uint64_t> seed,
             const py::object& callback) {
            const DenoiseSource source = denoise_source(denoiser);
            if (source.sigma_init && self.name() != "onestep") {
              throw Error("a OneStepGenerator is sampled with sampler='onestep'");
            }
            return run_sample(self, source, latents, labels, seed, callback);
          },
          py::arg("denoiser"), py::arg("latents"), py::arg("labels") = py::none(),
          py::arg("seed") = py::none(), py::arg("callback") = py::none(),
          "Maps latents to samples; see disback.sample for the arguments.")
      .def("__repr__", [](const Sampler& self) {
        return str_cat("Sampler('", self.name(), "', num_steps=", self.num_steps(),
                       ", nfe=", self.nfe(), ")");
      });

  m.def("sampler_names", &sampler_names, "The names Sampler() and sample() accept.");

  m.def(
      "sample",
      [](const py::object& denoiser, const torch::Tensor& latents, const py::object& sampler,
         const py::object& steps, std::optional<torch::Tensor> labels, std::optional<uint64_t> seed,
         const py::object& callback, const py::object& options, const py::kwargs& overrides) {
        const DenoiseSource source = denoise_source(denoiser);
        const SamplerPtr resolved =
            resolve_sampler(sampler, source, sampler_options(options, steps, overrides));
        return run_sample(*resolved, source, latents, labels, seed, callback);
      },
      py::arg("denoiser"), py::arg("latents"), py::arg("sampler") = py::none(),
      py::arg("steps") = py::none(), py::arg("labels") = py::none(), py::arg("seed") = py::none(),
      py::arg("callback") = py::none(), py::arg("options") = py::none(), kSampleDoc);
}

void bind_generate(py::module_& m) {
  py::class_<Generated>(m, "GeneratedSamples", "The result of generate().")
      .def_property_readonly(
          "images", [](const Generated& self) { return self.samples.images; },
          "[count, *sample_shape] float32 on the CPU, not clamped.")
      .def_property_readonly(
          "labels", [](const Generated& self) { return self.samples.labels; },
          "[count] int64 classes, or None for an unconditional model.")
      .def_property_readonly(
          "nfe", [](const Generated& self) { return self.samples.nfe; },
          "Network evaluations per sample.")
      .def_property_readonly(
          "seconds", [](const Generated& self) { return self.samples.seconds; },
          "Wall time of the sampling.")
      .def_property_readonly(
          "sampler",
          [](const Generated& self) { return std::const_pointer_cast<Sampler>(self.sampler); },
          "The Sampler used.")
      .def_readonly("seed", &Generated::seed, "The seed used.")
      .def(
          "save_h5",
          [](const Generated& self, const std::string& path) {
            py::gil_scoped_release release;
            save_samples_h5(path, self.samples, *self.sampler, self.seed);
          },
          py::arg("path"),
          "Writes the HDF5 file 'disback sample --h5' writes: dataset 'images' (clamped to "
          "[-1, 1]), 'labels' when conditional, attributes sampler, steps, nfe, seed.")
      .def("__repr__", [](const Generated& self) {
        return str_cat("GeneratedSamples(images ", facade::shape_text(self.samples.images.sizes()),
                       ", sampler '", self.sampler->name(), "', nfe ", self.samples.nfe, ", seed ",
                       self.seed, ", ", self.samples.seconds, " s)");
      });

  m.def(
      "generate",
      [](const py::object& denoiser, int64_t count, const py::object& sampler,
         const py::object& steps, uint64_t seed, int64_t batch_size, int64_t class_label,
         const py::object& device, bool progress, const py::object& options,
         const py::kwargs& overrides) {
        const DenoiseSource source = denoise_source(denoiser);
        if (!source.denoiser) {
          throw py::type_error(
              "generate: expected a Denoiser or a OneStepGenerator (a callable "
              "has no sample shape; use sample() with latents)");
        }
        Generated out;
        out.sampler = resolve_sampler(sampler, source, sampler_options(options, steps, overrides));
        out.seed = seed;
        GenerateOptions settings;
        settings.count = count;
        settings.batch_size = batch_size;
        settings.seed = seed;
        settings.class_label = class_label;
        settings.progress = progress;
        settings.device = device.is_none() ? facade::device_of(*source.denoiser)
                                           : torch::Device(py::str(device).cast<std::string>());
        Interruptible interruptible;
        py::gil_scoped_release release;
        out.samples = facade::generate(*out.sampler, source.denoiser, settings);
        return out;
      },
      py::arg("denoiser"), py::arg("count") = 64, py::arg("sampler") = py::none(),
      py::arg("steps") = py::none(), py::arg("seed") = 0, py::arg("batch_size") = 256,
      py::arg("class_label") = -1, py::arg("device") = py::none(), py::arg("progress") = true,
      py::arg("options") = py::none(), kGenerateDoc);
}

}  // namespace

void bind_sampling(py::module_& module) {
  bind_sampler(module);
  bind_generate(module);
}

}  // namespace disback::bindings
