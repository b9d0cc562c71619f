// The concrete samplers behind make_sampler(), one constructor per family.
// Internal to the samplers library: callers use make_sampler().
#pragma once

#include "samplers/sampler.h"

namespace disback {

/// The EDM sampler (Karras et al. 2022, Alg. 1 and 2) in its three variants.
enum class EdmVariant { kEuler, kHeun, kStochastic };

SamplerPtr make_edm_sampler(EdmVariant variant, const SamplerOptions& options);
SamplerPtr make_ddim_sampler(const SamplerOptions& options);
SamplerPtr make_dpmpp_2m_sampler(const SamplerOptions& options);
SamplerPtr make_onestep_sampler(const SamplerOptions& options);

}  // namespace disback
