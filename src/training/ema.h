// Exponential moving average of a denoiser's weights, with the decay given
// as a half-life in samples seen (as EDM's ema_halflife_kimg does).
#pragma once

#include "nn/denoiser.h"

namespace disback {

class Ema {
 public:
  /// `half_life_samples` <= 0 disables averaging (the EMA tracks the model).
  Ema(const Denoiser& model, double half_life_samples);
  /// Blends the current weights in after a step on `batch_size` samples.
  void update(const Denoiser& model, int64_t batch_size);
  DenoiserPtr average() const { return average_; }

 private:
  DenoiserPtr average_;
  double half_life_samples_;
};

}  // namespace disback
