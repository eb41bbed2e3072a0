"""Per-call cost of a built ``MultiHeadAttention`` against ``torch.nn.MultiheadAttention``.

Self-attention on a (8, 32, 64) batch, 8 heads of size 8, inference (eval mode, no
grad): the setting where torch's module runs its fused fast path. Target: at most 1.0x.

Run: python benchmarks/bench_attention.py [--device cuda]
"""

import torch

import torch_keraslike as tkl
from _timing import compare, parse_args, report


def run(device="cpu", rounds=15):
    x = torch.randn(8, 32, 64, device=device)
    reference = torch.nn.MultiheadAttention(64, 8, batch_first=True).to(device).eval()
    layer = tkl.layers.MultiHeadAttention(num_heads=8, key_dim=8).to(device).eval()
    layer(x, x)
    with torch.no_grad():
        return compare({"torch.nn.MultiheadAttention": lambda: reference(x, x, x, need_weights=False),
                        "tkl.layers.MultiHeadAttention": lambda: layer(x, x)}, device=device, rounds=rounds)


if __name__ == "__main__":
    args = parse_args(__doc__)
    report("MultiHeadAttention (8, 32, 64), 8 heads, eval, per call", run(args.device, args.rounds),
           "torch.nn.MultiheadAttention", 1.0)
