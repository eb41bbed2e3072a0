"""A text classifier on variable-length token sequences, written for Keras 3.

Ported to torch_keraslike by changing one line: ``import keras`` became the import
below. Sequences are padded with ``keras.utils.pad_sequences``; padding is masked by
``Embedding(mask_zero=True)``, so the average ignores it. Task (synthetic): does the
sequence contain more tokens from the upper half of the vocabulary than from the lower?

Run: python examples/port_from_keras/text_classifier.py [--epochs N]
"""

import argparse

import numpy as np

import torch_keraslike as keras

VOCAB = 50


def make_data(count, rng):
    sequences, labels = [], []
    for _ in range(count):
        tokens = rng.integers(1, VOCAB, size=rng.integers(3, 20))
        sequences.append(tokens.tolist())
        labels.append(int((tokens >= VOCAB // 2).sum() > (tokens < VOCAB // 2).sum()))
    return sequences, np.array(labels)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args()
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    train_sequences, train_labels = make_data(2000, rng)
    test_sequences, test_labels = make_data(500, rng)
    x_train = keras.utils.pad_sequences(train_sequences, maxlen=20, padding="post")
    x_test = keras.utils.pad_sequences(test_sequences, maxlen=20, padding="post")

    model = keras.Sequential([
        keras.Input((20,), dtype="int64"),
        keras.layers.Embedding(VOCAB, 16, mask_zero=True),
        keras.layers.GlobalAveragePooling1D(),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x_train, train_labels, batch_size=64, epochs=args.epochs, validation_split=0.1, verbose=0)
    loss, accuracy = model.evaluate(x_test, test_labels, verbose=0)
    # Masked padding: the same sequence padded to a longer length predicts the same.
    longer = keras.utils.pad_sequences(test_sequences[:8], maxlen=40, padding="post")
    wide = keras.Sequential([keras.Input((40,), dtype="int64")] + list(model.layers))
    same = np.allclose(model.predict(x_test[:8], verbose=0), wide.predict(longer, verbose=0), atol=1e-5)
    print(f"test accuracy {accuracy:.3f} (chance 0.5); padding-invariant predictions: {same}")


if __name__ == "__main__":
    main()
