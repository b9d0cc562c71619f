#!/usr/bin/python3
"""How far along a degradation path each checkpoint lies, measured where
backtracking looks: the denoiser outputs on noisy samples of the initial
generator G_0, at noise levels drawn as in the generator's loss (log-normal,
EDM's P_mean = -1.2, P_std = 1.2).

For each checkpoint s_k it prints the mean squared difference of its output
from the teacher's (s_0), as a fraction of s_N's: 0 = the teacher, 1 = the
end of the path. Backtracking's target moves s_{N-1}, ..., s_0, so a path
whose fractions jump to ~1 at k = 1 gives targets that all look alike.

usage: PYTHONPATH=build/python /usr/bin/python3 experiments/path_profile.py PATH.h5 [SAMPLES]
"""
import sys

import torch

import disback


def main(path_file, samples=512):
    disback.set_num_threads(0)
    path = disback.PathReader(path_file)
    sigma_init = path.metadata["sigma_init"]
    teacher = path.load(0)
    generator = disback.OneStepGenerator.from_teacher(teacher, sigma_init)
    torch.manual_seed(0)
    with torch.no_grad():
        images = generator.sample(samples, seed=0)
        sigma = torch.exp(torch.randn(samples) * 1.2 - 1.2)
        noisy = images + torch.randn_like(images) * sigma.view(-1, *[1] * (images.dim() - 1))
        outputs = [path.load(k)(noisy, sigma) for k in range(path.num_checkpoints + 1)]
    distances = [float(((out - outputs[0]) ** 2).mean()) for out in outputs]
    print(f"{path_file}: N = {path.num_checkpoints}, storage {path.storage}, "
          f"{samples} noisy G_0 samples")
    print("| k | steps | mean sq. diff from s_0 | fraction of s_N's |")
    print("|---|---|---|---|")
    interval = path.metadata.get("K", 0)
    for k, distance in enumerate(distances):
        print(f"| {k} | {k * interval} | {distance:.3g} | {distance / distances[-1]:.2f} |")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 512)
