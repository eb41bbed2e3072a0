"""One epoch of ``Model.fit`` on a small CNN against a hand-written torch loop doing the
same work (same model, data, batches, optimizer and loss). Target: at most 1.1x.

Both train the same model instance with the same optimizer, in alternating rounds: the
ratio is then the cost of ``fit``'s machinery alone. With two separately allocated
models the kernels' speed depended on where each model's tensors happened to sit, and
the ratio of identical steps moved between 0.98x and 1.15x from run to run.

Run: python benchmarks/bench_fit.py [--device cuda]
"""

import torch
from torch import nn

from _timing import compare, parse_args, report
from bench_cnn_step import tkl_cnn


def hand_written_epoch_fn(looped, optimizer, x, y):
    """One epoch of a hand-written torch loop training ``looped`` (the baseline)."""
    loss_fn = nn.CrossEntropyLoss()

    def hand_written_epoch():
        looped.train()
        for start in range(0, len(x), 32):
            xb, yb = x[start:start + 32], y[start:start + 32]
            optimizer.zero_grad()
            loss = loss_fn(looped(xb), yb)
            loss.backward()
            optimizer.step()
        return loss.item()

    return hand_written_epoch


def run(device="cpu", rounds=5):
    x = torch.randn(512, 32, 32, 3, device=device)
    y = torch.randint(0, 10, (512,), device=device)
    fitted = tkl_cnn().to(device)
    optimizer = torch.optim.SGD(fitted.parameters(), lr=0.01)
    fitted.compile(optimizer=optimizer, loss=nn.CrossEntropyLoss())
    hand_written_epoch = hand_written_epoch_fn(fitted, optimizer, x, y)

    def fit_epoch():
        fitted.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0)

    return compare({"hand-written torch loop": hand_written_epoch, "tkl Model.fit": fit_epoch},
                   device=device, rounds=rounds, target_seconds=0.5)


if __name__ == "__main__":
    args = parse_args(__doc__)
    report("One epoch, 512 samples of 32x32x3, batch 32", run(args.device, args.rounds),
           "hand-written torch loop", 1.1)
