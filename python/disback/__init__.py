"""disback: distil EDM diffusion teachers into one-step generators by
distribution backtracking (DisBack), driven from Python.

Every stage runs in C++ (LibTorch); tensors cross as torch.Tensor without
copies. A whole run, a step at a time::

    import disback, torch
    opts = disback.toy_defaults()
    teacher = disback.train_toy_teacher(opts)
    g0 = disback.OneStepGenerator.from_teacher(teacher, sigma_init=2.5)

    recorder = disback.DegradationRecorder(teacher, g0, "path.h5", opts.degradation)
    while not recorder.finished:
        recorder.step()
    recorder.finish()

    generator = disback.OneStepGenerator.from_teacher(teacher, 2.5)
    backtracker = disback.Backtracker(teacher, generator, "path.h5", opts.backtrack)
    while not backtracker.finished:
        metrics = backtracker.step()          # a dict: iteration, target, losses
    print(disback.toy_distance(backtracker.ema_generator(), opts))

Long calls release the GIL. Ctrl-C stops step loops between steps and
one-call C++ loops at their next progress line. Errors arrive as
RuntimeError with the library's message (which names files and values).
Log messages go to the 'disback' logger of Python's logging; see
set_log_sink() and set_log_level().
"""

import pkgutil

import torch  # noqa: F401  (torch's Python types must exist before _disback loads)

# The compiled module lives in the build tree (<build>/python/disback); with
# PYTHONPATH=python:<build>/python this package is found in the source tree
# and looks for _disback in every `disback` folder on the path.
__path__ = pkgutil.extend_path(__path__, __name__)

from . import _disback
from ._disback import (
    # runtime and logging
    set_log_sink, set_log_level, log_level, set_num_threads, seed_everything,
    # options
    SamplerOptions, EdmLossOptions, TeacherTrainOptions,
    DegradationOptions, ScoreDistillationOptions, SwitchRuleOptions, BacktrackOptions,
    KidOptions, EvalOptions, GaussianMixture2d, ToyOptions,
    # models and files
    Denoiser, OneStepGenerator, PathReader, load_denoiser, save_denoiser,
    read_model_config, read_model_metadata, network_preset, save_generator,
    load_generator,
    # data and teachers
    load_fashion_mnist, one_hot_labels, resize_area, sliced_wasserstein, train_teacher,
    toy_defaults, train_toy_teacher, toy_distance,
    # sampling
    Sampler, GeneratedSamples, sampler_names, sample, generate,
    # degradation and backtracking
    DegradationRecorder, record_degradation, Backtracker, backtrack,
    default_pipeline_config, merge_config, run_pipeline, distill_toy,
    # metrics
    FeatureStatistics, KidResult, PrecisionRecall, frechet_distance,
    kernel_inception_distance, precision_recall, Detector, load_classifier_detector,
    load_detector, image_statistics, fashion_mnist_statistics, fid_of_samples,
    EvalResult, Evaluator,
)

__version__ = _disback.__version__

__all__ = [name for name in dir(_disback) if not name.startswith("_")]
