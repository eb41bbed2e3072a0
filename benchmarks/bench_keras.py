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


def keras_cnn():
    """The small CNN of bench_cnn_step/bench_fit, in Keras 3."""
    layers = keras.layers
    return keras.Sequential([
        keras.Input((32, 32, 3)),
        layers.Conv2D(16, 3, padding="same", activation="relu"),
        layers.BatchNormalization(),
        layers.MaxPooling2D(),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.GlobalAveragePooling2D(),
        layers.Dense(10),
    ])


def _fit(device, rounds):
    """One Keras 3 ``fit()`` epoch of the same CNN on the same data (512 samples, batch
    32, SGD 0.01, cross-entropy on logits), against bench_fit's hand-written loop."""
    import bench_fit

    x = torch.randn(512, 32, 32, 3, device=device)
    y = torch.randint(0, 10, (512,), device=device)
    model = keras_cnn()
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x_np, y_np = x.cpu().numpy(), y.cpu().numpy()

    def keras_epoch():
        model.fit(x_np, y_np, batch_size=32, epochs=1, shuffle=False, verbose=0)

    looped = bench_fit.tkl_cnn().to(device)
    baseline = bench_fit.hand_written_epoch_fn(looped, torch.optim.SGD(looped.parameters(), lr=0.01), x, y)
    r = compare({"base": baseline, "keras": keras_epoch}, device=device, rounds=rounds, target_seconds=0.5)
    return r["keras"] / r["base"]


def _lstm(device, rounds, masked=False):
    """Keras 3's LSTM(64) on the batch of bench_lstm (and its right-padded mask)."""
    x = torch.randn(16, 20, 32, device=device)
    reference = nn.LSTM(32, 64, batch_first=True).to(device)
    layer = keras.layers.LSTM(64)
    layer(x)
    lengths = torch.randint(5, 21, (16,), generator=torch.Generator().manual_seed(0))
    lengths[0] = 20
    mask = (torch.arange(20)[None] < lengths[:, None]).to(device)
    call = (lambda: layer(x, mask=mask)) if masked else (lambda: layer(x))
    with torch.no_grad():
        r = compare({"base": lambda: reference(x), "keras": call}, device=device, rounds=rounds)
    return r["keras"] / r["base"]


def _attention(device, rounds):
    """Keras 3's MultiHeadAttention on the batch of bench_attention."""
    x = torch.randn(8, 32, 64, device=device)
    reference = nn.MultiheadAttention(64, 8, batch_first=True).to(device).eval()
    layer = keras.layers.MultiHeadAttention(num_heads=8, key_dim=8)
    layer(x, x)
    with torch.no_grad():
        r = compare({"base": lambda: reference(x, x, x, need_weights=False), "keras": lambda: layer(x, x)},
                    device=device, rounds=rounds)
    return r["keras"] / r["base"]


_SCENARIOS = {"bench_dense": _dense, "bench_conv": _conv, "bench_functional": _mlp, "bench_fit": _fit,
              "bench_lstm": _lstm, "bench_lstm:run_masked": lambda d, r: _lstm(d, r, masked=True),
              "bench_attention": _attention}


def ratio(module_name, device, rounds):
    """Keras 3 time over the plain-torch baseline for a scenario, or None."""
    scenario = _SCENARIOS.get(module_name)
    return None if scenario is None else scenario(device, rounds)
