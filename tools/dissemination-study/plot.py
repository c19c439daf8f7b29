"""Turns the JSON lines of `starling-bench simulate --json` into a markdown table and a PNG plot.

Usage: plot.py RESULTS.jsonl OUTDIR   (writes OUTDIR/dissemination.md and OUTDIR/dissemination.png)
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(results_path, out_dir):
    with open(results_path) as results:
        rows = [json.loads(line) for line in results if line.strip()]
    if not rows:
        sys.exit(f"plot.py: {results_path} holds no results")
    first = rows[0]
    lines = [
        f"A burst of {first['burst']:,} writes (100-byte values) at one peer, in simulated time (seed "
        f"{first['seed']}, loss {first['loss'] * 100:g}%): bytes and datagrams every peer sent until all held it, "
        "per receiving peer per write; rounds of the 200 ms round interval; hops from the writer to the "
        "farthest peer along the dissemination tree; the largest backlog of one peer to one neighbour.",
        "",
        "| peers | joined after (sim. s) | converged after (sim. ms) | rounds | hops | bytes / receiving peer / write "
        "| datagrams / receiving peer / write | peak backlog (seqs) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        joined = "-" if row.get("join_millis") is None else f"{row['join_millis'] / 1000:.1f}"
        converged = "-" if row.get("converge_millis") is None else f"{row['converge_millis']:,}"
        rounds = "-" if row.get("rounds") is None else str(row["rounds"])
        lines.append(
            f"| {row['peers']} | {joined} | {converged} | {rounds} | {row['hops']} | "
            f"{row['bytes_per_peer_per_write']:.0f} | {row['datagrams_per_peer_per_write']:.2f} | "
            f"{row['peak_backlog']:,} |"
        )
    with open(f"{out_dir}/dissemination.md", "w") as table:
        table.write("\n".join(lines) + "\n")

    peers = [row["peers"] for row in rows]
    figure, (cost, time) = plt.subplots(1, 2, figsize=(10, 4))
    cost.plot(peers, [row["bytes_per_peer_per_write"] for row in rows], marker="o")
    cost.set_xscale("log", base=2)
    cost.set_ylim(bottom=0)
    cost.set_xlabel("peers")
    cost.set_ylabel("bytes per receiving peer per write")
    cost.set_title("cost per peer")
    time.plot(peers, [row.get("converge_millis") or float("nan") for row in rows], marker="o", label="converged (ms)")
    time.plot(peers, [row["hops"] * 10 for row in rows], marker="x", linestyle="--", label="tree hops × 10")
    time.set_xscale("log", base=2)
    time.set_ylim(bottom=0)
    time.set_xlabel("peers")
    time.set_title("time to reach every peer (simulated)")
    time.legend()
    for axis in (cost, time):
        axis.set_xticks(peers)
        axis.set_xticklabels([str(p) for p in peers])
        axis.grid(True, alpha=0.3)
    figure.tight_layout()
    figure.savefig(f"{out_dir}/dissemination.png", dpi=100)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
