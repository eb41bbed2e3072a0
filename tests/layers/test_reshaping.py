"""Reshape, Permute and RepeatVector (Flatten's tests are in test_core.py)."""

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from layer_testing import run_layer_test
from torch_keraslike.layers.reshaping import Permute, RepeatVector, Reshape


def to_layout(x, data_format):
    """A channels_last array in ``data_format``'s layout."""
    return x if data_format == "channels_last" else np.moveaxis(x, -1, 1)


def random_images(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


# ------------------------------------------------------------------- Reshape
@pytest.mark.parametrize("target, in_shape, out_shape", [
    ((3, 4), (2, 12), (2, 3, 4)),
    ((-1, 2), (2, 3, 4), (2, 6, 2)),
    ((12,), (2, 3, 4), (2, 12)),
    ((2, -1, 3), (2, 12), (2, 2, 2, 3)),
])
def test_reshape_matches_numpy(target, in_shape, out_shape):
    layer, out = run_layer_test(Reshape, {"target_shape": target}, in_shape, out_shape, run_compiled=-1 in target)
    x = random_images(in_shape)
    np.testing.assert_array_equal(layer(x).numpy(), x.reshape(out_shape))
    assert layer.get_config()["target_shape"] == target


def test_reshape_output_shape_with_unknown_sizes():
    assert Reshape((-1, 4)).compute_output_shape((None, None, 8)) == (None, None, 4)
    assert Reshape((2, 4)).compute_output_shape((None, None, 8)) == (None, 2, 4)
    assert Reshape((-1, 4)).compute_output_shape((None, 3, 8)) == (None, 6, 4)
    assert Reshape(6).compute_output_shape((5, 2, 3)) == (5, 6)


def test_reshape_errors():
    with pytest.raises(ValueError, match=r"at most one unknown dimension \(-1\) in target_shape"):
        Reshape((-1, -1))
    for bad in [(0, 3), (2, "a"), None, (2.0,), (-2, 3)]:
        with pytest.raises(ValueError, match="target_shape must be a tuple of positive ints"):
            Reshape(bad)
    message = r"The total size of the tensor must be unchanged. Received: input_shape=\(12,\), target_shape=\(5, 2\)"
    with pytest.raises(ValueError, match=message):
        Reshape((5, 2))(torch.ones(2, 12))
    layer = Reshape((-1, 5))
    assert layer(torch.ones(2, 10)).shape == (2, 2, 5)
    with pytest.raises(ValueError, match="The total size of the tensor must be unchanged"):
        layer(torch.ones(2, 12))
    with pytest.raises(ValueError, match="The total size of the tensor must be unchanged"):
        Reshape((5, 2)).compute_output_shape((None, 3, 4))
    with pytest.raises(ValueError, match="expected min_ndim=1, found ndim=0"):
        Reshape((1,))(torch.tensor(1.0))


# ------------------------------------------------------------------- Permute
@pytest.mark.parametrize("dims, in_shape, out_shape", [
    ((2, 1), (2, 3, 4), (2, 4, 3)),
    ((3, 1, 2), (2, 3, 4, 5), (2, 5, 3, 4)),
    ((1,), (2, 3), (2, 3)),
])
def test_permute_matches_numpy(dims, in_shape, out_shape):
    layer, out = run_layer_test(Permute, {"dims": dims}, in_shape, out_shape, run_compiled=len(dims) == 3)
    x = random_images(in_shape)
    np.testing.assert_array_equal(layer(x).numpy(), np.transpose(x, (0,) + dims))
    assert layer.compute_output_shape((None,) + in_shape[1:]) == (None,) + out_shape[1:]
    assert layer.get_config()["dims"] == dims


def test_permute_errors():
    for bad in [(1, 3), (0, 1), (2, 2), (), "ab", 2, (1.0, 2.0)]:
        with pytest.raises(ValueError, match="Invalid permutation argument `dims` for Permute Layer"):
            Permute(bad)
    with pytest.raises(ValueError, match="expected ndim=3, found ndim=4"):
        Permute((2, 1))(torch.ones(2, 3, 4, 5))


# -------------------------------------------------------------- RepeatVector
def test_repeat_vector():
    layer, out = run_layer_test(RepeatVector, {"n": 3}, (2, 4), (2, 3, 4))
    x = random_images((2, 4))
    np.testing.assert_array_equal(layer(x).numpy(), np.repeat(x[:, None], 3, axis=1))
    assert layer.compute_output_shape((None, 4)) == (None, 3, 4)
    assert layer.get_config()["n"] == 3
    out = layer(torch.tensor([[1, 2]]))
    assert out.dtype == torch.int64 and out.tolist() == [[[1, 2]] * 3]
    out += 1  # a real copy: in-place updates touch one element each
    assert out.tolist() == [[[2, 3]] * 3]
    assert tkl.Input(shape=(4,)).shape == (None, 4)
    assert layer(tkl.Input(shape=(4,))).shape == (None, 3, 4)


def test_repeat_vector_errors():
    for bad in ["3", 3.5, [3], True]:
        with pytest.raises(TypeError, match="Expected an integer value for `n`"):
            RepeatVector(bad)
    for bad in [0, -1]:
        with pytest.raises(ValueError, match=r"Argument `n` should be a positive integer. Received: n="):
            RepeatVector(n=bad)
    layer = RepeatVector(2)
    with pytest.raises(ValueError, match="expected ndim=2, found ndim=3"):
        layer(torch.ones(2, 3, 4))
    assert not layer.built
