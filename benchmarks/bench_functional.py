"""Functional-model call overhead and construction time.

- A 10-layer Dense(64, relu) functional MLP call against the same torch.nn.Sequential
  (target: at most 1.3x).
- Construction time of a 200-layer functional model.

Run: python benchmarks/bench_functional.py [--device cuda]
"""

import time

import torch
from torch import nn

import torch_keraslike as tkl
from _timing import compare, parse_args, report


def functional_mlp(depth=10, width=64):
    inputs = tkl.Input((width,))
    x = inputs
    for _ in range(depth):
        x = tkl.layers.Dense(width, activation="relu")(x)
    return tkl.Model(inputs, x)


def torch_mlp(depth=10, width=64):
    modules = []
    for _ in range(depth):
        modules += [nn.Linear(width, width), nn.ReLU()]
    return nn.Sequential(*modules)


def run(device="cpu", rounds=15):
    x = torch.randn(8, 64, device=device)
    model = functional_mlp().to(device)
    reference = torch_mlp().to(device)
    with torch.no_grad():
        return compare({"torch.nn.Sequential": lambda: reference(x),
                        "tkl.Model (functional)": lambda: model(x)}, device=device, rounds=rounds)


def symbolic_big_input_seconds():
    """Input((4096, 4096, 3)) through two Conv2Ds: shapes only, no activation memory."""
    start = time.perf_counter()
    x = tkl.Input((4096, 4096, 3))
    y = tkl.layers.Conv2D(8, 3, padding="same")(x)
    y = tkl.layers.Conv2D(8, 3, strides=2)(y)
    assert y.shape == (None, 2047, 2047, 8)
    return time.perf_counter() - start


def construction_seconds(depth=200):
    start = time.perf_counter()
    functional_mlp(depth=depth, width=32)
    return time.perf_counter() - start


if __name__ == "__main__":
    args = parse_args(__doc__)
    report("10 x Dense(64, relu) MLP, (8, 64) input, per call", run(args.device, args.rounds),
           "torch.nn.Sequential", 1.3)
    print(f"\n200-layer functional model construction: {construction_seconds():.3f} s")
    print(f"Input((4096, 4096, 3)) through two Conv2D, symbolic: {symbolic_big_input_seconds():.3f} s")
