"""Keras 3 (torch backend) as a peer column: the same scenarios, timed against the same
plain-torch baselines in the same process. Needs ``pip install keras`` (the ``bench``
extra); run_all.py skips the column when it is missing.
"""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from _timing import compare  # noqa: E402


def _dense(device, rounds):
    x = torch.randn(8, 64, device=device)
    linear = nn.Linear(64, 64).to(device)
    dense = keras.layers.Dense(64)
    dense(x)
    with torch.no_grad():
        r = compare({"base": lambda: linear(x), "keras": lambda: dense(x)}, device=device, rounds=rounds)
    return r["keras"] / r["base"]


def _conv(device, rounds):
    nhwc = torch.randn(8, 32, 32, 16, device=device)
    nchw = nhwc.permute(0, 3, 1, 2).contiguous()
    conv = nn.Conv2d(16, 32, 3, padding=1).to(device)
    layer = keras.layers.Conv2D(32, 3, padding="same")
    layer(nhwc)
    with torch.no_grad():
        r = compare({"base": lambda: conv(nchw), "keras": lambda: layer(nhwc)}, device=device, rounds=rounds)
    return r["keras"] / r["base"]


def _mlp(device, rounds):
    from bench_functional import torch_mlp

    x = torch.randn(8, 64, device=device)
    inputs = keras.Input((64,))
    h = inputs
    for _ in range(10):
        h = keras.layers.Dense(64, activation="relu")(h)
    model = keras.Model(inputs, h)
    reference = torch_mlp().to(device)
    with torch.no_grad():
        r = compare({"base": lambda: reference(x), "keras": lambda: model(x)}, device=device, rounds=rounds)
    return r["keras"] / r["base"]


_SCENARIOS = {"bench_dense": _dense, "bench_conv": _conv, "bench_functional": _mlp}


def ratio(module_name, device, rounds):
    """Keras 3 time over the plain-torch baseline for a scenario, or None."""
    scenario = _SCENARIOS.get(module_name)
    return None if scenario is None else scenario(device, rounds)
