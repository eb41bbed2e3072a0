"""Per-call cost of a built ``LSTM(64)`` against ``torch.nn.LSTM`` on a (16, 20, 32) batch,
eager, inference (no grad): both run torch's fused LSTM kernel.

Two rows: the plain batch (target: at most 1.05x ``nn.LSTM``), and the batch with a
right-padded mask (lengths 5 to 20, as ``Embedding(mask_zero=True)`` marks
``pad_sequences(padding="post")`` output; target: at most 1.3x ``nn.LSTM`` on the
padded batch). For the masked row, torch's own masked route (``pack_padded_sequence``
through ``nn.LSTM``, then ``pad_packed_sequence``) is timed as well.

Run: python benchmarks/bench_lstm.py [--device cuda]
"""

import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

import torch_keraslike as tkl
from _timing import compare, parse_args, report


def _setup(device):
    x = torch.randn(16, 20, 32, device=device)
    reference = torch.nn.LSTM(32, 64, batch_first=True).to(device)
    layer = tkl.layers.LSTM(64).to(device)
    layer(x)
    return x, reference, layer


def run(device="cpu", rounds=15):
    x, reference, layer = _setup(device)
    with torch.no_grad():
        return compare({"torch.nn.LSTM": lambda: reference(x),
                        "tkl.layers.LSTM": lambda: layer(x)}, device=device, rounds=rounds)


def run_masked(device="cpu", rounds=15):
    x, reference, layer = _setup(device)
    lengths = torch.randint(5, 21, (16,), generator=torch.Generator().manual_seed(0))
    lengths[0] = 20
    mask = (torch.arange(20)[None] < lengths[:, None]).to(device)

    def packed():
        sequence = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        outputs, (h, c) = reference(sequence)
        return pad_packed_sequence(outputs, batch_first=True, total_length=20)[0], h

    with torch.no_grad():
        return compare({"torch.nn.LSTM": lambda: reference(x),
                        "tkl.layers.LSTM (masked)": lambda: layer(x, mask=mask),
                        "torch.nn.LSTM (packed)": packed}, device=device, rounds=rounds)


if __name__ == "__main__":
    args = parse_args(__doc__)
    report("LSTM(64) on (16, 20, 32), eager, per call", run(args.device, args.rounds), "torch.nn.LSTM", 1.05)
    report("LSTM(64) on (16, 20, 32), right-padded mask, eager, per call",
           run_masked(args.device, args.rounds), "torch.nn.LSTM", 1.3)
