"""A built functional MLP compiled with inductor against the same torch network
compiled the same way. Target: at most 1.05x.

Run: python benchmarks/bench_compiled.py [--device cuda]
"""

import torch

from _timing import compare, parse_args, report
from bench_functional import functional_mlp, torch_mlp


def run(device="cpu", rounds=15):
    x = torch.randn(8, 64, device=device)
    model = functional_mlp().to(device).eval()
    reference = torch_mlp().to(device).eval()
    ours = torch.compile(model, fullgraph=True)
    theirs = torch.compile(reference, fullgraph=True)
    with torch.no_grad():
        return compare({"torch.compile(nn.Sequential)": lambda: theirs(x),
                        "torch.compile(tkl.Model)": lambda: ours(x)}, device=device, rounds=rounds)


if __name__ == "__main__":
    args = parse_args(__doc__)
    report("10 x Dense(64, relu), inductor, per call", run(args.device, args.rounds),
           "torch.compile(nn.Sequential)", 1.05)
