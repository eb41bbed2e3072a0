"""Import time of torch_keraslike on top of torch (target: at most 0.15 s).

Each run is a fresh interpreter that imports torch first, then times
``import torch_keraslike`` alone; the fastest of the runs is reported (start-up time on
a shared machine only grows with interference). Bytecode caching is on, as in a normal
install (one warm-up run writes the ``.pyc`` files), even where the environment sets
PYTHONDONTWRITEBYTECODE.

Run: python benchmarks/bench_import.py
"""

import os
import subprocess
import sys

_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
_CODE = (
    "import time, torch\n"
    "start = time.perf_counter()\n"
    "import torch_keraslike\n"
    "print(time.perf_counter() - start)\n"
)


def _seconds():
    result = subprocess.run([sys.executable, "-c", _CODE], check=True, env=_ENV,
                            capture_output=True, text=True)
    return float(result.stdout.strip().splitlines()[-1])


def run(rounds=7):
    """Returns the fastest added import time over ``rounds`` fresh interpreters."""
    _seconds()  # writes the bytecode cache
    return min(_seconds() for _ in range(rounds))


if __name__ == "__main__":
    print(f"\nimport torch_keraslike after import torch: {run():.3f} s (target: at most 0.15 s)")
