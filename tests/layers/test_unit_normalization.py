"""UnitNormalization."""

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from keras_reference import assert_layer_matches_keras, import_keras
from layer_testing import run_layer_test
from torch_keraslike.layers.unit_normalization import UnitNormalization


@pytest.mark.parametrize("axis, shape", [(-1, (2, 3)), ((1, 2), (1, 3, 3)), ([-2, -1], (2, 4, 5))])
def test_unit_norm_common(axis, shape):
    run_layer_test(UnitNormalization, {"axis": axis}, shape, shape)


@pytest.mark.parametrize("axis", [-1, 1, (1, 2), [-2, -1]])
def test_unit_norm_has_unit_norm_over_axes(axis):
    x = torch.randn(3, 4, 5)
    out = UnitNormalization(axis=axis)(x)
    dims = list(axis) if isinstance(axis, (list, tuple)) else [axis]
    torch.testing.assert_close(out.square().sum(dims), torch.ones_like(x.square().sum(dims)))
    torch.testing.assert_close(out, x / x.norm(dim=dims, keepdim=True))


def test_zero_vectors_stay_zero_and_ints_give_floats():
    out = UnitNormalization()(torch.zeros(2, 3))
    assert torch.equal(out, torch.zeros(2, 3))
    ints = UnitNormalization()(np.arange(6).reshape(2, 3))
    assert ints.dtype == torch.float32
    np.testing.assert_allclose(float((ints[0] ** 2).sum()), 1.0, rtol=1e-6)
    assert UnitNormalization()(tkl.Input((3,), dtype="int64")).dtype == torch.float32


def test_mask_passes_through():
    assert UnitNormalization.supports_masking is True


@pytest.mark.parametrize("axis", [-1, [1, 2]])
def test_unit_norm_matches_keras(axis):
    keras = import_keras()
    x = np.random.default_rng(0).standard_normal((3, 4, 5)).astype(np.float32)
    assert_layer_matches_keras(UnitNormalization(axis=axis), keras.layers.UnitNormalization(axis=axis), x,
                               copy_weights=False)


def test_bad_axis():
    for bad in ("a", 1.5, None, [0, "x"], []):
        with pytest.raises(TypeError, match="invalid value for `axis` argument"):
            UnitNormalization(axis=bad)
    with pytest.raises(ValueError, match="axis contains duplicates"):
        UnitNormalization(axis=[1, 1])
    layer = UnitNormalization(axis=2)
    with pytest.raises(ValueError, match="expected min_ndim=3, found ndim=2"):
        layer(torch.ones(2, 3))
    with pytest.raises(ValueError, match="axis 2 is out of bounds for input shape"):
        layer.compute_output_shape((2, 3))
    with pytest.raises(ValueError, match="names the same axis twice"):
        UnitNormalization(axis=[1, -1])(torch.ones(2, 3))
    assert UnitNormalization(axis=(1, 2)).get_config()["axis"] == [1, 2]
