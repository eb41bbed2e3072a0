"""MNIST-like digit classification with ``Model.fit``, on generated data (no downloads).

Each class is a 7-segment digit drawn on a 28x28 canvas with random stroke width,
offset and noise. A small CNN (Conv2D, BatchNormalization, pooling, Dropout) is trained
with ``compile``/``fit`` and Keras names (``"adam"``, ``"sparse_categorical_crossentropy"``,
``"accuracy"``), with EarlyStopping on the validation split, then evaluated.

Run: python examples/mnist_like.py [--device cuda] [--epochs 4] [--samples 6000]
"""

import time

import torch

import torch_keraslike as tkl
from _common import parse_device
from torch_keraslike import layers

# Segments a..g of a seven-segment display, lit for each digit.
_SEGMENTS = {0: "abcdef", 1: "bc", 2: "abdeg", 3: "abcdg", 4: "bcfg", 5: "acdfg", 6: "acdefg",
             7: "abc", 8: "abcdefg", 9: "abcdfg"}


def make_digits(count, seed=0, size=28):
    """Images (count, 28, 28, 1) in [0, 1] and integer labels (count,)."""
    generator = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 10, (count,), generator=generator)
    images = torch.zeros(count, size, size)
    for index, label in enumerate(labels.tolist()):
        top, left = torch.randint(3, 8, (2,), generator=generator).tolist()
        height, width = 16, 10
        thick = int(torch.randint(2, 4, (1,), generator=generator))
        boxes = {
            "a": (top, left, thick, width), "g": (top + height // 2, left, thick, width),
            "d": (top + height - thick, left, thick, width),
            "f": (top, left, height // 2, thick), "b": (top, left + width - thick, height // 2, thick),
            "e": (top + height // 2, left, height // 2, thick),
            "c": (top + height // 2, left + width - thick, height // 2, thick),
        }
        for segment in _SEGMENTS[label]:
            y, x, h, w = boxes[segment]
            images[index, y:y + h, x:x + w] = 1.0
    images += 0.25 * torch.randn(images.shape, generator=generator)
    return images.clamp(0, 1).unsqueeze(-1), labels


def build_model():
    return tkl.Sequential([
        tkl.Input((28, 28, 1)),
        layers.Conv2D(16, 3, activation="relu"),
        layers.BatchNormalization(),
        layers.MaxPooling2D(),
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dropout(0.25),
        layers.Dense(10, activation="softmax"),
    ], name="digits")


def main():
    def options(parser):
        parser.add_argument("--epochs", type=int, default=4)
        parser.add_argument("--samples", type=int, default=6000)

    args = parse_device(__doc__, options)
    torch.manual_seed(0)
    x_train, y_train = make_digits(args.samples, seed=1)
    x_test, y_test = make_digits(1000, seed=2)
    model = build_model().to(args.device)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    start = time.perf_counter()
    history = model.fit(x_train.numpy(), y_train.numpy(), batch_size=64, epochs=args.epochs,
                        validation_split=0.1, verbose=2,
                        callbacks=[tkl.callbacks.EarlyStopping(monitor="val_loss", patience=2)])
    results = model.evaluate(x_test.numpy(), y_test.numpy(), verbose=0, return_dict=True)
    print(f"loss per epoch: {[round(v, 4) for v in history.history['loss']]}")
    print(f"test accuracy: {results['accuracy']:.3f} ({time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    main()
