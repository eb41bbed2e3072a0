"""A ResNet50 loaded from a Keras file, as a torch module: its forward pass against a
plain-torch ResNet50 with the same layers and weights (nn.Conv2d, nn.BatchNorm2d...),
and its load time against ``keras.saving.load_model`` of the same file.

Forward: batch 4, 96x96, eval mode, one CPU thread; target at most 1.0x plain torch.
Load: the ``.keras`` file of Keras's ResNet50; target at most 0.5x Keras 3.
Keras 3 (torch backend) makes the file and is the peer column; without it the
benchmark reports what it cannot measure and exits.

Run: python benchmarks/bench_resnet50.py [--device cuda] [--rounds 15] [--path model.keras]
"""

import os
import sys
import tempfile
import time

os.environ.setdefault("KERAS_BACKEND", "torch")

import torch  # noqa: E402
from torch import nn  # noqa: E402

import torch_keraslike as tkl  # noqa: E402
from _timing import compare, report  # noqa: E402

SIZE, BATCH = 96, 4
# Keras's ResNet50: (stack name, blocks, filters, stride of the first block)
STACKS = [("conv2", 3, 64, 1), ("conv3", 4, 128, 2), ("conv4", 6, 256, 2), ("conv5", 3, 512, 2)]


class _Block(nn.Module):
    """Keras's ResNet50 bottleneck block (stride on the first 1x1 convolution)."""

    def __init__(self, source, name, shortcut):
        super().__init__()
        self.shortcut = _conv_bn(source, f"{name}_0") if shortcut else None
        self.body = nn.Sequential(*_conv_bn(source, f"{name}_1"), nn.ReLU(),
                                  *_conv_bn(source, f"{name}_2"), nn.ReLU(), *_conv_bn(source, f"{name}_3"))
        if self.shortcut is not None:
            self.shortcut = nn.Sequential(*self.shortcut)

    def forward(self, x):
        identity = x if self.shortcut is None else self.shortcut(x)
        return torch.relu(identity + self.body(x))


def _conv_bn(source, prefix):
    """nn.Conv2d + nn.BatchNorm2d holding the weights of our loaded layers."""
    conv, bn = source.get_layer(f"{prefix}_conv"), source.get_layer(f"{prefix}_bn")
    kernel = conv.kernel.detach()  # stored (out, in, kh, kw), as nn.Conv2d keeps it
    padding = kernel.shape[-1] // 2 if conv.padding == "same" else 0
    torch_conv = nn.Conv2d(kernel.shape[1], kernel.shape[0], tuple(kernel.shape[2:]), stride=conv.strides,
                           padding=padding, bias=conv.bias is not None)
    torch_bn = nn.BatchNorm2d(kernel.shape[0], eps=bn.epsilon)
    with torch.no_grad():
        torch_conv.weight.copy_(kernel)
        if conv.bias is not None:
            torch_conv.bias.copy_(conv.bias)
        for name in ("weight", "bias", "running_mean", "running_var"):
            keras_name = {"weight": "gamma", "bias": "beta", "running_mean": "moving_mean",
                          "running_var": "moving_variance"}[name]
            getattr(torch_bn, name).copy_(getattr(bn, keras_name))
    return [torch_conv, torch_bn]


def torch_resnet50(source):
    """Plain torch ResNet50 (NCHW) with the weights of ``source``, our loaded model."""
    stem = nn.Sequential(nn.ZeroPad2d(3), *_conv_bn(source, "conv1"), nn.ReLU(), nn.ZeroPad2d(1),
                         nn.MaxPool2d(3, 2))
    blocks = [_Block(source, f"{stack}_block{i + 1}", shortcut=i == 0)
              for stack, count, _, _ in STACKS for i in range(count)]
    head = source.get_layer("predictions")
    linear = nn.Linear(head.kernel.shape[0], head.kernel.shape[1])
    with torch.no_grad():
        linear.weight.copy_(head.kernel.t())
        linear.bias.copy_(head.bias)
    return nn.Sequential(stem, *blocks, nn.AdaptiveAvgPool2d(1), nn.Flatten(), linear, nn.Softmax(dim=-1))


def _keras():
    try:
        import keras
    except ImportError:
        return None
    return keras if keras.backend.backend() == "torch" else None


