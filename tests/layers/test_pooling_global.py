"""GlobalAveragePooling1D/2D/3D and GlobalMaxPooling1D/2D/3D: NumPy, masks, Keras 3."""

import numpy as np
import pytest
import torch

from keras_parity import check_keras_parity
from layer_testing import run_layer_test
from torch_keraslike.layers.pooling_global import (
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
)


def to_layout(x, data_format):
    """A channels_last array in ``data_format``'s layout."""
    return x if data_format == "channels_last" else np.moveaxis(x, -1, 1)


GLOBAL = [
    (GlobalAveragePooling1D, (5,), np.mean),
    (GlobalMaxPooling1D, (5,), np.max),
    (GlobalAveragePooling2D, (4, 5), np.mean),
    (GlobalMaxPooling2D, (4, 5), np.max),
    (GlobalAveragePooling3D, (3, 4, 2), np.mean),
    (GlobalMaxPooling3D, (3, 4, 2), np.max),
]


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("cls, spatial, reduce", GLOBAL)
def test_global_pooling(cls, spatial, reduce, data_format, keepdims):
    x = np.random.default_rng(2).standard_normal((2, *spatial, 3)).astype(np.float32)
    axes = tuple(range(1, len(spatial) + 1))
    expected = to_layout(reduce(x, axis=axes, keepdims=True), data_format)
    if not keepdims:
        expected = expected.reshape(2, 3)
    inputs = torch.from_numpy(to_layout(x, data_format).copy())
    layer, out = run_layer_test(
        cls, {"data_format": data_format, "keepdims": keepdims}, None, expected.shape,
        input_data=inputs, run_compiled=keepdims == (data_format == "channels_first"),
    )
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-6)
    assert layer.compute_output_shape(tuple(inputs.shape)) == expected.shape
    assert getattr(layer, "supports_masking", False) == (cls is GlobalAveragePooling1D)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_global_average_pooling_1d_mask(data_format):
    x = np.random.default_rng(3).standard_normal((2, 4, 3)).astype(np.float32)
    x[0, 3] = np.nan  # masked out: must not reach the mean
    mask = np.array([[True, True, False, False], [True, True, True, True]])
    expected = np.stack([x[0, :2].mean(0), x[1].mean(0)])
    inputs = torch.from_numpy(to_layout(x, data_format).copy())
    layer = GlobalAveragePooling1D(data_format=data_format)
    out = layer(inputs, mask=torch.from_numpy(mask))
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-6)
    assert layer.compute_mask(inputs, torch.from_numpy(mask)) is None
    keep = GlobalAveragePooling1D(data_format=data_format, keepdims=True)
    assert keep(inputs, mask=torch.from_numpy(mask).float()).shape == (
        (2, 1, 3) if data_format == "channels_last" else (2, 3, 1))


@pytest.mark.parametrize("cls, shape, kwargs", [
    (GlobalAveragePooling1D, (2, 5, 3), {"keepdims": True}),
    (GlobalMaxPooling1D, (2, 3, 5), {"data_format": "channels_first"}),
    (GlobalAveragePooling2D, (2, 4, 5, 3), {}),
    (GlobalMaxPooling2D, (2, 4, 5, 3), {"keepdims": True}),
    (GlobalAveragePooling3D, (2, 3, 4, 2, 3), {"data_format": "channels_first"}),
    (GlobalMaxPooling3D, (2, 3, 4, 2, 3), {}),
])
def test_matches_keras(cls, shape, kwargs):
    check_keras_parity(cls, kwargs, np.random.default_rng(5).standard_normal(shape).astype(np.float32))


def test_global_average_pooling_1d_mask_matches_keras():
    x = np.random.default_rng(6).standard_normal((2, 4, 3)).astype(np.float32)
    mask = np.array([[True, False, True, False], [True, True, True, False]])
    check_keras_parity(GlobalAveragePooling1D, {}, x, call_kwargs={"mask": mask})


def test_global_pooling_bad_inputs():
    layer = GlobalMaxPooling2D()
    with pytest.raises(ValueError, match="expected ndim=4, found ndim=3"):
        layer(torch.ones(2, 4, 4))
    assert layer(torch.ones(2, 4, 4, 3)).shape == (2, 3)  # still usable
    with pytest.raises(ValueError, match="expected ndim=3, found ndim=2"):
        GlobalAveragePooling1D()(torch.ones(2, 4))
    with pytest.raises(ValueError, match="expected ndim=5, found ndim=4"):
        GlobalAveragePooling3D()(torch.ones(2, 4, 4, 4))
    with pytest.raises(ValueError, match='Layer "global_average_pooling2d.*keepdims must be True or False'):
        GlobalAveragePooling2D(keepdims="yes")
    with pytest.raises(ValueError, match="Invalid data_format"):
        GlobalAveragePooling2D(data_format="NCHW")


def test_moved_classes_still_import_from_pooling():
    from torch_keraslike.layers import pooling

    assert pooling.GlobalMaxPooling2D is GlobalMaxPooling2D
