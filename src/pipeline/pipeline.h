// The main job: the whole DisBack pipeline from one configuration.
//   1. teacher (loaded, or trained with the EDM loss when its file is missing)
//   2. FID detector and reference statistics of the training split
//   3. teacher samples (multi-step sampler) and their FID
//   4. G_0 = teacher at sigma_init, its samples and FID
//   5. degradation path s_0 .. s_N towards G_0
//   6. backtracking along the path, evaluating every few hundred iterations
//   7. the distilled generator's samples and FID; a summary table
// Everything lands in a numbered run folder: options.json, metrics.jsonl,
// path.h5, generator.h5, PNG grids and results.json.
#pragma once

#include <nlohmann/json.hpp>

namespace disback {

/// Runs the pipeline; returns results.json's content.
nlohmann::json run_pipeline(const nlohmann::json& config);

}  // namespace disback
