#include "training/ema.h"

#include <cmath>

namespace disback {

Ema::Ema(const Denoiser& model, double half_life_samples)
    : average_(model.clone()), half_life_samples_(half_life_samples) {
  average_->eval();
  for (auto& p : average_->parameters()) p.set_requires_grad(false);
}

void Ema::update(const Denoiser& model, int64_t batch_size) {
  const double beta =
      half_life_samples_ > 0 ? std::pow(0.5, double(batch_size) / half_life_samples_) : 0.0;
  torch::NoGradGuard no_grad;
  auto source = model.parameters();
  auto target = average_->parameters();
  for (size_t i = 0; i < target.size(); ++i) target[i].lerp_(source[i].detach(), 1 - beta);
}

}  // namespace disback
