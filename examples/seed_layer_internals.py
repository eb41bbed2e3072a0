"""The first seed document, run on torch_keraslike.

1. ``SimpleDense``: weights created lazily in ``build`` with ``add_weight``.
2. ``Dense(input_shape=(10,), units=15)`` called on a NumPy array: returns a tensor.
3. The incompatible-input error: a ``Dense`` built for 5 features called with 4.
4. Eager vs graph mode: ``tkl.executing_eagerly()`` and ``tkl.function``.

Run: python examples/seed_layer_internals.py [--device cuda]
"""

import numpy as np
import torch

import torch_keraslike as tkl
from _common import parse_device
from torch_keraslike import layers


class SimpleDense(tkl.Layer):
    def __init__(self, units=32):
        super().__init__()
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros")

    def call(self, inputs):
        return torch.matmul(inputs, self.w) + self.b


def main():
    args = parse_device(__doc__)
    device = args.device

    # 1. Lazy build: no weights until the first call.
    layer = SimpleDense(4).to(device)
    print("built before call:", layer.built)
    print(layer(torch.ones((2, 2), device=device)))
    print("weights:", {k: tuple(v.shape) for k, v in layer.state_dict().items() if k != "_extra_state"})

    # 2. input_shape= builds at construction; NumPy in, tensor out.
    dense = layers.Dense(input_shape=(10,), units=15).to(device)
    output = dense(np.random.rand(20, 10))
    print("output:", type(output).__name__, tuple(output.shape))

    # 3. Input compatibility checking with Keras's message.
    checked = layers.Dense(3).to(device)
    checked(np.random.rand(10, 5))
    try:
        checked(np.random.rand(10, 4))
    except ValueError as error:
        print("ValueError:", str(error).splitlines()[0])

    # 4. Eager execution vs graph mode through torch.compile.
    @tkl.function(backend="eager")
    def mode(x):
        return x + (1.0 if tkl.executing_eagerly() else 0.0)

    print("executing eagerly:", tkl.executing_eagerly(), "| traced result:", mode(torch.zeros(1, device=device)).item())


if __name__ == "__main__":
    main()
