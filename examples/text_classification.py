"""IMDB-style text classification with masks, on generated reviews (no downloads).

Each "review" is a list of word ids of random length. Reviews whose positive words
(ids 3, 4, 5) outnumber the negative ones (6, 7, 8) are positive. They are padded with
zeros (``pad_sequences``), and ``Embedding(mask_zero=True)`` marks the padding: the
bidirectional LSTM skips it, as Keras does, so a prediction does not depend on how much
padding a review gets. The model is trained with ``compile``/``fit``, then asked for the
same reviews padded longer, at either end.

Run: python examples/text_classification.py [--device cuda] [--epochs 6] [--samples 2000]
"""

import time

import numpy as np
import torch

import torch_keraslike as tkl
from _common import parse_device
from torch_keraslike import layers

VOCABULARY = 40
POSITIVE, NEGATIVE = (3, 4, 5), (6, 7, 8)


def make_reviews(count, seed=0, min_length=4, max_length=24):
    """Ragged lists of word ids (no zeros: 0 is padding) and 0/1 labels."""
    rng = np.random.default_rng(seed)
    reviews, labels = [], []
    for _ in range(count):
        length = int(rng.integers(min_length, max_length + 1))
        words = rng.integers(9, VOCABULARY, size=length)  # neutral words
        sentiment = rng.integers(0, 2)
        strong, weak = (POSITIVE, NEGATIVE) if sentiment else (NEGATIVE, POSITIVE)
        count_strong = int(rng.integers(2, 4))
        count_weak = int(rng.integers(0, count_strong))
        places = rng.choice(length, size=min(length, count_strong + count_weak), replace=False)
        for index, place in enumerate(places):
            words[place] = rng.choice(strong if index < count_strong else weak)
        reviews.append(words.tolist())
        labels.append(int(sentiment))
    return reviews, np.array(labels, dtype="float32")[:, None]


def build_model():
    return tkl.Sequential([
        tkl.Input((None,), dtype="int64"),
        layers.Embedding(VOCABULARY, 16, mask_zero=True),
        layers.Bidirectional(layers.LSTM(16)),
        layers.Dense(1, activation="sigmoid"),
    ], name="reviews")


def main():
    def extra(parser):
        parser.add_argument("--epochs", type=int, default=6)
        parser.add_argument("--samples", type=int, default=2000)

    args = parse_device(__doc__, extra)
    tkl.utils.set_random_seed(0)
    reviews, labels = make_reviews(args.samples)
    test_reviews, test_labels = make_reviews(400, seed=1)
    x = tkl.utils.pad_sequences(reviews, maxlen=24)  # Keras's default: padding before
    x_test = tkl.utils.pad_sequences(test_reviews, maxlen=24)
    model = build_model().to(args.device)
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    start = time.perf_counter()
    history = model.fit(x, labels, epochs=args.epochs, batch_size=64, validation_split=0.1, verbose=2)
    print(f"trained in {time.perf_counter() - start:.1f} s")
    print("loss per epoch:", [round(v, 4) for v in history.history["loss"]])
    loss, accuracy = model.evaluate(x_test, test_labels, verbose=0)
    print(f"test accuracy: {accuracy:.3f}")

    predictions = model.predict(x_test, verbose=0)
    for padding in ("pre", "post"):
        longer = tkl.utils.pad_sequences(test_reviews, maxlen=40, padding=padding)
        change = np.abs(model.predict(longer, verbose=0) - predictions).max()
        print(f"largest change with 16 more padding steps ({padding}): {change:.2e}")
    model.summary()


if __name__ == "__main__":
    main()
