"""Dot (and ``dot``): Keras's test cases, NumPy's tensordot, Keras 3 itself."""

import json

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from keras_parity import check_keras_parity
from layer_testing import run_layer_test
from torch_keraslike.layers.dot import Dot, dot


def arrays(*shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape).astype(np.float32) for shape in shapes]


def numpy_dot(x, y, axes):
    """Sample by sample tensordot over one axis of each input (axes without the batch)."""
    out = np.stack([np.tensordot(a, b, (axes[0] - 1, axes[1] - 1)) for a, b in zip(x, y)])
    return out.reshape(out.shape[0], -1) if out.ndim == 1 else out


@pytest.mark.parametrize("axes, shapes, resolved, expected_shape", [
    (-1, [(2, 4), (2, 4)], (1, 1), (2, 1)),  # Keras's dot_2d case
    (-1, [(2, 4, 5), (2, 4, 5)], (2, 2), (2, 4, 4)),  # Keras's dot_3d case
    ((1, 2), [(2, 3, 4), (2, 5, 3)], (1, 2), (2, 4, 5)),
    ((-2, -1), [(1, 3, 2), (1, 1, 2, 3)], (1, 3), (1, 2, 1, 2)),  # Keras's higher-dim case
    (1, [(2, 3), (2, 3, 4)], (1, 1), (2, 4)),
    ((2, 1), [(2, 4, 3), (2, 3)], (2, 1), (2, 4)),
])
def test_dot_matches_numpy(axes, shapes, resolved, expected_shape):
    xs = arrays(*shapes, seed=1)
    layer, out = run_layer_test(Dot, {"axes": axes}, None, expected_shape,
                                input_data=[torch.from_numpy(x) for x in xs], run_compiled=axes == -1)
    np.testing.assert_allclose(out.numpy(), numpy_dot(*xs, resolved).reshape(expected_shape), rtol=1e-5, atol=1e-5)
    assert layer.compute_output_shape(shapes) == expected_shape
    assert layer.compute_output_shape([(None,) + s[1:] for s in shapes]) == (None,) + expected_shape[1:]


def test_normalize_gives_cosine_similarity():
    x, y = arrays((3, 5), (3, 5), seed=2)
    out = Dot(axes=1, normalize=True)([x, y]).numpy()
    cosine = (x * y).sum(1) / np.linalg.norm(x, axis=1) / np.linalg.norm(y, axis=1)
    np.testing.assert_allclose(out[:, 0], cosine, rtol=1e-5)
    zeros = Dot(axes=1, normalize=True)([np.zeros((1, 3), np.float32), np.ones((1, 3), np.float32)])
    assert zeros.tolist() == [[0.0]]  # a zero vector stays zero (Keras's epsilon)


@pytest.mark.parametrize("kwargs, shapes", [
    ({"axes": -1}, [(2, 4), (2, 4)]),
    ({"axes": -1}, [(2, 4, 5), (2, 4, 5)]),
    ({"axes": (1, 2), "normalize": True}, [(2, 3, 4), (2, 5, 3)]),
    ({"axes": [-2, -1]}, [(2, 3, 2), (2, 1, 2, 3)]),
    ({"axes": (2, 1), "normalize": True}, [(2, 4, 3), (2, 3)]),
])
def test_matches_keras(kwargs, shapes):
    check_keras_parity(Dot, kwargs, arrays(*shapes, seed=3))


def test_functional_form_config_and_mask():
    xs = [torch.from_numpy(x) for x in arrays((2, 4), (2, 4), seed=4)]
    torch.testing.assert_close(dot(xs, axes=1, normalize=True), Dot(1, normalize=True)(xs))
    a, b = tkl.Input(shape=(3, 4)), tkl.Input(shape=(5, 4))
    model = tkl.Model([a, b], dot([a, b], axes=2, name="similarity"))
    assert model.layers[-1].name == "similarity" and model.outputs[0].shape == (None, 3, 5)
    config = json.loads(json.dumps(Dot(axes=[1, 2], normalize=True).get_config()))
    assert Dot.from_config(config).axes == (1, 2) and config["normalize"] is True
    layer = Dot(axes=1)
    assert layer.supports_masking and layer.compute_mask(xs, [torch.ones(2, dtype=torch.bool)] * 2) is None


@pytest.mark.parametrize("kwargs, error, match", [
    ({"axes": "1"}, TypeError, r"Invalid type for argument `axes`: it should be a list or an int"),
    ({"axes": (1, 2, 3)}, ValueError, r"Invalid format for argument `axes`: it should contain two elements"),
    ({"axes": (1, 1.5)}, ValueError, r"Invalid format for argument `axes`: list elements should be integers"),
    ({"axes": 1, "normalize": "yes"}, ValueError, r"normalize must be True or False"),
])
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        Dot(**kwargs)


@pytest.mark.parametrize("axes, inputs, match", [
    (1, [torch.ones(2, 3), torch.ones(2, 4)],
     r"Incompatible input shapes: axis values 3 \(at axis 1\) != 4 \(at axis 1\). Full input shapes: \(2, 3\), \(2, 4\)"),
    (0, [torch.ones(2, 3), torch.ones(2, 3)], "Cannot perform batch_dot over axis 0"),
    (1, [torch.ones(2, 3), torch.ones(3, 3)], "Cannot do batch_dot on inputs with different batch sizes"),
    (1, [torch.ones(3), torch.ones(3)], r"Cannot do batch_dot on inputs with rank < 2"),
    (3, [torch.ones(2, 3), torch.ones(2, 3)], r"axes=3 is out of range for an input of shape \(2, 3\)"),
    (1, [torch.ones(2, 3)] * 3, "A `Dot` layer should be called on a list of 2 inputs"),
    (1, torch.ones(2, 3), "A `Dot` layer should be called on a list of 2 inputs"),
])
def test_bad_inputs_leave_the_layer_unbuilt(axes, inputs, match):
    layer = Dot(axes=axes)
    with pytest.raises(ValueError, match=match):
        layer(inputs)
    assert not layer.built


def test_bad_inputs_after_build_raise_before_the_kernel():
    layer = Dot(axes=1)
    layer([torch.ones(2, 3), torch.ones(2, 3)])
    with pytest.raises(ValueError, match="Incompatible input shapes"):
        layer([torch.ones(2, 3), torch.ones(2, 5)])
    with pytest.raises(ValueError, match="A `Dot` layer should be called on exactly 2 inputs"):
        layer([torch.ones(2, 3)] * 3)
