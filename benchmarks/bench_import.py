"""Import time of torch_keraslike on top of torch (target: at most 0.15 s).

Each measurement is a fresh interpreter: ``import torch`` alone against
``import torch; import torch_keraslike``, alternating, median of the runs. Bytecode
caching is on (as in a normal install; one warm-up run writes the ``.pyc`` files), even
where the environment sets PYTHONDONTWRITEBYTECODE.

Run: python benchmarks/bench_import.py
"""

import os
import statistics
import subprocess
import sys
import time

_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _seconds(code):
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=_ENV)
    return time.perf_counter() - start


def run(rounds=7):
    _seconds("import torch, torch_keraslike")  # writes the bytecode cache
    base, full = [], []
    for _ in range(rounds):
        base.append(_seconds("import torch"))
        full.append(_seconds("import torch, torch_keraslike"))
    return statistics.median(full) - statistics.median(base), statistics.median(base)


if __name__ == "__main__":
    extra, base = run()
    print(f"\nimport torch: {base:.3f} s; torch_keraslike adds {extra:.3f} s (target: at most 0.15 s)")
