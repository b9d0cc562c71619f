#include <gtest/gtest.h>
#include <unistd.h>

#include "pipeline/toy.h"

namespace disback {
namespace {

// The whole method end to end on a 2-D mixture: teacher, degradation path,
// backtracking. The distilled generator must end far closer to the data
// than G_0, the teacher's one-step guess (which collapses towards the mean).
TEST(ToyPipeline, DistilledGeneratorEndsFarCloserToTheDataThanG0) {
  ToyOptions options = toy_defaults();
  const DenoiserPtr teacher = train_toy_teacher(options);
  const std::string path = ::testing::TempDir() + "/" + std::to_string(getpid()) + "_toy_path.h5";
  const ToyCurve curve = distill_toy(*teacher, path, options);
  const double initial = curve.distance.front(), final = curve.distance.back();
  std::cout << "sliced W1 to the data: G_0 " << initial << ", distilled " << final
            << " (required: below " << 0.5 * initial << ")\n";
  EXPECT_LT(final, 0.5 * initial);
  EXPECT_EQ(curve.switches.size(), 3u) << "N = 4 checkpoints give 3 switches down to the teacher";
}

}  // namespace
}  // namespace disback
