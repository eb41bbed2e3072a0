"""tkl.utils.pad_sequences: Keras's pad_sequences, checked against Keras itself."""

import itertools

import numpy as np
import pytest
import torch
from keras_reference import import_keras

from torch_keraslike.utils import pad_sequences

SEQUENCES = [[1], [2, 3], [4, 5, 6]]


def test_keras_docstring_examples():
    np.testing.assert_array_equal(pad_sequences(SEQUENCES), [[0, 0, 1], [0, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(pad_sequences(SEQUENCES, value=-1), [[-1, -1, 1], [-1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(pad_sequences(SEQUENCES, padding="post"), [[1, 0, 0], [2, 3, 0], [4, 5, 6]])
    out = pad_sequences(SEQUENCES, maxlen=2)
    np.testing.assert_array_equal(out, [[0, 1], [2, 3], [5, 6]])
    assert out.dtype == np.int32


@pytest.mark.parametrize("maxlen,padding,truncating", list(itertools.product(
    [None, 1, 2, 4, 7], ["pre", "post"], ["pre", "post"])))
def test_matches_keras_on_ragged_lists(maxlen, padding, truncating):
    keras = import_keras()
    sequences = [[1, 2, 3, 4, 5], [], [6], [7, 8, 9], np.array([10, 11]), (12, 13, 14, 15)]
    kwargs = {"maxlen": maxlen, "padding": padding, "truncating": truncating, "value": 9.5}
    expected = keras.utils.pad_sequences(sequences, **kwargs)
    received = pad_sequences(sequences, **kwargs)
    assert received.dtype == expected.dtype and received.shape == expected.shape
    np.testing.assert_array_equal(received, expected)


@pytest.mark.parametrize("kwargs", [
    {"dtype": "float32", "value": 0.5},
    {"dtype": "float64", "maxlen": 3, "padding": "post"},
    {"dtype": "int64", "value": -7, "truncating": "post", "maxlen": 2},
])
def test_matches_keras_for_dtypes_and_values(kwargs):
    keras = import_keras()
    sequences = [[0.25, 1.5], [2.0], [3.0, 4.0, 5.0, 6.0]]
    expected = keras.utils.pad_sequences(sequences, **kwargs)
    received = pad_sequences(sequences, **kwargs)
    assert received.dtype == expected.dtype
    np.testing.assert_array_equal(received, expected)


def test_matches_keras_for_sample_shapes_and_strings():
    keras = import_keras()
    steps = [np.ones((2, 3)), np.zeros((0, 3)), np.full((4, 3), 2.0)]
    np.testing.assert_array_equal(pad_sequences(steps, dtype="float32", maxlen=3),
                                  keras.utils.pad_sequences(steps, dtype="float32", maxlen=3))
    words = [["a", "bb"], ["ccc"]]
    expected = keras.utils.pad_sequences(words, dtype=object, value="<pad>")
    received = pad_sequences(words, dtype=object, value="<pad>")
    assert received.tolist() == expected.tolist() == [["a", "bb"], ["<pad>", "ccc"]]
    fixed = pad_sequences(words, dtype="<U5", value="-", padding="post")
    assert fixed.tolist() == keras.utils.pad_sequences(words, dtype="<U5", value="-", padding="post").tolist()


def test_tensors_and_edge_cases():
    out = pad_sequences([torch.tensor([1, 2]), torch.tensor([3])], padding="post")
    np.testing.assert_array_equal(out, [[1, 2], [3, 0]])
    assert pad_sequences([]).shape == (0, 0)
    assert pad_sequences([[], []]).shape == (2, 0)
    np.testing.assert_array_equal(pad_sequences([[1, 2], [3]], maxlen=0), np.zeros((2, 0)))


@pytest.mark.parametrize("args,kwargs,message", [
    ((5,), {}, r"`sequences` must be a list of sequences, but received int: 5"),
    (("abc",), {}, r"`sequences` must be a list of sequences, but received str"),
    (([[1], 2],), {}, r"`sequences` must be a list of iterables, but the entry at position 1 is not one: 2"),
    ((SEQUENCES,), {"padding": "middle"}, r'padding type "middle" not understood. Expected "pre" or "post"'),
    ((SEQUENCES,), {"truncating": "end"}, r'truncating type "end" not understood'),
    ((SEQUENCES,), {"maxlen": -1}, r"`maxlen` must be None or a non-negative int, but received maxlen=-1"),
    ((SEQUENCES,), {"maxlen": 2.0}, r"`maxlen` must be None or a non-negative int"),
    (([["a"]],), {"value": "x"}, r"`dtype` int32 is not compatible with `value`'s type str. Fix: set dtype=object"),
    (([np.ones((2, 3)), np.ones((1, 4))],), {}, r"the steps of the sequence at position 1 have shape \(4,\), but "
                                                r"the first non-empty sequence's steps have shape \(3,\)"),
])
def test_errors(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        pad_sequences(*args, **kwargs)


def test_input_is_not_modified():
    sequences = [[1, 2, 3], [4]]
    pad_sequences(sequences, maxlen=2, padding="post", truncating="post")
    assert sequences == [[1, 2, 3], [4]]
