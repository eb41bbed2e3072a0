"""Runs every benchmark and prints one table of ratios to plain PyTorch.

Each scenario times torch_keraslike and plain torch in the same process, in
alternating rounds (see ``_timing.py``). With ``keras`` installed (the ``bench``
extra; KERAS_BACKEND=torch), Keras 3 is measured too, as an extra column.

Run: python benchmarks/run_all.py [--device cuda] [--rounds 15] [--skip-compiled]
"""

import os
import platform
import sys

import torch

from _timing import parse_args

sys.path.insert(0, os.path.dirname(__file__))

SCENARIOS = [
    # (title, module, baseline key, our key, target)
    ("Dense (8, 64) call, eager", "bench_dense", "torch.nn.Linear", "tkl.layers.Dense", 1.2),
    ("Conv2D NHWC vs Conv2d NCHW", "bench_conv", "torch.nn.Conv2d (NCHW)", "tkl Conv2D (NHWC)", 1.1),
    ("Functional 10-layer MLP call", "bench_functional", "torch.nn.Sequential", "tkl.Model (functional)", 1.3),
    ("CNN training step", "bench_cnn_step", "plain torch CNN", "tkl CNN (NHWC)", 1.1),
    ("Compiled MLP (inductor)", "bench_compiled", "torch.compile(nn.Sequential)", "torch.compile(tkl.Model)", 1.05),
    ("fit() epoch, small CNN", "bench_fit", "hand-written torch loop", "tkl Model.fit", 1.1),
    # "module:function" runs another function of the module than run().
    ("LSTM(64) on (16, 20, 32), eager", "bench_lstm", "torch.nn.LSTM", "tkl.layers.LSTM", 1.05),
    ("LSTM(64), right-padded mask", "bench_lstm:run_masked", "torch.nn.LSTM", "tkl.layers.LSTM (masked)", 1.3),
    ("MultiHeadAttention (8, 32, 64), eval", "bench_attention", "torch.nn.MultiheadAttention",
     "tkl.layers.MultiHeadAttention", 1.0),
]


def _cpu_name():
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return f"{line.split(':', 1)[1].strip()} ({os.cpu_count()} cores)"
    except OSError:
        pass
    return platform.processor() or "CPU"


def keras_column(module_name, device, rounds):
    try:
        import importlib

        keras_bench = importlib.import_module("bench_keras")
    except ImportError:
        return None
    return keras_bench.ratio(module_name, device, rounds)


def main():
    args = parse_args(__doc__)
    skip_compiled = args.skip_compiled
    import importlib

    rows = []
    for title, module_name, baseline, ours, target in SCENARIOS:
        if skip_compiled and module_name == "bench_compiled":
            continue
        module_path, _, function = module_name.partition(":")
        try:
            module = importlib.import_module(module_path)
        except ImportError as error:
            print(f"skipping {title}: {error}")
            continue
        results = getattr(module, function or "run")(args.device, args.rounds)
        ratio = results[ours] / results[baseline]
        keras = keras_column(module_name, args.device, args.rounds)
        rows.append((title, results[baseline] * 1e6, results[ours] * 1e6, ratio, target, keras))
        print(f"done: {title}: {ratio:.2f}x", flush=True)
    try:
        import bench_resnet50

        for row in bench_resnet50.rows(args.device, args.rounds):
            rows.append(row)
            print(f"done: {row[0]}: {row[3]:.2f}x", flush=True)
    except ImportError as error:
        print(f"skipping the ResNet50 rows: {error}")
    import bench_import

    extra = bench_import.run()
    device = torch.cuda.get_device_name() if args.device.startswith("cuda") else _cpu_name()
    print(f"\nMachine: {device}, torch {torch.__version__}, {torch.get_num_threads()} thread(s), device={args.device}")
    print("| scenario | baseline (us) | torch_keraslike (us) | ratio | target | Keras 3 ratio |")
    print("|---|---:|---:|---:|---:|---:|")
    for title, base, ours, ratio, target, keras in rows:
        keras_text = "-" if keras is None else f"{keras:.2f}x"
        print(f"| {title} | {base:.1f} | {ours:.1f} | {ratio:.2f}x | <= {target}x | {keras_text} |")
    print(f"| import time on top of torch | | {extra * 1e6:.0f} | {extra:.3f} s | <= 0.15 s | |")
    for title, base, ours, ratio, target, keras in rows:
        if title.startswith("fit()") and keras:
            # Keras 3 as the peer: our fit() epoch over Keras's, target at most 0.4x.
            print(f"\nfit() epoch against Keras 3's fit(): {ratio / keras:.2f}x of Keras's time (target <= 0.4x)")


if __name__ == "__main__":
    main()
