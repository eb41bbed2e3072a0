"""A full training step (forward, backward, SGD step) of a small CNN against the same
network written in plain torch. Target: at most 1.1x.

Run: python benchmarks/bench_cnn_step.py [--device cuda]
"""

import torch
from torch import nn

import torch_keraslike as tkl
from _timing import compare, parse_args, report
from torch_keraslike import layers


def tkl_cnn():
    return tkl.Sequential([
        tkl.Input((32, 32, 3)),
        layers.Conv2D(16, 3, padding="same", activation="relu"),
        layers.BatchNormalization(),
        layers.MaxPooling2D(),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.GlobalAveragePooling2D(),
        layers.Dense(10),
    ])


def torch_cnn():
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.BatchNorm2d(16, eps=1e-3, momentum=0.01),
        nn.MaxPool2d(2), nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))


def stepper(model, x, y):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()

    def step():
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()

    return step


def run(device="cpu", rounds=9):
    x_nhwc = torch.randn(32, 32, 32, 3, device=device)
    x_nchw = x_nhwc.permute(0, 3, 1, 2).contiguous()
    y = torch.randint(0, 10, (32,), device=device)
    ours = tkl_cnn().to(device)
    theirs = torch_cnn().to(device)
    return compare({"plain torch CNN": stepper(theirs, x_nchw, y),
                    "tkl CNN (NHWC)": stepper(ours, x_nhwc, y)}, device=device, rounds=rounds, target_seconds=0.3)


if __name__ == "__main__":
    args = parse_args(__doc__)
    report("CNN training step, batch 32 of 32x32x3", run(args.device, args.rounds), "plain torch CNN", 1.1)
