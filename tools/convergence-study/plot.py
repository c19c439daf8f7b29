"""Turns the JSON lines of `starling-bench convergence` into a markdown table and a PNG plot.

Usage: plot.py RESULTS.jsonl OUTDIR   (writes OUTDIR/convergence.md and OUTDIR/convergence.png)
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def fmt(seconds):
    return "-" if seconds is None else f"{seconds:.2f}"


def main(results_path, out_dir):
    with open(results_path) as results:
        rows = [json.loads(line) for line in results if line.strip()]
    if not rows:
        sys.exit(f"plot.py: {results_path} holds no results")
    burst = rows[0]["burst"]
    lines = [
        f"Time to converge after a burst of {burst:,} writes at one peer (seconds; median of trials, "
        "each trial in brackets; `-` did not converge within the deadline). Loss drops that share of the "
        "datagrams arriving at every peer; with a partition, the last peer is cut off while the burst is written "
        "and for that long, and convergence is timed from the heal:",
        "",
        "| peers | loss | partition | converge s (median) | trials | write s | datagrams sent |",
        "| ---: | ---: | ---: | ---: | --- | ---: | ---: |",
    ]
    for row in rows:
        trials = ", ".join(fmt(s) for s in row["convergeSeconds"])
        write = sorted(row["writeSeconds"])[len(row["writeSeconds"]) // 2]
        lines.append(
            f"| {row['peers']} | {row['lossPercent']}% | {row['partitionSeconds']} s | "
            f"{fmt(row['medianSeconds'])} | [{trials}] | {write:.2f} | {row['datagramsSent']:,} |"
        )
    with open(f"{out_dir}/convergence.md", "w") as table:
        table.write("\n".join(lines) + "\n")

    figure, axis = plt.subplots(figsize=(9, 4.5))
    partitions = sorted({row["partitionSeconds"] for row in rows})
    losses = sorted({row["lossPercent"] for row in rows})
    for partition in partitions:
        for loss in losses:
            series = sorted(
                (row["peers"], row["medianSeconds"])
                for row in rows
                if row["lossPercent"] == loss and row["partitionSeconds"] == partition and row["medianSeconds"] is not None
            )
            if not series:
                continue
            label = f"loss {loss}%" + (f", partition {partition} s" if partition else "")
            axis.plot(
                [p for p, _ in series], [s for _, s in series], marker="o", label=label,
                linestyle="--" if partition else "-",
            )
    axis.set_xlabel("peers")
    axis.set_ylabel("seconds to converge (median, log scale)")
    axis.set_title(f"Starling: convergence after a burst of {burst:,} writes (loopback UDP)")
    axis.set_xticks(sorted({row["peers"] for row in rows}))
    # Loss stretches convergence by two orders of magnitude: a log scale keeps 0% readable.
    axis.set_yscale("log")
    axis.grid(True, which="both", alpha=0.3)
    axis.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    figure.tight_layout()
    figure.savefig(f"{out_dir}/convergence.png", dpi=120)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
