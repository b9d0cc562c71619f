#include <gtest/gtest.h>

#include <unistd.h>
#include <fstream>

#include "common/progress.h"
#include "common/run_dir.h"

namespace disback {
namespace {

TEST(FormatDuration, PicksUnitsByMagnitude) {
  EXPECT_EQ(format_duration(12.34), "12.3s");
  EXPECT_EQ(format_duration(245), "4m05s");
  EXPECT_EQ(format_duration(3720), "1h02m");
}

TEST(RunDir, NumbersFoldersConsecutively) {
  const std::string root = testing::TempDir() + "/run_dir_test_" + std::to_string(getpid());
  const RunDir first = RunDir::create(root, "a");
  const RunDir second = RunDir::create(root, "b");
  EXPECT_NE(first.path().find("00000-a"), std::string::npos) << first.path();
  EXPECT_NE(second.path().find("00001-b"), std::string::npos) << second.path();
  second.append_metrics({{"iteration", 1}});
  second.append_metrics({{"iteration", 2}});
  std::ifstream in(second.file("metrics.jsonl"));
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) ++lines;
  EXPECT_EQ(lines, 2);
}

}  // namespace
}  // namespace disback
