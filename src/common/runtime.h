// Process-wide runtime settings: threads and seeds.
#pragma once

#include <cstdint>

namespace disback {

/// Sets LibTorch's intra-op thread count; 0 means one per available core.
/// Debian's LibTorch otherwise starts with a single thread.
void set_num_threads(int threads);

/// Seeds LibTorch's default generator.
void seed_everything(uint64_t seed);

}  // namespace disback
