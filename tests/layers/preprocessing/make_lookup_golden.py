"""Writes ``data/lookup_golden.json``: outputs of Keras 3's ``Hashing``,
``HashedCrossing`` and ``IntegerLookup``, which need TensorFlow (their hashes and
tables are TensorFlow ops), so the tests compare against Keras's numbers without it.

Run once with TensorFlow installed (it is not a test dependency)::

    KERAS_BACKEND=tensorflow python tests/layers/preprocessing/make_lookup_golden.py
"""

import json
import os
from pathlib import Path

import numpy as np

OUT = Path(__file__).parent / "data" / "lookup_golden.json"


def values():
    rng = np.random.default_rng(0)
    extremes = [np.iinfo(np.int64).min, np.iinfo(np.int64).max, 0, -1, 10**15, -(10**16), 7, 99, -999]
    return np.concatenate([np.arange(-40, 40), rng.integers(-2**62, 2**62, 60, dtype=np.int64),
                           rng.integers(-10**9, 10**9, 60), np.array(extremes)]).astype(np.int64)


def main():
    # Imported here: collecting this module (pytest's doctests) must not import Keras.
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import keras

    x = values()
    cases = {"values": x.tolist()}
    hashing = {
        "fast_3": dict(num_bins=3),
        "fast_1000003": dict(num_bins=1000003),
        "salt_pair": dict(num_bins=1000003, salt=[133, 7**20]),
        "salt_int": dict(num_bins=97, salt=42),
        "mask": dict(num_bins=5, mask_value=0),
    }
    cases["hashing"] = {name: keras.layers.Hashing(**kw)(x.reshape(-1, 1)).numpy().reshape(-1).tolist()
                        for name, kw in hashing.items()}
    small = np.array([[1, 2, 2], [7, 0, 3]])
    cases["hashing_modes"] = {mode: keras.layers.Hashing(num_bins=4, output_mode=mode)(small).numpy().tolist()
                              for mode in ("one_hot", "multi_hot", "count")}
    a, b, c = x[:80], x[80:160], x[120:200]
    cases["crossing"] = {
        "pair": keras.layers.HashedCrossing(num_bins=1000003)([a, b]).numpy().tolist(),
        "triple": keras.layers.HashedCrossing(num_bins=1000003)([a, b, c]).numpy().tolist(),
        "pair_2d": keras.layers.HashedCrossing(num_bins=7)([a[:5, None], b[:5, None]]).numpy().tolist(),
        "one_hot": keras.layers.HashedCrossing(num_bins=5, output_mode="one_hot")([a[:4], b[:4]]).numpy().tolist(),
    }
    vocab = [12, 36, 1138, 42]
    tokens = np.array([[12, 1138, 42, 5], [42, 1000, 36, 0], [-3, 12, 12, 0]])
    lookup = {
        "default": dict(vocabulary=vocab),
        "mask": dict(vocabulary=vocab, mask_token=0),
        "oov2_floormod": dict(vocabulary=vocab, num_oov_indices=2),
        "oov3_farmhash": dict(vocabulary=vocab, num_oov_indices=3, oov_method="farmhash"),
        "oov3_salt": dict(vocabulary=vocab, num_oov_indices=3, oov_method="farmhash", salt=11),
        "one_hot": dict(vocabulary=vocab, output_mode="one_hot"),
        "multi_hot_mask": dict(vocabulary=vocab, output_mode="multi_hot", mask_token=0),
        "count_pad": dict(vocabulary=vocab, output_mode="count", max_tokens=8, pad_to_max_tokens=True),
        "tf_idf": dict(vocabulary=vocab, output_mode="tf_idf", idf_weights=[0.5, 1.5, 2.0, 0.25]),
    }
    cases["lookup_tokens"] = tokens.tolist()
    cases["lookup"] = {}
    for name, kw in lookup.items():
        layer = keras.layers.IntegerLookup(**kw)
        inputs = tokens[:, :1] if name == "one_hot" else tokens
        cases["lookup"][name] = {"kwargs": kw, "output": layer(inputs).numpy().tolist(),
                                 "vocabulary": [int(v) for v in layer.get_vocabulary()]}
    inverse = keras.layers.IntegerLookup(vocabulary=vocab, invert=True, mask_token=0)
    cases["lookup_invert"] = inverse(np.array([[0, 1, 2, 3], [4, 5, 9, 2]])).numpy().tolist()
    data = np.array([[7, 7, 3, 9], [3, 3, 7, 1], [9, 7, 2, 2], [7, 0, 0, -1]])
    adapted = {}
    for name, kw in {"plain": {}, "max_tokens": dict(max_tokens=4), "mask_oov": dict(mask_token=0, num_oov_indices=2),
                     "tf_idf": dict(output_mode="tf_idf")}.items():
        layer = keras.layers.IntegerLookup(**kw)
        layer.adapt(data)
        adapted[name] = {"kwargs": kw, "vocabulary": [int(v) for v in layer.get_vocabulary()],
                         "output": layer(data).numpy().tolist()}
        if name == "tf_idf":
            adapted[name]["idf_weights"] = layer.idf_weights.numpy().tolist()
    cases["lookup_adapt"] = {"data": data.tolist(), "cases": adapted}
    OUT.write_text(json.dumps(cases))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
