"""FID versus NFE: a markdown table, a CSV and a PNG plot from the records of
experiments/fid_vs_nfe.sh (one row per sampler configuration, each naming the
JSON result of 'disback eval')."""
import argparse
import csv
import json
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def read_rows(records_path):
    rows = []
    with open(records_path) as records:
        for record in csv.DictReader(records, delimiter="\t"):
            with open(record["eval_json"]) as result_file:
                result = json.load(result_file)
            rows.append({
                "label": record["label"],
                "steps": int(record["steps"]),
                "nfe": int(record["nfe"]),
                "fid": float(result["fid"]),
                "kid": result.get("kid_mean"),
                "sample_seconds": float(record["sample_seconds"]),
                "count": int(result["count"]),
            })
    return rows


def write_table(rows, path, title, floors):
    labels = sorted({row["label"] for row in rows})
    nfes = sorted({row["nfe"] for row in rows})
    fid = {(row["label"], row["nfe"]): row["fid"] for row in rows}
    with open(path, "w") as out:
        out.write(f"# FID versus NFE\n\n{title}. Cells: FID (lower is better); "
                  "'-' where a sampler has no configuration with that NFE.\n\n")
        out.write("| sampler | " + " | ".join(f"NFE {n}" for n in nfes) + " |\n")
        out.write("| --- |" + " ---: |" * len(nfes) + "\n")
        for label in labels:
            cells = [f"{fid[(label, n)]:.2f}" if (label, n) in fid else "-" for n in nfes]
            out.write(f"| {label} | " + " | ".join(cells) + " |\n")
        for floor in floors:
            out.write(f"\nFloor: {floor['count']} real test images score FID {floor['fid']:.2f} "
                      f"({floor['label']}): the bias of FID at this sample count.\n")
        out.write("\n| sampler | steps | NFE | FID | KID | sampling s | samples/s |\n")
        out.write("| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n")
        for row in sorted(rows, key=lambda r: (r["label"], r["nfe"])):
            kid = "-" if row["kid"] is None else f"{row['kid']:.4f}"
            rate = row["count"] / row["sample_seconds"] if row["sample_seconds"] > 0 else 0.0
            out.write(f"| {row['label']} | {row['steps']} | {row['nfe']} | {row['fid']:.2f} | "
                      f"{kid} | {row['sample_seconds']:.1f} | {rate:.1f} |\n")


def write_csv(rows, path):
    with open(path, "w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0].keys()))
        writer.writeheader()
        writer.writerows(rows)


def plot(rows, path, title, floors):
    figure, axes = plt.subplots(figsize=(6.5, 4.2))
    for floor in floors:
        axes.axhline(floor["fid"], color="gray", linestyle="--", label=f"{floor['label']} (real)")
    for label in sorted({row["label"] for row in rows}):
        points = sorted((r["nfe"], r["fid"]) for r in rows if r["label"] == label)
        nfe, fid = zip(*points)
        axes.plot(nfe, fid, marker="o", label=label)
    axes.set_xscale("log", base=2)
    axes.set_yscale("log")
    axes.set_xlabel("network evaluations (NFE)")
    axes.set_ylabel("FID")
    axes.set_title(title, fontsize=9)
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=120)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("records", help="records.tsv written by fid_vs_nfe.sh")
    parser.add_argument("output", help="output path without extension (.md, .csv, .png added)")
    parser.add_argument("--title", default="FID versus NFE")
    args = parser.parse_args()
    rows = read_rows(args.records)
    # NFE 0 rows are real images: the floor of the metric, not a sampler.
    floors = [row for row in rows if row["nfe"] == 0]
    rows = [row for row in rows if row["nfe"] > 0]
    if not rows:
        raise SystemExit(f"{args.records}: no records")
    os.makedirs(os.path.dirname(args.output) or ".", exist_ok=True)
    write_table(rows, args.output + ".md", args.title, floors)
    write_csv(rows + floors, args.output + ".csv")
    plot(rows, args.output + ".png", args.title, floors)
    print(f"wrote {args.output}.md, .csv and .png ({len(rows)} configurations)")


if __name__ == "__main__":
    main()
