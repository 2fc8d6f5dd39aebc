#!/usr/bin/env python3
"""Draws docs/perf/gpu-throughput.svg from docs/perf/gpu-throughput.csv (no plotting library needed).

Usage: python3 tools/plot_throughput.py
The CSV holds one row per (series, batch, chars_per_second) measured on the GPU machine (docs/PERFORMANCE.md says which
run); the floors are computed here from the model's arithmetic and the card's peak rates (see FLOORS below).
Both axes are logarithmic: characters per second against streams (batch).
"""
import csv
import math
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATA = ROOT / "docs" / "perf" / "gpu-throughput.csv"
OUT = ROOT / "docs" / "perf" / "gpu-throughput.svg"

# Seed shape (2 x 512, vocabulary 65), layer 0's input projection from the table: 2 x (R0 + [W1 | R1] + FC) flops/char.
FLOPS_PER_CHAR = 2 * (2048 * 512 + 2048 * 1024 + 65 * 512)
# Ceilings drawn as dashed lines: the dense peaks of FP32 SIMT, TF32 and FP16 tensor cores (the vendor's figures, the
# same for the H100 SXM and the H200), and the latency floor of one character every 2.5 us per stream (FACTS.md
# section 5: one grid-wide exchange per layer).
FLOORS = [
    ("FP32 peak (67 TFLOP/s)", lambda b: 67e12 / FLOPS_PER_CHAR),
    ("TF32 tensor peak (495 TFLOP/s)", lambda b: 495e12 / FLOPS_PER_CHAR),
    ("FP16 tensor peak (990 TFLOP/s)", lambda b: 990e12 / FLOPS_PER_CHAR),
    ("2.5 us/step per stream", lambda b: b / 2.5e-6),
]
COLORS = ["#1f77b4", "#d62728", "#e377c2", "#2ca02c", "#9467bd", "#17becf", "#ff7f0e", "#8c564b"]

W, H, L, R, T, B = 900, 480, 80, 330, 30, 60


def main() -> None:
    series: dict[str, list[tuple[int, float]]] = {}
    with DATA.open() as f:
        for row in csv.DictReader(f):
            series.setdefault(row["series"], []).append((int(row["batch"]), float(row["chars_per_second"])))
    batches = sorted({b for points in series.values() for b, _ in points})
    xmin, xmax = math.log10(batches[0]), math.log10(batches[-1])
    ymin, ymax = 4.0, 9.0

    def x(b: float) -> float:
        return L + (math.log10(b) - xmin) / (xmax - xmin) * (W - L - R)

    def y(v: float) -> float:
        v = min(max(math.log10(v), ymin), ymax)
        return H - B - (v - ymin) / (ymax - ymin) * (H - T - B)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
             f'<rect width="{W}" height="{H}" fill="white"/>']
    for e in range(int(ymin), int(ymax) + 1):
        parts.append(f'<line x1="{L}" x2="{W - R}" y1="{y(10 ** e):.1f}" y2="{y(10 ** e):.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{L - 8}" y="{y(10 ** e) + 4:.1f}" text-anchor="end">1e{e}</text>')
    for b in batches:
        parts.append(f'<line x1="{x(b):.1f}" x2="{x(b):.1f}" y1="{T}" y2="{H - B}" stroke="#eee"/>')
        parts.append(f'<text x="{x(b):.1f}" y="{H - B + 18}" text-anchor="middle">{b}</text>')
    parts.append(f'<text x="{(L + W - R) / 2}" y="{H - 15}" text-anchor="middle">streams (batch)</text>')
    parts.append(f'<text x="18" y="{(T + H - B) / 2}" text-anchor="middle" transform="rotate(-90 18 {(T + H - B) / 2})">characters per second</text>')
    legend_y = T + 10
    for i, (name, f) in enumerate(FLOORS):
        grid = [10 ** (xmin + (xmax - xmin) * k / 60) for k in range(61)]
        path = " ".join(f"{'M' if k == 0 else 'L'}{x(b):.1f},{y(f(b)):.1f}" for k, b in enumerate(grid))
        parts.append(f'<path d="{path}" fill="none" stroke="#888" stroke-dasharray="{4 + 3 * i},4"/>')
        parts.append(f'<line x1="{W - R + 15}" x2="{W - R + 45}" y1="{legend_y}" y2="{legend_y}" stroke="#888" stroke-dasharray="{4 + 3 * i},4"/>')
        parts.append(f'<text x="{W - R + 50}" y="{legend_y + 4}">{name}</text>')
        legend_y += 20
    for i, (name, points) in enumerate(series.items()):
        color = COLORS[i % len(COLORS)]
        points.sort()
        path = " ".join(f"{'M' if k == 0 else 'L'}{x(b):.1f},{y(v):.1f}" for k, (b, v) in enumerate(points))
        parts.append(f'<path d="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        parts.extend(f'<circle cx="{x(b):.1f}" cy="{y(v):.1f}" r="3" fill="{color}"/>' for b, v in points)
        parts.append(f'<line x1="{W - R + 15}" x2="{W - R + 45}" y1="{legend_y}" y2="{legend_y}" stroke="{color}" stroke-width="2"/>')
        parts.append(f'<text x="{W - R + 50}" y="{legend_y + 4}">{name}</text>')
        legend_y += 20
    parts.append("</svg>")
    OUT.write_text("\n".join(parts) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
