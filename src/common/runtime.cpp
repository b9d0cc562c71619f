#include "common/runtime.h"

#include <torch/torch.h>

#include <thread>

#include "common/error.h"

namespace disback {

void set_num_threads(int threads) {
  DISBACK_CHECK(threads >= 0, "expected a thread count >= 0, got ", threads, " (flag --threads)");
  if (threads == 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  torch::set_num_threads(threads);
}

void seed_everything(uint64_t seed) { torch::manual_seed(seed); }

}  // namespace disback
