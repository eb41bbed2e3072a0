"""ZeroPadding1D/2D/3D: NumPy's pad, Keras's test cases and Keras 3 itself."""

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from keras_parity import check_keras_parity
from layer_testing import run_layer_test
from torch_keraslike.layers.padding import ZeroPadding1D, ZeroPadding2D, ZeroPadding3D

CLASSES = {1: ZeroPadding1D, 2: ZeroPadding2D, 3: ZeroPadding3D}


def to_layout(x, data_format):
    """A channels_last array in ``data_format``'s layout."""
    return x if data_format == "channels_last" else np.moveaxis(x, -1, 1)


def random_images(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("rank, padding, pads", [
    (1, 2, ((2, 2),)),
    (1, (1, 3), ((1, 3),)),
    (2, 1, ((1, 1), (1, 1))),
    (2, (2, 1), ((2, 2), (1, 1))),
    (2, ((1, 0), (2, 3)), ((1, 0), (2, 3))),
    (2, (0, (0, 2)), ((0, 0), (0, 2))),
    (3, 1, ((1, 1), (1, 1), (1, 1))),
    (3, (1, 2, 0), ((1, 1), (2, 2), (0, 0))),
    (3, ((0, 1), 2, (3, 0)), ((0, 1), (2, 2), (3, 0))),
])
def test_zero_padding_matches_numpy(rank, padding, pads, data_format):
    x = random_images((2,) + (3, 4, 2)[:rank] + (2,))
    expected = to_layout(np.pad(x, ((0, 0),) + pads + ((0, 0),)), data_format)
    inputs = torch.from_numpy(to_layout(x, data_format).copy())
    layer, out = run_layer_test(
        CLASSES[rank], {"padding": padding, "data_format": data_format}, None, expected.shape,
        input_data=inputs, run_compiled=padding in (((1, 0), (2, 3)), (1, 3), ((0, 1), 2, (3, 0))),
    )
    np.testing.assert_array_equal(out.numpy(), expected)
    stored = pads[0] if rank == 1 else pads
    assert layer.padding == stored and layer.get_config()["padding"] == stored
    assert layer.compute_output_shape(tuple(inputs.shape)) == expected.shape
    unknown = (None,) * (rank + 2)
    assert layer.compute_output_shape(unknown) == unknown


def test_defaults_zero_padding_integers_and_global_format():
    assert ZeroPadding1D().padding == (1, 1)
    assert ZeroPadding2D().padding == ((1, 1), (1, 1))
    assert ZeroPadding3D().padding == ((1, 1),) * 3
    x = torch.randn(1, 2, 2, 1)
    assert torch.equal(ZeroPadding2D(0)(x), x)
    out = ZeroPadding1D(1)(torch.tensor([[[5], [6]]]))
    assert out.dtype == torch.int64 and out[0, :, 0].tolist() == [0, 5, 6, 0]
    tkl.config.set_image_data_format("channels_first")
    try:
        assert ZeroPadding2D().data_format == "channels_first" == ZeroPadding3D().data_format
    finally:
        tkl.config.set_image_data_format("channels_last")


@pytest.mark.parametrize("cls, kwargs, shape", [
    (ZeroPadding1D, {"padding": (1, 2)}, (2, 4, 3)),
    (ZeroPadding1D, {"padding": 2, "data_format": "channels_first"}, (2, 3, 4)),
    (ZeroPadding2D, {"padding": ((1, 0), (2, 3))}, (2, 3, 4, 2)),
    (ZeroPadding3D, {"padding": ((0, 1), (2, 2), (3, 0)), "data_format": "channels_first"}, (2, 2, 3, 4, 2)),
])
def test_matches_keras(cls, kwargs, shape):
    check_keras_parity(cls, kwargs, random_images(shape))


def test_zero_padding_errors():
    with pytest.raises(ValueError, match=r"`padding` should have two elements. Received: padding=\(1, 2, 3\)"):
        ZeroPadding2D((1, 2, 3))
    for bad in [-1, (1, -1), ((1, 2), (3,)), "ab", 1.5, ((1, 2), (3, 4.0)), True]:
        with pytest.raises(ValueError, match='"zero_padding2d.*`padding` should be either an int, a tuple of 2 ints'):
            ZeroPadding2D(bad)
    with pytest.raises(ValueError, match=r"`padding` should have 3 elements. Received: padding=\(1, 2\)"):
        ZeroPadding3D((1, 2))
    for bad in [((1, 2), (3, 4), (5, 6, 7)), ((1, 2), (3, 4), (5, -6)), ((1, 2), (3, 4), "5")]:
        with pytest.raises(ValueError, match="`padding` should be either an int, a tuple of 3 ints"):
            ZeroPadding3D(bad)
    for bad in [(1,), (1, 2, 3), "1", -1, (0, -2)]:
        with pytest.raises(ValueError, match="The `padding` argument must be a tuple of 2 integers"):
            ZeroPadding1D(bad)
    layer = ZeroPadding2D()
    with pytest.raises(ValueError, match="expected ndim=4, found ndim=2"):
        layer(torch.ones(2, 3))
    assert not layer.built


def test_moved_class_still_imports_from_reshaping():
    from torch_keraslike.layers import reshaping

    assert reshaping.ZeroPadding2D is ZeroPadding2D
