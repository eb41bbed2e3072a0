"""Import time of torch_keraslike on top of torch (target: at most 0.15 s).

Each measurement is a fresh interpreter: ``import torch`` alone against
``import torch; import torch_keraslike``, alternating, median of the runs.

Run: python benchmarks/bench_import.py
"""

import statistics
import subprocess
import sys
import time


def _seconds(code):
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - start


def run(rounds=7):
    base, full = [], []
    for _ in range(rounds):
        base.append(_seconds("import torch"))
        full.append(_seconds("import torch, torch_keraslike"))
    return statistics.median(full) - statistics.median(base), statistics.median(base)


if __name__ == "__main__":
    extra, base = run()
    print(f"\nimport torch: {base:.3f} s; torch_keraslike adds {extra:.3f} s (target: at most 0.15 s)")
