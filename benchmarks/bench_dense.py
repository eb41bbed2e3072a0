"""Per-call cost of a built ``Dense`` against ``nn.Linear`` and ``nn.LazyLinear``.

Run: python benchmarks/bench_dense.py [--device cuda]
Target: Dense at most 1.2x nn.Linear for an (8, 64) input, eager mode.
"""

import torch

import torch_keraslike as tkl
from _timing import compare, parse_args, report


def run(device="cpu", rounds=15):
    x = torch.randn(8, 64, device=device)
    linear = torch.nn.Linear(64, 64).to(device)
    lazy = torch.nn.LazyLinear(64).to(device)
    dense = tkl.layers.Dense(64).to(device)
    lazy(x), dense(x)  # build both lazy modules
    with torch.no_grad():
        results = compare(
            {"torch.nn.Linear": lambda: linear(x),
             "torch.nn.LazyLinear (built)": lambda: lazy(x),
             "tkl.layers.Dense": lambda: dense(x)},
            device=device, rounds=rounds)
    return results


if __name__ == "__main__":
    args = parse_args(__doc__)
    report("Dense (8, 64) -> 64, eager, per call", run(args.device, args.rounds), "torch.nn.Linear", 1.2)
