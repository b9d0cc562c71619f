#!/usr/bin/python3
"""DisBack end to end on a 2-D mixture of Gaussians, driven step by step.

    PYTHONPATH=build/python /usr/bin/python3 python/examples/distill_toy.py [--quick]

1. train an MLP teacher denoiser on the mixture;
2. G_0, the teacher's one-step guess from pure noise, collapses towards the
   mean: measure how far it is from the data (sliced Wasserstein-1);
3. record the degradation path s_0 = teacher, ..., s_N ~ fits G_0;
4. backtrack along the path, distilling the generator against s_{N-1},
   ..., s_0 in turn, printing the distance as it falls;
5. save the generator (readable by 'disback sample --sampler onestep').
"""

import argparse
import os
import tempfile
import time

import torch

import disback


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="a shorter run (a few hundred steps) for tests")
    parser.add_argument("--out", default="", help="folder for path.h5 and generator.h5 "
                        "(default: a temporary folder)")
    parser.add_argument("--threads", type=int, default=0, help="LibTorch threads (0: all cores)")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args()


def settings(quick, seed):
    """The toy defaults, shortened for --quick."""
    options = disback.toy_defaults().replace(seed=seed)
    if quick:
        options.teacher_iterations = 600
        options.teacher_batch = 128
        options.eval_samples = 2000
        options.eval_every = 50
        options.degradation.num_checkpoints = 2
        options.degradation.interval = 60
        options.degradation.batch_size = 128
        options.backtrack.iterations = 300
        options.backtrack.batch_size = 128
        options.backtrack.holdout_size = 128
        options.backtrack.switching.iterations_per_target = 100
    return options


def teacher_distance(teacher, options):
    """The multi-step teacher (Heun, 18 steps): the quality bar."""
    latents = torch.randn(options.eval_samples, 2,
                          generator=torch.Generator().manual_seed(options.seed + 1))
    samples = disback.sample(teacher, latents, sampler="heun", steps=18)
    data = options.data.sample(options.eval_samples, seed=options.seed + 2)
    return disback.sliced_wasserstein(samples, data)


def record_path(teacher, options, path_file):
    """Degradation recording, one fine-tuning step at a time."""
    initial = disback.OneStepGenerator.from_teacher(teacher, options.sigma_init)
    recorder = disback.DegradationRecorder(teacher, initial, path_file, options.degradation,
                                           provenance={"example": "distill_toy.py"})
    while not recorder.finished:
        metrics = recorder.step()
        if metrics["step"] % options.degradation.interval == 0:
            print(f"  degradation step {metrics['step']:5d}  loss {metrics['loss']:.4f}  "
                  f"checkpoints {metrics['checkpoints']}")
    return recorder.finish()


def backtrack(teacher, options, path_file):
    """Backtracking along the path, one generator update at a time."""
    generator = disback.OneStepGenerator.from_teacher(teacher, options.sigma_init)
    backtracker = disback.Backtracker(teacher, generator, path_file, options.backtrack)
    curve = [(0, disback.toy_distance(backtracker.ema_generator(), options))]
    while not backtracker.finished:
        metrics = backtracker.step()
        if metrics["switched"]:
            print(f"  iteration {backtracker.iteration:5d}: target moves to "
                  f"s_{backtracker.target_index}")
        if backtracker.iteration % options.eval_every == 0:
            distance = disback.toy_distance(backtracker.ema_generator(), options)
            curve.append((backtracker.iteration, distance))
            print(f"  iteration {backtracker.iteration:5d}  target s_{metrics['target']}  "
                  f"generator loss {metrics['generator_loss']:.4f}  distance {distance:.4f}")
    return backtracker.ema_generator(), curve


def main():
    args = parse_args()
    disback.set_num_threads(args.threads)
    options = settings(args.quick, args.seed)
    out = args.out or tempfile.mkdtemp(prefix="disback_toy_")
    os.makedirs(out, exist_ok=True)
    path_file = os.path.join(out, "path.h5")

    start = time.time()
    teacher = disback.train_toy_teacher(options)
    print(f"teacher: {teacher.parameter_count} parameters, trained in "
          f"{time.time() - start:.1f} s; Heun-18 distance {teacher_distance(teacher, options):.4f}")

    initial = disback.OneStepGenerator.from_teacher(teacher, options.sigma_init)
    print(f"G_0 (one step from the teacher): distance {disback.toy_distance(initial, options):.4f}")

    metadata = record_path(teacher, options, path_file)
    path = disback.PathReader(path_file)
    print(f"path: {path.num_checkpoints} checkpoints in {path_file} "
          f"({os.path.getsize(path_file)} bytes, keys {sorted(metadata)[:4]}...)")

    generator, curve = backtrack(teacher, options, path_file)
    print(f"distance to the data: G_0 {curve[0][1]:.4f} -> distilled {curve[-1][1]:.4f}")

    generator_file = os.path.join(out, "generator.h5")
    generator.save(generator_file, metadata={"example": "distill_toy.py"})
    print(f"generator saved to {generator_file}")


if __name__ == "__main__":
    main()
