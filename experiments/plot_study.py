#!/usr/bin/python3
"""Plots a `disback study` folder: quality against iteration, mean over seeds
with the per-seed range shaded, for DisBack and the baseline, and DisBack's
target switches.

usage: /usr/bin/python3 experiments/plot_study.py STUDY_FOLDER
"""
import collections
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(folder):
    summary = json.load(open(f"{folder}/summary.json"))
    metric = summary["metric"]
    values = collections.defaultdict(list)
    for line in open(f"{folder}/curves.jsonl"):
        row = json.loads(line)
        values[(row["method"], row["iteration"])].append(row[metric])
    figure, axes = plt.subplots(figsize=(6, 4))
    for method, colour in (("baseline", "tab:gray"), ("disback", "tab:blue")):
        iterations = sorted(i for m, i in values if m == method)
        runs = [values[(method, i)] for i in iterations]
        mean = [sum(r) / len(r) for r in runs]
        axes.plot(iterations, mean, label=method, color=colour)
        axes.fill_between(iterations, [min(r) for r in runs], [max(r) for r in runs],
                          color=colour, alpha=0.2)
    axes.axhline(summary["result"]["target_value"], color="tab:red", linestyle=":",
                 label="baseline final + tolerance")
    # Where DisBack moved to its next target (seed 0; the fixed rule switches
    # at the same iterations for every seed).
    switches = summary.get("disback_switch_iterations", {}).get("0", [])
    for number, iteration in enumerate(switches):
        axes.axvline(iteration, color="tab:blue", alpha=0.3, linewidth=0.8,
                     label="DisBack target switch" if number == 0 else None)
    axes.set_xlabel("distillation iteration")
    axes.set_yscale("log")  # the tail, where the methods differ, spans little of the range
    axes.set_ylabel(metric + " (lower is better, log scale)")
    label = summary.get("label", summary["problem"])
    axes.set_title(f"{label}: {summary['seeds']} seeds", fontsize=9)
    axes.legend()
    figure.tight_layout()
    figure.savefig(f"{folder}/curves.png", dpi=120)
    print(f"wrote {folder}/curves.png")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
