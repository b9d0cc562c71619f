// Detectors (the project's classifier, TorchScript networks) and the
// Evaluator built on them.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/error.h"
#include "common/log.h"
#include "metrics/classifier.h"
#include "metrics/evaluator.h"
#include "metrics/feature_extractor.h"

namespace disback {
namespace {

const char* kPython = "/usr/bin/python3";
const std::string kShippedClassifier =
    std::string(DISBACK_TEST_DATA) + "/../../models/fmnist_classifier.h5";

std::string temp_path(const std::string& name) {
  return testing::TempDir() + "/" + std::to_string(getpid()) + "_" + name;
}

std::shared_ptr<ClassifierDetector> random_classifier_detector() {
  torch::manual_seed(0);
  return std::make_shared<ClassifierDetector>(std::make_shared<Classifier>(ClassifierConfig{}),
                                              "fmnist-classifier:random");
}

TEST(ClassifierDetector, GivesPenultimateFeaturesForAnyImageSize) {
  auto detector = random_classifier_detector();
  const int64_t d = ClassifierConfig{}.feature_dim;
  struct Case {
    std::vector<int64_t> shape;
    const char* what;
  };
  for (const Case& input : {Case{{5, 1, 16, 16}, "native"}, Case{{3, 1, 28, 28}, "area-shrunk"},
                            Case{{2, 3, 32, 32}, "RGB"}, Case{{4, 1, 8, 8}, "enlarged"}}) {
    const torch::Tensor features = detector->features(torch::rand(input.shape) * 2 - 1);
    EXPECT_EQ(features.sizes(), (c10::IntArrayRef{input.shape[0], d})) << input.what;
    EXPECT_EQ(features.scalar_type(), torch::kFloat32) << input.what;
    EXPECT_GE(features.min().item<float>(), 0.0f) << "post-ReLU features, " << input.what;
  }
  EXPECT_THROW(detector->features(torch::zeros({2, 2, 16, 16})), Error);
}

TEST(ClassifierDetector, RoundTripsThroughItsModelFile) {
  auto detector = random_classifier_detector();
  const std::string path = temp_path("classifier.h5");
  torch::manual_seed(0);
  auto original = std::make_shared<Classifier>(ClassifierConfig{});
  save_classifier(path, *original, {{"test_accuracy", 0.5}});
  const FeatureExtractorPtr loaded = load_detector(path);
  EXPECT_EQ(loaded->name(), "fmnist-classifier:" + std::filesystem::path(path).filename().string());
  const torch::Tensor images = torch::rand({6, 1, 16, 16}) * 2 - 1;
  EXPECT_TRUE(torch::equal(loaded->features(images), detector->features(images)));
}

TEST(ClassifierDetector, ShippedModelClassifiesTestImages) {
  if (!std::filesystem::exists(kShippedClassifier)) {
    GTEST_SKIP() << kShippedClassifier << " is missing; run 'disback train-classifier'";
  }
  const ImageDataset test = load_fashion_mnist(kDefaultFashionMnistDir, "test", 16);
  const ClassifierPtr classifier = load_classifier(kShippedClassifier);
  const double accuracy = classifier_accuracy(*classifier, test.images.slice(0, 0, 2000),
                                              test.labels.slice(0, 0, 2000));
  std::printf("  shipped classifier: accuracy %.4f on 2000 test images (required > 0.85)\n",
              accuracy);
  EXPECT_GT(accuracy, 0.85);
}

// A scripted stand-in for the Inception detector: it insists on uint8 RGB
// input and reports the channel means and the image size it saw.
const char* kProbeScript = R"(import sys
try:
    import torch
except ImportError:
    sys.exit(77)

class Probe(torch.nn.Module):
    def forward(self, x: torch.Tensor, return_features: bool = False) -> torch.Tensor:
        if x.dtype != torch.uint8 or x.shape[1] != 3:
            raise RuntimeError('expected uint8 [N, 3, H, W]')
        f = torch.zeros(x.shape[0], 2048)
        f[:, 0:3] = x.float().mean(dim=[2, 3])
        f[:, 3] = float(x.shape[2])
        f[:, 4] = float(x.shape[3])
        if return_features:
            return f
        return f[:, :1008]

torch.jit.script(Probe()).save(sys.argv[1])
)";

TEST(TorchScriptDetector, CallsTheNetworkAsTheInceptionDetector) {
  const std::string script = temp_path("probe.py"), model = temp_path("probe.pt");
  std::ofstream(script) << kProbeScript;
  const int status = std::system((std::string(kPython) + " " + script + " " + model).c_str());
  if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
    GTEST_SKIP() << kPython << " has no torch; cannot script a test detector";
  }
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "scripting the probe failed";

