"""tkl.utils.to_categorical / normalize, against Keras's semantics."""

import math

import numpy as np
import pytest
import torch
from keras_reference import import_keras, to_numpy

import torch_keraslike as tkl
from torch_keraslike.utils import normalize, to_categorical


def test_to_categorical_keras_docstring_example():
    out = to_categorical([0, 1, 2, 3], num_classes=4)
    assert isinstance(out, np.ndarray) and out.dtype == np.float64
    np.testing.assert_array_equal(out, np.eye(4))


@pytest.mark.parametrize("labels,num_classes", [
    ([0, 1, 2], None),
    (np.array([[1], [2], [0]]), 4),  # the trailing 1-axis is dropped
    (np.array([[0, 1], [2, 1]]), None),
    (np.zeros((2, 3, 1), dtype="int32"), 2),
    (5, 6),
    (np.array([1.0, 0.0, 3.0]), None),  # whole-valued floats are labels too
    ([[2]], 3),
])
def test_to_categorical_matches_keras_on_arrays(labels, num_classes):
    keras = import_keras()
    expected = keras.utils.to_categorical(labels, num_classes)
    received = to_categorical(labels, num_classes)
    assert received.shape == expected.shape and received.dtype == expected.dtype
    np.testing.assert_array_equal(received, expected)


def test_to_categorical_on_tensors_returns_floatx_tensors():
    keras = import_keras()
    labels = torch.tensor([[0], [2], [1]])
    out = to_categorical(labels, 3)
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float32 and out.shape == (3, 3)
    np.testing.assert_array_equal(out.numpy(), to_numpy(keras.utils.to_categorical(labels, 3)))
    assert to_categorical(torch.tensor([1, 3])).shape == (2, 4)  # inferred num_classes


@pytest.mark.parametrize("labels,num_classes,message", [
    ([0, -1], 3, r"class values must be in \[0, 3\) for num_classes=3, but `x` contains -1"),
    ([0, 3], 3, r"but `x` contains 3. Fix: pass the right num_classes"),
    ([0.5, 1.0], None, r"class values must be whole numbers"),
    (torch.tensor([0.5]), 2, r"class values must be whole numbers"),
    ([0, 1], 0, r"`num_classes` must be a positive int or None, but received num_classes=0"),
    ([0, 1], 2.0, r"`num_classes` must be a positive int or None"),
    ([], None, r"`x` is empty, so the number of classes cannot be inferred"),
    (["a", "b"], None, r"`x` must hold integer class values"),
    ([True, False], None, r"`x` must hold integer class values"),
])
def test_to_categorical_errors(labels, num_classes, message):
    with pytest.raises(ValueError, match=message):
        to_categorical(labels, num_classes)


def test_to_categorical_leaves_its_input_unchanged():
    labels = np.array([[2], [0]])
    to_categorical(labels, 3)
    np.testing.assert_array_equal(labels, [[2], [0]])
    with pytest.raises(TypeError, match="KerasTensor"):
        to_categorical(tkl.Input((1,), dtype="int64"))


def test_normalize_keras_docstring_example():
    x = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    expected = [[0.26726124, 0.5345225, 0.8017837], [0.45584232, 0.5698029, 0.68376344]]
    np.testing.assert_allclose(normalize(x).numpy(), expected, rtol=1e-6)


@pytest.mark.parametrize("x,kwargs", [
    (np.array([[3.0, 4.0], [0.0, 0.0]]), {}),
    (np.array([[1.0, 2.0, 2.0], [4.0, 0.0, 3.0]], dtype="float32"), {"order": 1}),
    (np.arange(24, dtype="float64").reshape(2, 3, 4), {"axis": 1}),
    (np.array([[3, 4], [6, 8]], dtype="int32"), {"axis": -1}),
])
def test_normalize_numpy_matches_keras(x, kwargs):
    keras = import_keras()
    expected = keras.utils.normalize(x, **kwargs)
    received = normalize(x, **kwargs)
    assert isinstance(received, np.ndarray) and received.dtype == expected.dtype
    np.testing.assert_allclose(received, expected, rtol=1e-6)


@pytest.mark.parametrize("axis,order", [(-1, 2), (0, 2), (1, 1), (0, 3)])
def test_normalize_tensor_matches_keras(axis, order):
    keras = import_keras()
    x = torch.tensor([[1.0, -2.0, 3.0], [0.0, 0.0, 0.0], [4.0, 5.0, -6.0]])
    expected = to_numpy(keras.utils.normalize(x, axis=axis, order=order))
    received = normalize(x, axis=axis, order=order)
    assert isinstance(received, torch.Tensor)
    np.testing.assert_allclose(received.numpy(), expected, rtol=1e-5, atol=1e-7)


def test_normalize_numpy_axis_0_and_1d_keep_the_input_layout():
    # Keras's NumPy path mis-broadcasts for axis=0 and adds an axis to 1-D input; here
    # the result has the input's shape and matches the tensor path.
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose(normalize(x, axis=0), x / np.linalg.norm(x, axis=0, keepdims=True))
    np.testing.assert_allclose(normalize(x, axis=0), normalize(torch.from_numpy(x), axis=0).numpy())
    assert normalize(np.array([3.0, 4.0])).tolist() == [0.6, 0.8]
    np.testing.assert_allclose(normalize([[1.0, -3.0]], order=math.inf), [[1 / 3, -1.0]])
    assert normalize(torch.tensor([3, 4])).dtype == torch.float32


@pytest.mark.parametrize("kwargs,message", [
    ({"order": 0}, r"`order` must be an int >= 1 or math.inf, but received order=0"),
    ({"order": 1.5}, r"`order` must be an int >= 1"),
    ({"axis": 2}, r"`axis`=2 is not an axis of `x` of shape \(2, 2\)"),
    ({"axis": None}, r"`axis`=None is not an axis"),
])
def test_normalize_errors(kwargs, message):
    x = np.ones((2, 2))
    with pytest.raises(ValueError, match=message):
        normalize(x, **kwargs)
    with pytest.raises(ValueError, match=message.replace("numpy", "")):
        normalize(torch.ones(2, 2), **kwargs)
    np.testing.assert_array_equal(x, np.ones((2, 2)))


def test_normalize_rejects_non_numbers():
    with pytest.raises(ValueError, match="`x` must hold real numbers"):
        normalize(np.array(["a", "b"]))
    with pytest.raises(ValueError, match="`x` must hold real numbers"):
        normalize(torch.ones(2, dtype=torch.complex64))
    with pytest.raises(ValueError, match="is not an axis"):
        normalize(np.float64(3.0))
