"""Conv2D on NHWC input against torch.nn.Conv2d on the same data in NCHW.

Target: at most 1.1x (channels_last costs nothing: permuted views, channels_last
memory format through the convolution).

Run: python benchmarks/bench_conv.py [--device cuda]
"""

import torch

import torch_keraslike as tkl
from _timing import compare, parse_args, report


def run(device="cpu", rounds=15):
    nhwc = torch.randn(8, 32, 32, 16, device=device)
    nchw = nhwc.permute(0, 3, 1, 2).contiguous()
    conv = torch.nn.Conv2d(16, 32, 3, padding=1).to(device)
    layer = tkl.layers.Conv2D(32, 3, padding="same").to(device)
    layer(nhwc)
    with torch.no_grad():
        return compare({"torch.nn.Conv2d (NCHW)": lambda: conv(nchw),
                        "tkl Conv2D (NHWC)": lambda: layer(nhwc)}, device=device, rounds=rounds)


if __name__ == "__main__":
    args = parse_args(__doc__)
    report("Conv2D 3x3, 16->32, (8, 32, 32, 16), per call", run(args.device, args.rounds),
           "torch.nn.Conv2d (NCHW)", 1.1)