  // 0.5 in [-1, 1] is 0.5 * 127.5 + 128 = 191.75, truncated to 191 as uint8.
  const torch::Tensor gray = torch::full({2, 1, 10, 12}, 0.5);
  const FeatureExtractorPtr plain = load_detector(model);
  EXPECT_EQ(plain->name(), "torchscript:" + std::filesystem::path(model).filename().string());
  const torch::Tensor features = plain->features(gray);
  ASSERT_EQ(features.sizes(), (c10::IntArrayRef{2, 2048})) << "return_features=True not passed";
  EXPECT_TRUE(
      torch::equal(features[0].slice(0, 0, 5), torch::tensor({191.f, 191.f, 191.f, 10.f, 12.f})))
      << features[0].slice(0, 0, 5);

  DetectorOptions options;
  options.resolution = 20;
  const FeatureExtractorPtr resized = load_detector(model, options);
  EXPECT_EQ(resized->name(), plain->name() + "@20");
  const torch::Tensor resized_features = resized->features(gray);
  EXPECT_TRUE(torch::equal(resized_features[1].slice(0, 0, 5),
                           torch::tensor({191.f, 191.f, 191.f, 20.f, 20.f})))
      << resized_features[1].slice(0, 0, 5);
}

TEST(TorchScriptDetector, MissingOrInvalidFileNamesThePath) {
  const std::string bogus = temp_path("bogus.pt");
  std::ofstream(bogus) << "not a zip archive";
  for (const std::string& path : {std::string("/nonexistent/inception.pt"), bogus}) {
    try {
      load_detector(path);
      FAIL() << "expected an error for " << path;
    } catch (const Error& error) {
      EXPECT_NE(std::string(error.what()).find(path), std::string::npos) << error.what();
    }
  }
}

TEST(Evaluator, SameImagesGiveZeroFidAndFullCoverage) {
  auto detector = random_classifier_detector();
  torch::manual_seed(5);
  const torch::Tensor images = torch::rand({300, 1, 16, 16}) * 2 - 1;
  const FeatureStatistics reference = image_statistics(*detector, images, 300, 64, "");
  EvalOptions options;
  options.batch_size = 64;
  options.progress = false;
  options.kid.subsets = 5;
  Evaluator evaluator(detector, reference, options);
  const EvalResult same = evaluator.evaluate_images(images);
  const double scale = reference.sigma.trace().item<double>();
  std::printf("  same images: FID %.3g (scale %.3g), %s\n", same.fid, scale,
              same.summary().c_str());
  // The square roots of near-zero eigenvalues turn rounding of order
  // 1e-16 * scale into errors of order 1e-8 * scale.
  EXPECT_LE(std::abs(same.fid), 1e-6 * scale);
  ASSERT_TRUE(same.kid && same.precision_recall);
  EXPECT_DOUBLE_EQ(same.precision_recall->precision, 1.0);
  EXPECT_DOUBLE_EQ(same.precision_recall->recall, 1.0);
  EXPECT_EQ(same.count, 300);
  EXPECT_EQ(same.to_json()["detector"], "fmnist-classifier:random");

  // Darker images from a sampling function are further away, and
  // fid_of_samples agrees with the Evaluator.
  const torch::Tensor darker = images * 0.5 - 0.5;
  const EvalResult shifted = evaluator.evaluate(
      [&, offset = int64_t{0}](int64_t n) mutable {
        offset += n;
        return darker.slice(0, offset - n, offset);
      },
      300);
  EXPECT_GT(shifted.fid, 1e-3 * scale);
  EXPECT_NEAR(fid_of_samples(*detector, darker, reference, 100), shifted.fid, 1e-9 * scale);
}

TEST(Evaluator, RefusesStatisticsOfAnotherDetector) {
  auto detector = random_classifier_detector();
  FeatureStatistics reference = FeatureStatistics::of(torch::rand({200, 128}), "torchscript:x.pt");
  EXPECT_THROW((Evaluator{detector, reference}), Error);
  reference.detector = detector->name();
  Evaluator evaluator(detector, reference);
  EXPECT_THROW(evaluator.evaluate(
                   [](int64_t n) {
                     return torch::zeros({n, 1, 16, 16});
                   },
                   1),
               Error);
}

}  // namespace
}  // namespace disback
