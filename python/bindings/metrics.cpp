// Sample quality: detectors, feature statistics (.h5 / .npz), FID, KID,
// precision/recall and the Evaluator that draws samples in batches.
#include "bindings.h"
#include "metrics/classifier.h"

namespace disback::bindings {
namespace {

torch::Device device_from(const py::object& device) {
  return torch::Device(py::str(device).cast<std::string>());
}

void bind_statistics(py::module_& m) {
  py::class_<FeatureStatistics>(
      m, "FeatureStatistics",
      "Mean and covariance of detector features (the input of FID), optionally with a "
      "sample of the features for KID and precision/recall. Files: .h5 (the project's form) "
      "or .npz (mu, sigma, as the common Python FID tools write).")
      .def(py::init<>(), "Empty statistics; see of(), load() and image_statistics().")
      .def_readwrite("mu", &FeatureStatistics::mu, "[D] float64.")
      .def_readwrite("sigma", &FeatureStatistics::sigma, "[D, D] float64.")
      .def_readwrite("count", &FeatureStatistics::count, "Samples behind mu and sigma.")
      .def_readwrite("detector", &FeatureStatistics::detector, "The detector's name.")
      .def_property(
          "features", [](const FeatureStatistics& self) { return self.features; },
          [](FeatureStatistics& self, std::optional<torch::Tensor> features) {
            if (features) facade::check_features(*features, "FeatureStatistics.features");
            self.features = features.value_or(torch::Tensor());
          },
          "Kept features [M, D] float32, or None.")
      .def_property_readonly("dim", &FeatureStatistics::dim, "D.")
      .def_static(
          "of",
          [](const torch::Tensor& features, const std::string& detector) {
            facade::check_features(features, "FeatureStatistics.of: features");
            py::gil_scoped_release release;
            return FeatureStatistics::of(features, detector);
          },
          py::arg("features"), py::arg("detector") = "", "Statistics of features [N, D] (N >= 2).")
      .def("save", &FeatureStatistics::save, py::arg("path"),
           py::call_guard<py::gil_scoped_release>(),
           "Saves as .npz when the path ends in .npz, else as HDF5.")
      .def_static("load", &FeatureStatistics::load, py::arg("path"),
                  py::call_guard<py::gil_scoped_release>(),
                  "Loads either form; errors name the file and what is missing.")
      .def("__repr__", [](const FeatureStatistics& self) {
        return str_cat("FeatureStatistics(dim ", self.dim(), ", count ", self.count, ", detector '",
                       self.detector, "', kept features ",
                       self.features.defined() ? self.features.size(0) : 0, ")");
      });

  py::class_<KidResult>(m, "KidResult", "Kernel Inception Distance over random subsets.")
      .def_readonly("mean", &KidResult::mean, "KID.")
      .def_readonly("std", &KidResult::std, "Standard deviation over the subsets.")
      .def_readonly("subsets", &KidResult::subsets, "Subsets averaged.")
      .def_readonly("subset_size", &KidResult::subset_size, "Samples per subset.")
      .def("__repr__", [](const KidResult& self) {
        return str_cat("KidResult(mean=", self.mean, ", std=", self.std, ", subsets=", self.subsets,
                       ", subset_size=", self.subset_size, ")");
      });
  py::class_<PrecisionRecall>(m, "PrecisionRecall", "Improved precision and recall (k-NN).")
      .def_readonly("precision", &PrecisionRecall::precision,
                    "Share of generated samples inside the real manifold.")
      .def_readonly("recall", &PrecisionRecall::recall,
                    "Share of real samples inside the generated manifold.")
      .def_readonly("k", &PrecisionRecall::k, "k of the k-NN balls.")
      .def("__repr__", [](const PrecisionRecall& self) {
        return str_cat("PrecisionRecall(precision=", self.precision, ", recall=", self.recall,
                       ", k=", self.k, ")");
      });
}

void bind_distances(py::module_& m) {
  m.def("frechet_distance", &frechet_distance, py::arg("a"), py::arg("b"),
        py::call_guard<py::gil_scoped_release>(),
        "Frechet distance between two FeatureStatistics (FID when the features are a "
        "detector's).");
  m.def(
      "kernel_inception_distance",
      [](const torch::Tensor& a, const torch::Tensor& b, std::optional<KidOptions> options) {
        facade::check_features(a, "kernel_inception_distance: a");
        facade::check_features(b, "kernel_inception_distance: b");
        py::gil_scoped_release release;
        return kernel_inception_distance(a, b, options.value_or(KidOptions{}));
      },
      py::arg("a"), py::arg("b"), py::arg("options") = py::none(),
      "KID between feature sets a [m, D] and b [n, D].");
  m.def(
      "precision_recall",
      [](const torch::Tensor& real, const torch::Tensor& fake, int64_t k) {
        facade::check_features(real, "precision_recall: real");
        facade::check_features(fake, "precision_recall: fake");
        py::gil_scoped_release release;
        return precision_recall(real, fake, k);
      },
      py::arg("real"), py::arg("fake"), py::arg("k") = 3,
      "Improved precision and recall of fake [n, D] against real [m, D] features.");
}

void bind_detectors(py::module_& m) {
  py::class_<FeatureExtractor, FeatureExtractorPtr>(
      m, "Detector", "A feature network for FID/KID/PR: images in [-1, 1] -> features.")
      .def(
          "features",
          [](FeatureExtractor& self, const torch::Tensor& images) {
            facade::check_images(images, "Detector.features: images");
            py::gil_scoped_release release;
            return self.features(images);
          },
          py::arg("images"), "Features [N, D] float32 (CPU) of images [N, C, H, W].")
      .def_property_readonly("name", &FeatureExtractor::name,
                             "Names the detector and its preprocessing.")
      .def("__repr__",
           [](const FeatureExtractor& self) { return "Detector('" + self.name() + "')"; });

  m.def(
      "load_classifier_detector",
      [](const std::string& path, const py::object& device) {
        const torch::Device target = device_from(device);
        py::gil_scoped_release release;
        return load_classifier_detector(path, target);
      },
      py::arg("path") = kDefaultClassifierPath, py::arg("device") = "cpu",
      "The project's Fashion-MNIST classifier (model file) as a detector.");
  m.def(
      "load_detector",
      [](const std::string& path, int64_t resolution, const py::object& device) {
        DetectorOptions options;
        options.resolution = resolution;
        options.device = device_from(device);
        py::gil_scoped_release release;
        return load_detector(path, options);
      },
      py::arg("path"), py::arg("resolution") = 0, py::arg("device") = "cpu",
      "A classifier model file (.h5) or a TorchScript network (e.g. the Inception .pt).");
  m.def(
      "image_statistics",
      [](FeatureExtractor& detector, const torch::Tensor& images, int64_t kept_features,
         int64_t batch_size, uint64_t seed) {
        facade::check_images(images, "image_statistics: images", 2);
        py::gil_scoped_release release;
        Interruptible interruptible;
        return image_statistics(detector, images, kept_features, batch_size, "features", seed);
      },
      py::arg("detector"), py::arg("images"), py::arg("kept_features") = 10000,
      py::arg("batch_size") = 250, py::arg("seed") = 0,
      "Reference statistics of images [N, C, H, W] in [-1, 1] through `detector`.");
  m.def(
      "fashion_mnist_statistics",
      [](FeatureExtractor& detector, const std::string& split, int64_t resolution,
         const std::string& directory, int64_t kept_features) {
        Interruptible interruptible;
        py::gil_scoped_release release;
        return fashion_mnist_statistics(detector, split, resolution, directory, kept_features);
      },
      py::arg("detector"), py::arg("split") = "train", py::arg("resolution") = 16,
      py::arg("directory") = kDefaultFashionMnistDir, py::arg("kept_features") = 10000,
      "Reference statistics of a Fashion-MNIST split at `resolution`.");
  m.def(
      "fid_of_samples",
      [](FeatureExtractor& detector, const torch::Tensor& images,
         const FeatureStatistics& reference, int64_t batch_size) {
        facade::check_images(images, "fid_of_samples: images", 2);
        Interruptible interruptible;
        py::gil_scoped_release release;
        return fid_of_samples(detector, images, reference, batch_size);
      },
      py::arg("detector"), py::arg("images"), py::arg("reference"), py::arg("batch_size") = 250,
      "FID of images [N, C, H, W] in [-1, 1] against reference statistics.");
}

void bind_evaluator(py::module_& m) {
  py::class_<EvalResult>(m, "EvalResult", "FID, KID and precision/recall of one evaluation.")
      .def_readonly("fid", &EvalResult::fid, "Frechet distance to the reference.")
      .def_readonly("kid", &EvalResult::kid, "KidResult or None.")
      .def_readonly("precision_recall", &EvalResult::precision_recall, "PrecisionRecall or None.")
      .def_readonly("count", &EvalResult::count, "Samples evaluated.")
      .def_readonly("detector", &EvalResult::detector, "The detector's name.")
      .def_readonly("seconds", &EvalResult::seconds, "Sampling, feature extraction and distances.")
      .def_readonly("samples_per_second", &EvalResult::samples_per_second,
                    "count / (sampling + extraction seconds).")
      .def("to_dict", &EvalResult::to_json,
           "{'fid', 'kid_mean', 'kid_std', 'precision', 'recall', 'count', ...}.")
      .def("summary", &EvalResult::summary, "One line: 'FID 12.3  KID ...'.")
      .def("__repr__", [](const EvalResult& self) { return "EvalResult(" + self.summary() + ")"; });

  py::class_<Evaluator>(m, "Evaluator",
                        "Compares generated samples with reference statistics through one "
                        "detector.")
      .def(py::init([](FeatureExtractorPtr detector, const FeatureStatistics& reference,
                       std::optional<EvalOptions> options) {
             if (!detector) throw Error("Evaluator: expected a Detector, got None");
             return std::make_unique<Evaluator>(detector, reference,
                                                options.value_or(EvalOptions{}));
           }),
           py::arg("detector"), py::arg("reference"), py::arg("options") = py::none(),
           "The reference must come from the same detector (its name is checked).")
      .def(
          "evaluate",
          [](Evaluator& self, const py::object& sample, int64_t count, uint64_t seed) {
            SampleFn draw;
            if (py::isinstance<OneStepGenerator>(sample)) {
              draw = facade::generator_sample_fn(sample.cast<OneStepGenerator>(), seed);
            } else if (PyCallable_Check(sample.ptr())) {
              const PyCallable call(sample);
              draw = facade::checked_sample_fn([call](int64_t n) {
                py::gil_scoped_acquire gil;
                return call(n).cast<torch::Tensor>();
              });
            } else {
              throw py::type_error(
                  "evaluate: expected a OneStepGenerator or a callable "
                  "(count) -> images, got " +
                  py::repr(sample).cast<std::string>());
            }
            Interruptible interruptible;
            py::gil_scoped_release release;
            return self.evaluate(draw, count);
          },
          py::arg("sample"), py::arg("count"), py::arg("seed") = 0,
          "Draws `count` samples in batches from a OneStepGenerator (latents seeded by "
          "`seed`) or a callable(n) -> images [n, C, H, W] in [-1, 1], and compares them.")
      .def(
          "evaluate_images",
          [](Evaluator& self, const torch::Tensor& images) {
            facade::check_images(images, "Evaluator.evaluate_images: images", 2);
            Interruptible interruptible;
            py::gil_scoped_release release;
            return self.evaluate_images(images);
          },
          py::arg("images"), "Evaluates a fixed set of images [N, C, H, W] in [-1, 1].")
      .def_property_readonly(
          "reference", [](const Evaluator& self) { return self.reference(); },
          "A copy of the reference statistics.");
}

}  // namespace

void bind_metrics(py::module_& module) {
  bind_statistics(module);
  bind_distances(module);
  bind_detectors(module);
  bind_evaluator(module);
}

}  // namespace disback::bindings