def make_file(keras, folder):
    path = os.path.join(folder, "resnet50.keras")
    keras.applications.ResNet50(weights=None, input_shape=(SIZE, SIZE, 3)).save(path)
    return path


def load_times(path, keras, rounds=7):
    """Fastest round of ``tkl.saving.load_model`` and ``keras.saving.load_model``, in
    process CPU time (all threads; what a loaded machine does not distort) and in wall
    time, alternating the two loaders."""
    loaders = {"tkl.saving.load_model": tkl.saving.load_model, "keras.saving.load_model": keras.saving.load_model}
    cpu = {name: [] for name in loaders}
    wall = {name: [] for name in loaders}
    for load in loaders.values():
        load(path)  # warm up imports and caches
    for index in range(rounds):
        for name, load in (reversed(loaders.items()) if index % 2 else loaders.items()):
            start_cpu, start_wall = time.process_time(), time.perf_counter()
            load(path)
            cpu[name].append(time.process_time() - start_cpu)
            wall[name].append(time.perf_counter() - start_wall)
    return {name: (min(cpu[name]), min(wall[name])) for name in loaders}


def run(device="cpu", rounds=15, path=None):
    keras = _keras()
    folder = tempfile.mkdtemp()
    if path is None:
        if keras is None:
            raise ImportError("bench_resnet50 needs Keras 3 (pip install keras) to make the ResNet50 file, "
                              "or --path to a ResNet50 .keras file")
        path = make_file(keras, folder)
    ours = tkl.saving.load_model(path).to(device).eval()
    plain = torch_resnet50(ours).to(device).eval()
    nhwc = torch.rand(BATCH, SIZE, SIZE, 3, device=device)
    nchw = nhwc.permute(0, 3, 1, 2).contiguous()
    with torch.no_grad():
        torch.testing.assert_close(ours(nhwc), plain(nchw), rtol=1e-4, atol=1e-5)
        candidates = {"plain torch ResNet50 (NCHW)": lambda: plain(nchw),
                      "tkl ResNet50 from .keras": lambda: ours(nhwc)}
        if keras is not None:
            theirs = keras.saving.load_model(path)
            candidates["Keras 3 ResNet50"] = lambda: theirs(nhwc, training=False)
        results = compare(candidates, device=device, rounds=rounds, target_seconds=0.2)
    loads = load_times(path, keras) if keras is not None else {}
    return results, loads


def rows(device="cpu", rounds=15):
    """run_all's table rows: ``(title, baseline us, ours us, ratio, target, Keras ratio)``."""
    forward, loads = run(device, rounds)
    base, ours = forward["plain torch ResNet50 (NCHW)"], forward["tkl ResNet50 from .keras"]
    keras = forward.get("Keras 3 ResNet50")
    table = [(f"ResNet50 from .keras, forward (batch {BATCH}, {SIZE}x{SIZE}, eval)", base * 1e6, ours * 1e6,
              ours / base, 1.0, None if keras is None else keras / base)]
    if loads:
        (ours_cpu, _), (keras_cpu, _) = loads["tkl.saving.load_model"], loads["keras.saving.load_model"]
        table.append(("ResNet50 .keras load (CPU time), vs keras.saving.load_model", keras_cpu * 1e6,
                      ours_cpu * 1e6, ours_cpu / keras_cpu, 0.5, None))
    return table


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--path", default=None, help="a ResNet50 .keras file (default: made with Keras)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    try:
        forward, loads = run(args.device, args.rounds, args.path)
    except ImportError as error:
        sys.exit(str(error))
    report(f"ResNet50 forward, batch {BATCH}, {SIZE}x{SIZE}, eval, per call", forward,
           "plain torch ResNet50 (NCHW)", 1.0)
    if loads:
        (ours_cpu, ours_wall), (keras_cpu, keras_wall) = loads["tkl.saving.load_model"], loads["keras.saving.load_model"]
        print(f"\nResNet50 .keras load, CPU time: tkl {ours_cpu:.2f} s, Keras 3 {keras_cpu:.2f} s, ratio "
              f"{ours_cpu / keras_cpu:.2f}x (target at most 0.5x); wall time: tkl {ours_wall:.2f} s, "
              f"Keras 3 {keras_wall:.2f} s, ratio {ours_wall / keras_wall:.2f}x")
